#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/oci/digest.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/reference.hpp"

namespace wasme::store {

namespace fs = std::filesystem;

// One image in the store: its normalized reference and its manifest descriptor.
struct StoredImage {
  oci::Reference reference;
  oci::Descriptor manifest;  // annotations hold org.opencontainers.image.ref.name
};

// A blob being written into the store. Bytes are hashed as they arrive; commit() checks
// size and digest and only then renames the temp file into blobs/sha256/<hex>.
// Destroying an uncommitted writer leaves the store untouched.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual void write(std::string_view bytes) = 0;
  // Throws Error(integrity) on a size or digest mismatch, removing the temp file.
  virtual void commit() = 0;
};

// The local store: an OCI image layout (oci-layout, index.json, blobs/sha256/<hex>) that
// skopeo and other OCI tools can read. Safe for concurrent wasme processes: index.json is
// rewritten atomically under a lock file, and blobs are content-addressed.
class Store {
 public:
  explicit Store(fs::path root);
  // $WASME_HOME/store, default ~/.wasme/store.
  static fs::path default_root();

  const fs::path& root() const { return root_; }

  // Removes what killed wasme processes left: temp files in the store whose process is gone,
  // and such processes' temp directories. Returns how many were removed.
  int sweep_interrupted() const;

  bool has_blob(const oci::Digest& digest) const;
  fs::path blob_path(const oci::Digest& digest) const;
  // Reads a blob (at most max_size bytes) and checks its digest: not_found when absent,
  // integrity (naming the file) when its content does not match.
  std::string read_blob(const oci::Digest& digest, std::uint64_t max_size = 4u << 20) const;

  // Stores bytes whose digest must equal `expected` (integrity error and no change to the
  // store otherwise); returns at once if the blob is already present.
  void put_blob(std::string_view bytes, const oci::Digest& expected);
  // Copies a file in, verifying while copying.
  void put_blob_file(const fs::path& source, const oci::Digest& expected, std::uint64_t size);
  // For streaming writes (pull): verify-then-rename on commit; more than `size` bytes is an
  // integrity error at the write that exceeds it.
  std::unique_ptr<BlobWriter> begin_blob(const oci::Digest& expected, std::uint64_t size);

  // Points reference at a manifest whose blobs (manifest, config, layers) are all present
  // with their declared sizes (not_found / integrity otherwise, store unchanged). Replaces an
  // existing entry with the same reference. Runs under index.json.lock.
  void add_image(const oci::Reference& reference, const oci::Descriptor& manifest);
  // Every image, sorted by reference. A missing store has no images.
  std::vector<StoredImage> images() const;
  // By normalized reference; NAME@DIGEST also matches that name stored under any tag.
  std::optional<StoredImage> find(const oci::Reference& reference) const;
  // Like find, but throws Error(not_found) with a hint to pull or build.
  StoredImage get(const oci::Reference& reference) const;
  // Adds dst pointing at src's manifest; no blob is copied.
  void tag(const oci::Reference& src, const oci::Reference& dst);
  // Removes the entry, then the blobs that no remaining entry uses (all kept when a remaining
  // manifest cannot be read). Throws not_found.
  void remove(const oci::Reference& reference);

 private:
  void ensure_layout() const;
  fs::path root_;
};

}  // namespace wasme::store
