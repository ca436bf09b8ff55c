#include "wasme/sign/signature.hpp"

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"

namespace wasme::sign {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// Ed25519 signs the message itself; the others a SHA-256 digest of it.
const EVP_MD* digest_for(const Key& key) {
  return EVP_PKEY_base_id(key.get()) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
}

}  // namespace

std::string simple_signing_payload(const std::string& docker_reference, const oci::Digest& digest) {
  // nlohmann sorts keys, which here is the Go structs' field order as well.
  nlohmann::json payload = {{"critical",
                             {{"identity", {{"docker-reference", docker_reference}}},
                              {"image", {{"docker-manifest-digest", digest.str()}}},
                              {"type", "cosign container image signature"}}},
                            {"optional", nullptr}};
  return payload.dump();
}

std::optional<PayloadClaims> parse_payload(std::string_view payload) {
  nlohmann::json doc;
  try {
    doc = parse_json_limited<nlohmann::json>(payload, "the signature payload", {16, 64u << 10});
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!doc.is_object() || !doc.contains("critical") || !doc["critical"].is_object()) return std::nullopt;
  const auto& critical = doc["critical"];
  auto string_at = [&](const char* object, const char* field) -> std::optional<std::string> {
    if (!critical.contains(object) || !critical[object].is_object()) return std::nullopt;
    const auto& o = critical[object];
    if (!o.contains(field) || !o[field].is_string()) return std::nullopt;
    return o[field].get<std::string>();
  };
  auto type = critical.contains("type") && critical["type"].is_string() ? critical["type"].get<std::string>() : "";
  auto reference = string_at("identity", "docker-reference");
  auto digest = string_at("image", "docker-manifest-digest");
  if (type != "cosign container image signature" || !digest) return std::nullopt;
  return PayloadClaims{reference.value_or(""), *digest};
}

std::string sign_payload(const Key& key, std::string_view payload) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest_for(key), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(payload.data()),
                     payload.size()) != 1) {
    throw Error(ErrorKind::external, "signing with the " + key.describe() + " key failed");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) != 1) {
    throw Error(ErrorKind::external, "signing with the " + key.describe() + " key failed");
  }
  signature.resize(size);
  return signature;
}

bool verify_payload(const Key& public_key, std::string_view payload, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digest_for(public_key), nullptr, public_key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) == 1;
}

}  // namespace wasme::sign
