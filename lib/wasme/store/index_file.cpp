#include "wasme/store/index_file.hpp"

#include <algorithm>
#include <string>
#include <system_error>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/store/store.hpp"

namespace wasme::store::detail {
namespace {

// Manifests nest at most one level in practice (index -> image manifests); anything deeper
// is refused rather than followed without bound.
constexpr int max_nesting = 4;

std::string ref_name_of(const oci::Descriptor& entry) {
  auto it = entry.annotations.find(std::string(oci::annotation::ref_name));
  return it == entry.annotations.end() ? std::string() : it->second;
}

bool is_index_type(std::string_view media_type) {
  return media_type == oci::media_type::oci_index || media_type == oci::media_type::docker_manifest_list;
}

void collect(const Store& store, const oci::Descriptor& manifest, int depth, std::vector<oci::Descriptor>& out) {
  if (depth > max_nesting) {
    throw Error(ErrorKind::invalid_input, "manifest " + manifest.digest.str() + " nests indexes " + "more than " +
                                              std::to_string(max_nesting) + " levels deep");
  }
  out.push_back(manifest);
  std::string bytes = store.read_blob(manifest.digest);
  std::string type = manifest.media_type.empty() ? oci::sniff_media_type(bytes) : manifest.media_type;
  with_context("reading manifest " + manifest.digest.str(), [&] {
    if (is_index_type(type)) {
      for (const auto& child : oci::Index::parse(bytes).manifests) {
        collect(store, child, depth + 1, out);
      }
      return;
    }
    oci::Manifest parsed = oci::Manifest::parse(bytes);
    out.push_back(parsed.config);
    out.insert(out.end(), parsed.layers.begin(), parsed.layers.end());
  });
}

}  // namespace

oci::Index read_index(const fs::path& root) {
  fs::path path = index_path(root);
  std::error_code ec;
  // Only "does not exist" is an empty store: a path through a file, a symlink loop or a
  // permission problem is an error, not an empty list.
  const auto status = fs::status(root, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw Error(ErrorKind::invalid_input, "the store " + root.string() + ": " + ec.message(),
                "pass --store DIR (an OCI image layout), or leave it out for ~/.wasme/store");
  }
  if (!ec && !fs::is_directory(status)) {
    throw Error(ErrorKind::invalid_input, "the store " + root.string() + " is not a directory",
                "pass --store DIR (an OCI image layout), or leave it out for ~/.wasme/store");
  }
  (void)fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw Error(ErrorKind::io, "the store index " + path.string() + ": " + ec.message());
  }
  if (!fs::exists(path, ec)) {
    oci::Index empty;
    empty.media_type = std::string(oci::media_type::oci_index);
    return empty;
  }
  std::string text = with_context("reading the store index " + path.string(), [&] { return read_file(path); });
  try {
    return oci::Index::parse(text);
  } catch (const Error& e) {
    throw Error(e.kind(), "reading the store index " + path.string() + ": " + e.what(),
                e.hint().empty() ? "the index is damaged; restore it from a backup, or move the store aside "
                                   "and pull or build the images again"
                                 : e.hint());
  }
}

void write_index(const fs::path& root, oci::Index index) {
  index.schema_version = 2;
  index.media_type = std::string(oci::media_type::oci_index);
  std::stable_sort(index.manifests.begin(), index.manifests.end(),
                   [](const oci::Descriptor& a, const oci::Descriptor& b) { return ref_name_of(a) < ref_name_of(b); });
  write_file_atomic(index_path(root), index.serialize());
}

std::optional<oci::Reference> entry_reference(const oci::Descriptor& entry) {
  std::string name = ref_name_of(entry);
  // No '/': a bare tag such as `skopeo copy … oci:DIR:v1` writes, not an image reference.
  if (name.find('/') == std::string::npos) return std::nullopt;
  try {
    return oci::Reference::parse(name);
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::vector<oci::Descriptor> blobs_of(const Store& store, const oci::Descriptor& manifest) {
  std::vector<oci::Descriptor> out;
  collect(store, manifest, 0, out);
  return out;
}

}  // namespace wasme::store::detail
