// The blob half of the store: content-addressed files under blobs/sha256/, written through a
// temp file that is renamed into place only once its size and digest check out.
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/store/store.hpp"

namespace wasme::store {
namespace {

class FileBlobWriter final : public BlobWriter {
 public:
  FileBlobWriter(const fs::path& final_path, oci::Digest expected, std::uint64_t size)
      : file_(std::make_unique<AtomicFile>(final_path)), expected_(std::move(expected)), size_(size) {}

  void write(std::string_view bytes) override {
    check_open();
    if (bytes.size() > size_ - hash_.bytes_seen()) {
      file_.reset();  // removes the temp file
      throw Error(ErrorKind::integrity, "blob " + expected_.str() + ": received more than the " + "expected " +
                                            std::to_string(size_) + " bytes");
    }
    try {
      hash_.update(bytes);
      file_->write(bytes);
    } catch (...) {
      file_.reset();
      throw;
    }
  }

  const fs::path& staged_path() const override {
    check_open();
    return file_->temp_path();
  }

  void commit() override {
    check_open();
    auto file = std::move(file_);  // whatever happens next, this writer is finished
    if (hash_.bytes_seen() != size_) {
      throw Error(ErrorKind::integrity, "blob " + expected_.str() + ": received " + std::to_string(hash_.bytes_seen()) +
                                            " bytes, expected " + std::to_string(size_));
    }
    oci::Digest actual = hash_.finish();
    if (actual != expected_) {
      throw Error(ErrorKind::integrity, "blob " + expected_.str() + ": content has digest " + actual.str());
    }
    file->commit();
  }

 private:
  void check_open() const {
    if (!file_) {
      throw Error(ErrorKind::io, "blob " + expected_.str() + ": writer already committed or failed");
    }
  }

  std::unique_ptr<AtomicFile> file_;
  oci::Digest expected_;
  std::uint64_t size_;
  oci::Sha256 hash_;
};

Error corrupt_blob(const oci::Digest& digest, const fs::path& path, const oci::Digest& actual) {
  return Error(ErrorKind::integrity,
               "blob " + digest.str() + " is corrupt (its content does not match its digest): " + path.string() +
                   " has " + actual.str(),
               "pull the image again to repair it (wasme pull REF), or build it again");
}

}  // namespace

fs::path Store::blob_path(const oci::Digest& digest) const {
  if (digest.empty()) throw Error(ErrorKind::invalid_input, "an empty digest names no blob");
  return root_ / "blobs" / "sha256" / digest.hex();
}

bool Store::has_blob(const oci::Digest& digest) const {
  std::error_code ec;
  return fs::is_regular_file(blob_path(digest), ec);
}

std::string Store::read_blob(const oci::Digest& digest, std::uint64_t max_size) const {
  fs::path path = blob_path(digest);
  if (!has_blob(digest)) {
    throw Error(ErrorKind::not_found, "blob " + digest.str() + " is not in the store " + root_.string());
  }
  std::string bytes = read_file(path, max_size);
  oci::Digest actual = oci::sha256_of(bytes);
  if (actual != digest) throw corrupt_blob(digest, path, actual);
  return bytes;
}

bool Store::blob_intact(const oci::Digest& digest) const {
  if (!has_blob(digest)) return false;
  try {
    return oci::sha256_of_file(blob_path(digest)).digest == digest;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) return false;  // removed meanwhile
    throw;
  }
}

void Store::verify_blob(const oci::Digest& digest) const {
  fs::path path = blob_path(digest);
  if (!has_blob(digest)) {
    throw Error(ErrorKind::not_found, "blob " + digest.str() + " is not in the store " + root_.string());
  }
  oci::Digest actual = oci::sha256_of_file(path).digest;
  if (actual != digest) throw corrupt_blob(digest, path, actual);
}

void Store::put_blob(std::string_view bytes, const oci::Digest& expected) {
  // Hash first: a mismatch must not touch the store at all, not even with a temp file.
  oci::Digest actual = oci::sha256_of(bytes);
  if (actual != expected) {
    throw Error(ErrorKind::integrity, "blob " + expected.str() + ": content has digest " + actual.str());
  }
  // A present blob is kept when intact; a damaged one (a flipped byte) is replaced below.
  if (blob_intact(expected)) return;
  ensure_layout();
  AtomicFile file(blob_path(expected));
  file.write(bytes);
  file.commit();
}

void Store::put_blob_file(const fs::path& source, const oci::Digest& expected, std::uint64_t size) {
  std::ifstream in(source, std::ios::binary);
  if (!in) {
    std::error_code ec;
    ErrorKind kind = fs::exists(source, ec) ? ErrorKind::io : ErrorKind::not_found;
    throw Error(kind, "reading " + source.string() + ": cannot open the file");
  }
  if (has_blob(expected)) {
    // Still verify the source: a caller passing the wrong file must hear about it.
    oci::FileDigest actual = oci::sha256_of_file(source);
    if (actual.digest != expected || actual.size != size) {
      throw Error(ErrorKind::integrity,
                  "blob " + expected.str() + ": " + source.string() + " has digest " + actual.digest.str());
    }
    if (blob_intact(expected)) return;
    // Damaged in the store: copied in again from the (verified) source.
  }
  auto writer = begin_blob(expected, size);
  std::string buffer(1 << 16, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) writer->write(std::string_view(buffer.data(), size_t(in.gcount())));
  }
  if (in.bad()) throw Error(ErrorKind::io, "reading " + source.string());
  writer->commit();
}

std::unique_ptr<BlobWriter> Store::begin_blob(const oci::Digest& expected, std::uint64_t size) {
  fs::path path = blob_path(expected);
  ensure_layout();
  return std::make_unique<FileBlobWriter>(path, expected, size);
}

}  // namespace wasme::store
