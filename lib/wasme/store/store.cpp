// The index half of the store: index.json entries, each a manifest descriptor annotated with
// org.opencontainers.image.ref.name, rewritten atomically under index.json.lock.
#include "wasme/store/store.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "wasme/core/cleanup.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/store/index_file.hpp"

namespace wasme::store {
namespace {

bool names(const oci::Descriptor& entry, const oci::Reference& reference) {
  auto named = detail::entry_reference(entry);
  return named && *named == reference;
}

std::string quoted(const oci::Reference& reference) { return "\"" + reference.str() + "\""; }

Error not_in_store(const fs::path& root, const oci::Reference& reference, std::string hint) {
  return Error(ErrorKind::not_found, "image " + quoted(reference) + " is not in the store " + root.string(),
               std::move(hint));
}

// Refuses a manifest whose blobs are not all present with the sizes it declares.
void check_complete(const Store& store, const oci::Descriptor& manifest) {
  for (const auto& blob : detail::blobs_of(store, manifest)) {
    if (!store.has_blob(blob.digest)) {
      throw Error(ErrorKind::not_found, "blob " + blob.digest.str() + " (" + blob.media_type + ") is not in the store");
    }
    std::error_code ec;
    auto size = fs::file_size(store.blob_path(blob.digest), ec);
    if (ec || size != blob.size) {
      throw Error(ErrorKind::integrity, "blob " + blob.digest.str() + " is " + std::to_string(size) +
                                            " bytes, the manifest says " + std::to_string(blob.size));
    }
  }
}

// Deletes the blobs in `candidates` that no entry of `index` uses and no live pin names (an
// image being built or pulled right now). When a remaining entry's manifest or a pin cannot be
// read, what is in use is unknown, so nothing is deleted. The caller holds the index lock.
void delete_unused(const Store& store, const oci::Index& index, const std::vector<oci::Descriptor>& candidates) {
  std::set<oci::Digest> used;
  try {
    used = detail::pinned_digests(store.root());
  } catch (const Error&) {
    return;
  }
  for (const auto& entry : index.manifests) {
    try {
      for (const auto& blob : detail::blobs_of(store, entry)) used.insert(blob.digest);
    } catch (const Error&) {
      return;
    }
  }
  for (const auto& blob : candidates) {
    if (used.count(blob.digest)) continue;
    std::error_code ec;
    fs::remove(store.blob_path(blob.digest), ec);
  }
}

}  // namespace

Store::Store(fs::path root) : root_(std::move(root)) {}

fs::path Store::default_root() { return wasme_home() / "store"; }

int Store::sweep_interrupted() const {
  int removed = sweep_stale_temp_files(root_, std::string(temp_file_prefix));
  removed += sweep_stale_temp_files(root_ / "blobs" / "sha256", std::string(temp_file_prefix));
  removed += detail::sweep_stale_pins(root_);
  return removed + sweep_stale_temp_dirs();
}

void Store::ensure_layout() const {
  std::error_code ec;
  fs::create_directories(root_ / "blobs" / "sha256", ec);
  if (ec) {
    throw Error(ErrorKind::io, "creating the store " + root_.string() + ": " + ec.message(),
                "check the permissions of the directory or pass --store DIR");
  }
  fs::path layout = root_ / "oci-layout";
  if (fs::exists(layout, ec) && fs::exists(detail::index_path(root_), ec)) return;
  // Under the lock: a second process must not replace an index.json the first just wrote.
  FileLock lock(detail::index_lock_path(root_));
  if (!fs::exists(layout, ec)) write_file_atomic(layout, detail::oci_layout_content);
  if (!fs::exists(detail::index_path(root_), ec)) detail::write_index(root_, {});
}

namespace {

void check_reference_digest(const oci::Reference& reference, const oci::Descriptor& manifest) {
  if (reference.digest && *reference.digest != manifest.digest) {
    throw Error(ErrorKind::integrity, "the reference names digest " + reference.digest->str() +
                                          " but the manifest is " + manifest.digest.str());
  }
}

}  // namespace

void Store::add_image(const oci::Reference& reference, const oci::Descriptor& manifest) {
  with_context("storing " + quoted(reference), [&] {
    check_reference_digest(reference, manifest);  // before the store is created
    ensure_layout();
    FileLock lock(detail::index_lock_path(root_));
    add_image_locked(reference, manifest);
  });
}

void Store::add_image_locked(const oci::Reference& reference, oci::Descriptor entry) {
  check_reference_digest(reference, entry);
  if (entry.media_type.empty()) {
    entry.media_type = oci::sniff_media_type(read_blob(entry.digest));
  }
  entry.annotations[std::string(oci::annotation::ref_name)] = reference.str();
  check_complete(*this, entry);  // under the lock: a concurrent remove cannot race it
  oci::Index index = detail::read_index(root_);
  auto& entries = index.manifests;
  entries.erase(
      std::remove_if(entries.begin(), entries.end(), [&](const oci::Descriptor& e) { return names(e, reference); }),
      entries.end());
  entries.push_back(std::move(entry));
  detail::write_index(root_, std::move(index));
}

std::vector<StoredImage> Store::images() const {
  std::vector<StoredImage> out;
  for (const auto& entry : detail::read_index(root_).manifests) {
    if (auto reference = detail::entry_reference(entry)) out.push_back({*reference, entry});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const StoredImage& a, const StoredImage& b) { return a.reference.str() < b.reference.str(); });
  return out;
}

std::optional<StoredImage> Store::find(const oci::Reference& reference) const {
  auto all = images();
  for (auto& image : all) {
    if (image.reference == reference) return std::move(image);
  }
  if (!reference.digest || reference.tag) return std::nullopt;
  // name@digest also finds the image stored under a tag of that name (as docker does).
  for (auto& image : all) {
    if (image.reference.name() == reference.name() && image.manifest.digest == *reference.digest) {
      return std::move(image);
    }
  }
  return std::nullopt;
}

StoredImage Store::get(const oci::Reference& reference) const {
  if (auto image = find(reference)) return std::move(*image);
  throw not_in_store(root_, reference, "run 'wasme pull " + reference.str() + "' or 'wasme build' first");
}

void Store::tag(const oci::Reference& src, const oci::Reference& dst) {
  with_context("tagging " + quoted(src) + " as " + quoted(dst), [&] {
    get(src);  // not_found, with its hint, before the store is touched
    ensure_layout();
    FileLock lock(detail::index_lock_path(root_));
    // Looked up again under the lock: a remove() of src (and its blobs) cannot come between
    // the lookup and the new entry.
    oci::Descriptor manifest = get(src).manifest;
    manifest.annotations.erase(std::string(oci::annotation::ref_name));
    with_context("storing " + quoted(dst), [&] { add_image_locked(dst, manifest); });
  });
}

void Store::remove(const oci::Reference& reference) {
  with_context("removing " + quoted(reference), [&] {
    const char* hint = "'wasme list' shows the images in the store";
    std::error_code ec;
    if (!fs::exists(detail::index_path(root_), ec)) throw not_in_store(root_, reference, hint);
    FileLock lock(detail::index_lock_path(root_));
    oci::Index index = detail::read_index(root_);
    auto& entries = index.manifests;
    auto removed_begin = std::stable_partition(entries.begin(), entries.end(),
                                               [&](const oci::Descriptor& e) { return !names(e, reference); });
    if (removed_begin == entries.end()) throw not_in_store(root_, reference, hint);
    std::vector<oci::Descriptor> removed(removed_begin, entries.end());
    entries.erase(removed_begin, entries.end());
    detail::write_index(root_, index);

    std::vector<oci::Descriptor> candidates;
    for (const auto& entry : removed) {
      try {
        auto blobs = detail::blobs_of(*this, entry);
        candidates.insert(candidates.end(), blobs.begin(), blobs.end());
      } catch (const Error&) {
        candidates.push_back(entry);  // unreadable manifest: only the manifest blob is known
      }
    }
    delete_unused(*this, index, candidates);
  });
}

}  // namespace wasme::store
