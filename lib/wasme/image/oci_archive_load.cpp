// load_archive (oci_archive.hpp): an untrusted OCI image layout tar into the store.
#include <map>
#include <set>
#include <vector>

#include "wasme/core/error.hpp"
#include "wasme/image/libarchive_handle.hpp"
#include "wasme/image/oci_archive.hpp"
#include "wasme/image/validate.hpp"
#include "wasme/oci/json_fields.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::image {
namespace {

constexpr size_t chunk_size = 1u << 20;
constexpr std::size_t max_entries = 10000;
constexpr std::size_t max_images = 1000;
constexpr std::uint64_t max_small_file = 4u << 20;  // index.json, oci-layout: as a manifest
constexpr std::string_view containerd_name = "io.containerd.image.name";

const char* const archive_hint =
    "an OCI image layout archive holds oci-layout, index.json and blobs/sha256/<digest> as regular "
    "files (what `wasme save` and `skopeo copy … oci-archive:FILE.tar` write)";

// "./blobs/sha256/ab/" -> "blobs/sha256/ab": how tar writers differ, not what the entry is.
std::string normalized(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  return name;
}

struct StagedBlob {
  fs::path file;
  std::uint64_t size = 0;
};

// Everything read from the archive, nothing yet in the store.
struct Staged {
  TempDir dir{"wasme-load-"};
  std::map<oci::Digest, StagedBlob> blobs;
  std::optional<std::string> index;
  std::optional<std::string> layout;
};

std::string read_small(archive* a, const std::string& name) {
  std::string out;
  std::vector<char> buf(64 * 1024);
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n < 0) throw Error(ErrorKind::invalid_input, "reading entry \"" + name + "\": " + archive_error(a));
    if (n == 0) return out;
    if (out.size() + static_cast<size_t>(n) > max_small_file) {
      refuse_entry(name, "is over " + format_size(max_small_file), archive_hint);
    }
    out.append(buf.data(), static_cast<size_t>(n));
  }
}

// Copies a blob entry out, counting and hashing the bytes as they come (the header's size and
// the name's digest are claims until then).
StagedBlob stage_blob(archive* a, const std::string& name, const oci::Digest& digest, const fs::path& dir,
                      std::uint64_t max_size) {
  StagedBlob staged{dir / digest.hex(), 0};
  AtomicFile out(staged.file, 0644);
  oci::Sha256 hash;
  std::vector<char> buf(chunk_size);
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n < 0) throw Error(ErrorKind::invalid_input, "reading entry \"" + name + "\": " + archive_error(a));
    if (n == 0) break;
    staged.size += static_cast<std::uint64_t>(n);
    if (staged.size > max_size) refuse_entry(name, "is over the limit of " + format_size(max_size), archive_hint);
    std::string_view bytes(buf.data(), static_cast<size_t>(n));
    hash.update(bytes);
    out.write(bytes);
  }
  oci::Digest actual = hash.finish();
  if (actual != digest) {
    throw Error(ErrorKind::integrity,
                "entry \"" + name + "\": its content does not match its name (it hashes to " + actual.str() + ")",
                "the archive is damaged or was altered; write it again from its source");
  }
  out.commit(Durability::no_fsync);  // scratch: the store's own copy is made durable
  return staged;
}

// Reads every entry, checking each before its data is read.
void read_entries(archive* a, Staged& staged, const LoadRequest& request) {
  const std::uint64_t max_blob_size = request.max_blob_size;
  std::uint64_t total = 0;
  std::set<std::string> seen;
  archive_entry* entry = nullptr;
  for (std::size_t count = 0;; ++count) {
    int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN)
      throw Error(ErrorKind::invalid_input, "reading the archive: " + archive_error(a), archive_hint);
    const char* raw = archive_entry_pathname(entry);
    std::string name = raw ? raw : "";
    if (count == max_entries) refuse_entry(name, "is past " + std::to_string(max_entries) + " entries", archive_hint);
    check_entry_safe(entry, name, archive_hint);
    auto declared = static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0));
    if (declared > max_blob_size) {
      refuse_entry(name, "declares " + format_size(declared) + ", over the limit of " + format_size(max_blob_size),
                   archive_hint);
    }
    total += declared;
    if (total > request.max_total_size) {
      refuse_entry(name, "brings the archive over " + format_size(request.max_total_size), archive_hint);
    }
    std::string path = normalized(name);
    if (archive_entry_filetype(entry) == AE_IFDIR) continue;
    if (!seen.insert(path).second) refuse_entry(name, "appears twice; the archive is ambiguous", archive_hint);
    if (path == "index.json") {
      staged.index = read_small(a, name);
    } else if (path == "oci-layout") {
      staged.layout = read_small(a, name);
    } else if (path.rfind("blobs/sha256/", 0) == 0) {
      oci::Digest digest = with_context("entry \"" + name + "\"", [&] {
        return oci::Digest::from_hex(path.substr(std::string("blobs/sha256/").size()));
      });
      staged.blobs[digest] = stage_blob(a, name, digest, staged.dir.path(), max_blob_size);
    } else if (archive_read_data_skip(a) < ARCHIVE_WARN) {
      // Anything else (docker save's manifest.json and repositories) is not read.
      throw Error(ErrorKind::invalid_input, "reading entry \"" + name + "\": " + archive_error(a));
    }
  }
}

// A blob a manifest or index.json names, with the size it declares.
const StagedBlob& blob_for(const Staged& staged, const oci::Descriptor& d, const std::string& what) {
  auto it = staged.blobs.find(d.digest);
  if (it == staged.blobs.end()) {
    throw Error(ErrorKind::invalid_input, what + " " + d.digest.str() + " is not in the archive", archive_hint);
  }
  if (it->second.size != d.size) {
    throw Error(ErrorKind::integrity, what + " " + d.digest.str() + " is " + std::to_string(it->second.size) +
                                          " bytes in the archive, but " + std::to_string(d.size) + " are declared");
  }
  return it->second;
}

std::string name_annotation(const oci::Descriptor& d, std::string_view key) {
  auto it = d.annotations.find(std::string(key));
  return it == d.annotations.end() ? std::string() : it->second;
}

// Whether text names a tag or digest in its last path component ("r/x:v1", "r/x@sha256:…").
bool has_tag_or_digest(const std::string& text) {
  std::string last = text.substr(text.find_last_of('/') == std::string::npos ? 0 : text.find_last_of('/') + 1);
  return last.find_first_of(":@") != std::string::npos;
}

// The reference an image of the archive is stored under.
oci::Reference reference_for(const oci::Descriptor& d, const LoadRequest& request, std::size_t images) {
  std::string full = name_annotation(d, containerd_name);
  std::string ref_name = name_annotation(d, oci::annotation::ref_name);
  if (full.empty() && ref_name.find('/') != std::string::npos) full = ref_name;
  if (request.name && has_tag_or_digest(*request.name)) {
    if (images > 1) {
      throw Error(ErrorKind::usage,
                  "--name " + *request.name + " names one image, but the archive holds " + std::to_string(images),
                  "give a repository (--name REPO) and each image keeps its own tag");
    }
    return oci::Reference::parse(*request.name);
  }
  if (request.name) {
    std::string tag = !full.empty() ? oci::Reference::parse(full).tag.value_or("") : ref_name;
    if (tag.empty()) {
      throw Error(ErrorKind::usage, "the image has no tag to add to --name " + *request.name,
                  "give a full reference: --name " + *request.name + ":TAG");
    }
    return oci::Reference::parse(*request.name + ":" + tag);
  }
  if (!full.empty()) return oci::Reference::parse(full);
  if (!ref_name.empty()) {
    throw Error(ErrorKind::usage, "the image is named only \"" + ref_name + "\", without a repository",
                "give one with --name REPO (it is loaded as REPO:" + ref_name + ")");
  }
  throw Error(ErrorKind::usage, "the image has no name in index.json", "give one with --name REF");
}

// An image ready to be committed: its manifest bytes and the blobs it needs.
struct Checked {
  LoadedImage image;
  oci::Descriptor manifest;
  std::vector<oci::Digest> blobs;
};

// Resolves one index.json entry (through a nested index to its first manifest, as pull
// does) and checks it as pull checks a download.
Checked check_image(const Staged& staged, oci::Descriptor entry, const LoadRequest& request, std::size_t images,
                    const fs::path& scratch) {
  Checked checked;
  checked.image.reference = reference_for(entry, request, images);
  return with_context("image \"" + checked.image.reference.str() + "\"", [&] {
    std::string bytes = read_file(blob_for(staged, entry, "manifest").file, oci::max_manifest_size);
    std::string media_type = oci::sniff_media_type(bytes);
    if (media_type == oci::media_type::oci_index || media_type == oci::media_type::docker_manifest_list) {
      checked.blobs.push_back(entry.digest);
      oci::Index nested = oci::Index::parse(bytes);
      if (nested.manifests.empty()) throw Error(ErrorKind::invalid_input, "its index lists no manifests");
      entry = nested.manifests.front();
      bytes = read_file(blob_for(staged, entry, "manifest").file, oci::max_manifest_size);
      media_type = oci::sniff_media_type(bytes);
    }
    oci::Manifest manifest = oci::Manifest::parse(bytes);
    oci::ArtifactLayout layout = oci::classify(manifest);
    const StagedBlob& config = blob_for(staged, manifest.config, "config");
    std::vector<oci::Descriptor> parts{manifest.config};
    for (const oci::Descriptor& layer : manifest.layers) {
      blob_for(staged, layer, "layer");
      parts.push_back(layer);
    }
    image::ModuleFile module = module_in_layer(layout, blob_for(staged, layout.module_layer, "module layer").file,
                                               scratch, request.max_blob_size);
    std::string config_bytes = read_file(config.file, max_config_size);
    validate_artifact({layout, manifest.config, config_bytes, module.path, module.label});

    checked.manifest = {
        media_type.empty() ? std::string(oci::media_type::oci_manifest) : media_type, entry.digest, entry.size, {}};
    checked.blobs.push_back(entry.digest);
    for (const oci::Descriptor& d : parts) checked.blobs.push_back(d.digest);
    checked.image.manifest_digest = entry.digest;
    checked.image.format = layout.format;
    return checked;
  });
}

}  // namespace

std::vector<LoadedImage> load_archive(store::Store& store, int fd, const std::string& source,
                                      const LoadRequest& request) {
  return with_context("loading " + source, [&] {
    Staged staged;
    ReadPtr a(archive_read_new());
    archive_read_support_filter_gzip(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_fd(a.get(), fd, 64 * 1024) != ARCHIVE_OK) {
      throw Error(ErrorKind::invalid_input, "opening the archive: " + archive_error(a.get()), archive_hint);
    }
    read_entries(a.get(), staged, request);

    if (!staged.layout)
      throw Error(ErrorKind::invalid_input, "not an OCI image layout: no oci-layout file", archive_hint);
    oci::json_fields::Where where{"oci-layout", ""};
    auto layout = oci::json_fields::parse_object(*staged.layout, where);
    if (!layout.contains("imageLayoutVersion") || layout["imageLayoutVersion"] != "1.0.0") {
      throw Error(ErrorKind::invalid_input, "oci-layout: imageLayoutVersion is not \"1.0.0\"", archive_hint);
    }
    if (!staged.index) throw Error(ErrorKind::invalid_input, "not an OCI image layout: no index.json", archive_hint);
    oci::Index index = with_context("index.json", [&] { return oci::Index::parse(*staged.index); });
    if (index.manifests.empty()) throw Error(ErrorKind::invalid_input, "index.json lists no images");
    if (index.manifests.size() > max_images) {
      throw Error(ErrorKind::invalid_input, "index.json lists " + std::to_string(index.manifests.size()) +
                                                " images, over the limit of " + std::to_string(max_images));
    }

    // Every image checked before anything is added.
    TempDir scratch("wasme-load-check-");
    std::vector<Checked> images;
    std::set<std::string> names;
    for (const oci::Descriptor& entry : index.manifests) {
      images.push_back(check_image(staged, entry, request, index.manifests.size(), scratch.path()));
      if (!names.insert(images.back().image.reference.str()).second) {
        throw Error(ErrorKind::invalid_input, "index.json names \"" + images.back().image.reference.str() + "\" twice");
      }
    }

    std::vector<oci::Digest> all;
    for (const Checked& c : images) all.insert(all.end(), c.blobs.begin(), c.blobs.end());
    store::BlobPin pin = store.pin_blobs(all);
    std::vector<LoadedImage> loaded;
    std::set<oci::Digest> stored;  // a blob shared by images, or config and layer 0, once
    for (const Checked& c : images) {
      for (const oci::Digest& d : c.blobs) {
        if (!stored.insert(d).second) continue;
        const StagedBlob& blob = staged.blobs.at(d);
        store.put_blob_file(blob.file, d, blob.size);
      }
      store.add_image(c.image.reference, c.manifest);
      loaded.push_back(c.image);
    }
    pin.release();
    return loaded;
  });
}

}  // namespace wasme::image
