#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace wasme::oci {

// A content digest. Only sha256 is supported: it is all the OCI ecosystem uses in practice.
class Digest {
 public:
  Digest() = default;
  // Parses `sha256:` + 64 lowercase hex; throws Error(invalid_input) naming the problem.
  static Digest parse(std::string_view text);
  static Digest from_hex(std::string_view hex) { return parse("sha256:" + std::string(hex)); }

  const std::string& hex() const { return hex_; }
  std::string str() const { return "sha256:" + hex_; }
  // First n hex characters, for tables.
  std::string short_hex(size_t n = 12) const { return hex_.substr(0, n); }
  bool empty() const { return hex_.empty(); }

  friend bool operator==(const Digest& a, const Digest& b) { return a.hex_ == b.hex_; }
  friend bool operator!=(const Digest& a, const Digest& b) { return !(a == b); }
  friend bool operator<(const Digest& a, const Digest& b) { return a.hex_ < b.hex_; }

 private:
  std::string hex_;
};

// Streaming sha256 (OpenSSL EVP): constant memory whatever the input size.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::uint64_t bytes_seen() const { return bytes_; }
  Digest finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  std::uint64_t bytes_ = 0;
};

Digest sha256_of(std::string_view bytes);

struct FileDigest {
  Digest digest;
  std::uint64_t size = 0;
};
// Hashes a file in fixed-size chunks.
FileDigest sha256_of_file(const std::filesystem::path& path);

}  // namespace wasme::oci
