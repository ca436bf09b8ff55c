#include "wasme/oci/digest.hpp"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "wasme/core/error.hpp"

namespace wasme::oci {

Digest Digest::parse(std::string_view text) {
  auto fail = [&](const std::string& why) -> Digest {
    throw Error(ErrorKind::invalid_input, "invalid digest \"" + std::string(text) + "\": " + why,
                "a digest looks like sha256:<64 lowercase hex characters>");
  };
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return fail("missing the algorithm prefix \"sha256:\"");
  std::string_view algorithm = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  if (algorithm != "sha256") {
    return fail("unsupported algorithm \"" + std::string(algorithm) + "\" (only sha256)");
  }
  if (hex.size() != 64) {
    return fail("expected 64 hex characters, got " + std::to_string(hex.size()));
  }
  for (char c : hex) {
    if (c >= 'A' && c <= 'F') return fail("hex must be lowercase");
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return fail("'" + std::string(1, c) + "' is not a hex character");
    }
  }
  Digest d;
  d.hex_ = std::string(hex);
  return d;
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorKind::io, "initialising sha256 (OpenSSL EVP)");
  }
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size()) != 1) {
    throw Error(ErrorKind::io, "hashing with sha256 (OpenSSL EVP)");
  }
  bytes_ += bytes.size();
}

Digest Sha256::finish() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out.data(), &len) != 1) {
    throw Error(ErrorKind::io, "finishing sha256 (OpenSSL EVP)");
  }
  static const char* digits = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    hex.push_back(digits[out[i] >> 4]);
    hex.push_back(digits[out[i] & 0xf]);
  }
  return Digest::from_hex(hex);
}

Digest sha256_of(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish();
}

FileDigest sha256_of_file(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    ErrorKind kind = errno == ENOENT ? ErrorKind::not_found : ErrorKind::io;
    throw Error(kind, "reading " + path.string() + ": " + std::strerror(errno));
  }
  Sha256 h;
  std::array<char, 1 << 16> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) h.update({buf.data(), n});
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) throw Error(ErrorKind::io, "reading " + path.string());
  return {h.finish(), h.bytes_seen()};
}

}  // namespace wasme::oci
