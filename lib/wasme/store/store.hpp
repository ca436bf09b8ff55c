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
  // The temp file holding the bytes written so far, for checking them before commit() (pull
  // validates a module there). Throws once the writer is committed or failed.
  virtual const fs::path& staged_path() const = 0;
  // Throws Error(integrity) on a size or digest mismatch, removing the temp file.
  virtual void commit() = 0;
};

// Keeps blobs from remove()'s garbage collection while an image is being put together.
//
// Whoever stores the blobs of an image (package_module, pull) takes a pin naming all of them
// BEFORE it first asks whether one is present, and holds it until add_image has returned.
// Why that is race-free: a pin is a file pins/<pid>-<random> listing digests, created and
// written under index.json.lock, and flock'ed (LOCK_EX) by its owner for as long as the pin
// lives; remove() reads the pins and deletes blobs under the same lock. So a collection either
// finished before the pin existed (then the builder's has_blob/put_blob, which come after,
// see the blob gone and write it again), or it sees the pin and keeps the blob; once the pin
// is released the image's index entry holds the blob instead. A pin whose file nobody holds
// locked belongs to a process that is gone (the kernel drops a flock when its holder dies,
// SIGKILL included; pid reuse cannot fake it): remove() ignores and deletes it, so a killed
// builder never keeps blobs from being collected (and sweep_interrupted deletes it too).
class BlobPin {
 public:
  BlobPin() = default;
  BlobPin(BlobPin&& other) noexcept;
  BlobPin& operator=(BlobPin&& other) noexcept;
  BlobPin(const BlobPin&) = delete;
  BlobPin& operator=(const BlobPin&) = delete;
  ~BlobPin();
  // Unpins now (the destructor does it otherwise).
  void release() noexcept;

 private:
  friend class Store;
  fs::path path_;
  int fd_ = -1;
  int cleanup_slot_ = -1;
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
  // their pins (see BlobPin), and such processes' temp directories. Returns how many were
  // removed.
  int sweep_interrupted() const;

  bool has_blob(const oci::Digest& digest) const;
  fs::path blob_path(const oci::Digest& digest) const;
  // Reads a blob (at most max_size bytes) and checks its digest: not_found when absent,
  // integrity ("blob sha256:… is corrupt (its content does not match its digest)", naming
  // the file) when its content does not match.
  std::string read_blob(const oci::Digest& digest, std::uint64_t max_size = 4u << 20) const;
  // True when the blob is present and its content hashes to its digest (reads it all); false
  // when absent or damaged. I/O errors other than a missing file are thrown.
  bool blob_intact(const oci::Digest& digest) const;
  // Throws not_found when the blob is absent, integrity (as read_blob) when it is damaged.
  void verify_blob(const oci::Digest& digest) const;

  // Stores bytes whose digest must equal `expected` (integrity error and no change to the
  // store otherwise). A present blob is kept if intact, and replaced if damaged.
  void put_blob(std::string_view bytes, const oci::Digest& expected);
  // Copies a file in, verifying while copying; a present blob is kept if intact, replaced if
  // damaged (the source is verified either way).
  void put_blob_file(const fs::path& source, const oci::Digest& expected, std::uint64_t size);
  // For streaming writes (pull): verify-then-rename on commit; more than `size` bytes is an
  // integrity error at the write that exceeds it.
  std::unique_ptr<BlobWriter> begin_blob(const oci::Digest& expected, std::uint64_t size);
  // Pins digests against garbage collection until the returned pin is released (see
  // BlobPin). Creates the store if needed.
  BlobPin pin_blobs(const std::vector<oci::Digest>& digests);

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
  // Adds dst pointing at src's manifest; no blob is copied. Atomic with respect to remove():
  // src is looked up and dst added under one hold of index.json.lock.
  void tag(const oci::Reference& src, const oci::Reference& dst);
  // Removes the entry, then the blobs that no remaining entry uses and no live pin names (all
  // kept when a remaining manifest or a pin cannot be read). Throws not_found.
  void remove(const oci::Reference& reference);

 private:
  void ensure_layout() const;
  // add_image's work; the caller holds index.json.lock.
  void add_image_locked(const oci::Reference& reference, oci::Descriptor entry);
  fs::path root_;
};

}  // namespace wasme::store
