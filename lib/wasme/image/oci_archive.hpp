#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wasme/core/fs.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/store/store.hpp"

// `wasme save` and `wasme load`: images carried in an OCI image layout archive, a plain tar of
// oci-layout, index.json and blobs/sha256/<hex> (image-spec image-layout.md), the file
// `skopeo copy … oci-archive:F.tar` writes and reads, and what `docker save` writes since 25.
namespace wasme::image {

struct SavedImage {
  oci::Reference reference;
  oci::Digest manifest_digest;
};

struct SaveResult {
  std::vector<SavedImage> images;
  int blobs = 0;            // each written once, however many images share it
  std::uint64_t bytes = 0;  // of blob content
};

// Writes the stored images of refs into out as an OCI image layout tar. index.json names each
// by its full reference (org.opencontainers.image.ref.name, which `skopeo … oci-archive:F:REF`
// selects, and io.containerd.image.name, which `ctr images import` uses). Every blob is
// verified before anything is written and hashed again as it is copied. Deterministic: fixed
// order, mtime 0, uid/gid 0, so the same images give the same bytes. The caller commits out.
SaveResult save_archive(const store::Store& store, const std::vector<oci::Reference>& refs, UserFileWriter& out);

struct LoadRequest {
  // A full reference for the archive's only image, or a repository to which each image's own
  // tag is added (an archive written by `skopeo … oci-archive:F:v1` names its image just "v1").
  std::optional<std::string> name;
  std::uint64_t max_blob_size = 256u << 20;  // per entry; as pull's module limit
  // All entries together, as read (after gzip): a small gzip bomb of zero runs named by their
  // own digests cannot fill the disk.
  std::uint64_t max_total_size = 4ull << 30;
};

struct LoadedImage {
  oci::Reference reference;
  oci::Digest manifest_digest;
  oci::ArtifactFormat format = oci::ArtifactFormat::unknown;
};

// Reads an OCI image layout tar (plain or gzip) from fd (named `source` in errors) into the
// store. All or nothing: every entry is checked (no absolute or ".." names, links, devices,
// entries over max_blob_size, duplicates), every blob hashed against its name, every image
// named by index.json resolved and checked as pull checks one (validate_artifact), before a
// single blob is added. Errors name the entry or image and say why.
std::vector<LoadedImage> load_archive(store::Store& store, int fd, const std::string& source,
                                      const LoadRequest& request);

}  // namespace wasme::image
