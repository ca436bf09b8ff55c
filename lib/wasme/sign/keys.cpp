#include "wasme/sign/keys.hpp"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/registry/base64.hpp"

namespace wasme::sign {
namespace {

// go-securesystemslib encrypted/encrypted.go (as cosign 2.x vendors it): a 32-byte salt, the
// "standard" scrypt parameters for new keys, and only the three parameter sets it knows are
// accepted when reading (a tampered N could otherwise cost any amount of memory and time).
constexpr size_t kSaltSize = 32;
constexpr size_t kKeySize = crypto_secretbox_KEYBYTES;      // 32
constexpr size_t kNonceSize = crypto_secretbox_NONCEBYTES;  // 24
struct ScryptParams {
  uint64_t n, r, p;
};
constexpr ScryptParams kStandard{65536, 8, 1};
constexpr ScryptParams kKnown[] = {{32768, 8, 1}, {65536, 8, 1}, {131072, 8, 1}};
constexpr const char* kEncryptedLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
constexpr const char* kLegacyEncryptedLabel = "ENCRYPTED COSIGN PRIVATE KEY";  // cosign before 1.x's rename

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memory_bio(std::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string derive_key(const std::string& password, std::string_view salt, const ScryptParams& params) {
  std::string key(kKeySize, '\0');
  // maxmem: scrypt needs 128 * N * r bytes (64 MiB for the standard set); allow the largest.
  const uint64_t maxmem = 128ull * 131072 * 8 + (1u << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                     params.n, params.r, params.p, maxmem, reinterpret_cast<unsigned char*>(key.data()),
                     key.size()) != 1) {
    throw Error(ErrorKind::invalid_input, "deriving the key from the password failed (scrypt)");
  }
  return key;
}

void init_sodium() {
  if (sodium_init() < 0) throw Error(ErrorKind::external, "libsodium failed to initialize");
}

std::string pem(const char* label, std::string_view der) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (PEM_write_bio(out.get(), label, "", reinterpret_cast<const unsigned char*>(der.data()),
                    static_cast<long>(der.size())) <= 0) {
    throw Error(ErrorKind::external, std::string("writing a ") + label + " PEM failed");
  }
  return bio_text(out.get());
}

// Reads the first PEM block: its label and bytes; nullopt when the text holds none.
std::optional<std::pair<std::string, std::string>> read_pem(std::string_view text) {
  auto bio = memory_bio(text);
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long size = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &size) != 1) return std::nullopt;
  std::pair<std::string, std::string> out{name, std::string(reinterpret_cast<char*>(data), static_cast<size_t>(size))};
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  return out;
}

// Only the kinds cosign signs with: ECDSA P-256, RSA, Ed25519.
void check_supported(const Key& key, const std::string& source) {
  const int type = EVP_PKEY_base_id(key.get());
  if (type == EVP_PKEY_ED25519) return;
  if (type == EVP_PKEY_RSA) {
    // As sigstore's cryptoutils.ValidatePubKey, which cosign import-key-pair applies.
    const int bits = EVP_PKEY_get_bits(key.get());
    if (bits == 2048 || bits == 3072 || bits == 4096) return;
    throw Error(ErrorKind::invalid_input,
                source + ": an RSA key of " + std::to_string(bits) + " bits; cosign accepts 2048, 3072 or 4096");
  }
  if (type == EVP_PKEY_EC) {
    char curve[64] = {};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(key.get(), "group", curve, sizeof curve, &len);
    if (std::string(curve) == "prime256v1") return;
    throw Error(ErrorKind::invalid_input,
                source + ": an ECDSA key on curve " + curve + ", which wasme does not sign with",
                "use a P-256 key (wasme generate-key-pair or cosign generate-key-pair make one)");
  }
  throw Error(ErrorKind::invalid_input,
              source + ": a " + key.describe() + " key; supported: ECDSA P-256, RSA, Ed25519");
}

std::string private_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key);
  if (!info) throw Error(ErrorKind::external, "encoding the private key (PKCS#8) failed");
  int size = i2d_PKCS8_PRIV_KEY_INFO(info, &der);
  if (size <= 0) {
    PKCS8_PRIV_KEY_INFO_free(info);
    throw Error(ErrorKind::external, "encoding the private key (PKCS#8) failed");
  }
  PKCS8_PRIV_KEY_INFO_free(info);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_clear_free(der, static_cast<size_t>(size));
  return out;
}

}  // namespace

Key::Key(EVP_PKEY* key) : key_(key, EVP_PKEY_free) {
  if (!key) throw Error(ErrorKind::invalid_input, "no key");
}

std::string Key::describe() const {
  switch (EVP_PKEY_base_id(get())) {
    case EVP_PKEY_RSA: return "RSA " + std::to_string(EVP_PKEY_get_bits(get()));
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_EC: {
      char curve[64] = {};
      size_t len = 0;
      EVP_PKEY_get_utf8_string_param(get(), "group", curve, sizeof curve, &len);
      return std::string("ECDSA ") + (std::string(curve) == "prime256v1" ? "P-256" : curve);
    }
    default: return EVP_PKEY_get0_type_name(get()) ? EVP_PKEY_get0_type_name(get()) : "unknown";
  }
}

std::string encrypt_private_key_der(std::string_view der, const std::string& password) {
  init_sodium();
  std::string salt(kSaltSize, '\0'), nonce(kNonceSize, '\0');
  randombytes_buf(salt.data(), salt.size());
  randombytes_buf(nonce.data(), nonce.size());
  std::string key = derive_key(password, salt, kStandard);
  std::string sealed(der.size() + crypto_secretbox_MACBYTES, '\0');
  crypto_secretbox_easy(
      reinterpret_cast<unsigned char*>(sealed.data()), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
      reinterpret_cast<const unsigned char*>(nonce.data()), reinterpret_cast<const unsigned char*>(key.data()));
  sodium_memzero(key.data(), key.size());
  // Field names and order as go-securesystemslib's json.Marshal writes them.
  nlohmann::ordered_json doc;
  doc["kdf"]["name"] = "scrypt";
  doc["kdf"]["params"]["N"] = kStandard.n;
  doc["kdf"]["params"]["r"] = kStandard.r;
  doc["kdf"]["params"]["p"] = kStandard.p;
  doc["kdf"]["salt"] = registry::base64_encode(salt);
  doc["cipher"]["name"] = "nacl/secretbox";
  doc["cipher"]["nonce"] = registry::base64_encode(nonce);
  doc["ciphertext"] = registry::base64_encode(sealed);
  return pem(kEncryptedLabel, doc.dump());
}

std::string decrypt_private_key_der(std::string_view body, const std::string& password, const std::string& source) {
  init_sodium();
  auto damaged = [&](const std::string& what) {
    return Error(ErrorKind::invalid_input, source + ": not a valid encrypted key: " + what);
  };
  auto doc = parse_json_limited<nlohmann::json>(body, source, {8, 64u << 10});
  if (!doc.is_object()) throw damaged("the PEM body is not JSON");
  try {
    if (doc.at("kdf").at("name") != "scrypt") throw damaged("unknown kdf " + doc["kdf"]["name"].dump());
    if (doc.at("cipher").at("name") != "nacl/secretbox")
      throw damaged("unknown cipher " + doc["cipher"]["name"].dump());
    const auto& p = doc.at("kdf").at("params");
    ScryptParams params{p.at("N").get<uint64_t>(), p.at("r").get<uint64_t>(), p.at("p").get<uint64_t>()};
    bool known = false;
    for (const auto& k : kKnown) known = known || (k.n == params.n && k.r == params.r && k.p == params.p);
    if (!known) throw damaged("scrypt parameters other than cosign's (N 2^15-2^17, r 8, p 1)");
    auto salt = registry::base64_decode(doc.at("kdf").at("salt").get<std::string>());
    auto nonce = registry::base64_decode(doc.at("cipher").at("nonce").get<std::string>());
    auto sealed = registry::base64_decode(doc.at("ciphertext").get<std::string>());
    if (!salt || !nonce || !sealed) throw damaged("bad base64");
    if (nonce->size() != kNonceSize || sealed->size() < crypto_secretbox_MACBYTES) throw damaged("truncated");
    std::string key = derive_key(password, *salt, params);
    std::string der(sealed->size() - crypto_secretbox_MACBYTES, '\0');
    int opened = crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(der.data()),
                                            reinterpret_cast<const unsigned char*>(sealed->data()), sealed->size(),
                                            reinterpret_cast<const unsigned char*>(nonce->data()),
                                            reinterpret_cast<const unsigned char*>(key.data()));
    sodium_memzero(key.data(), key.size());
    if (opened != 0) {
      throw Error(ErrorKind::auth, source + ": wrong password (or the key was altered)",
                  "the password comes from COSIGN_PASSWORD, else a prompt on the terminal");
    }
    return der;
  } catch (const nlohmann::json::exception&) {
    throw damaged("fields missing or of the wrong type");
  }
}

KeyPair generate_key_pair(const std::string& password) {
  EVP_PKEY* raw = EVP_EC_gen("P-256");
  if (!raw) throw Error(ErrorKind::external, "generating a P-256 key failed");
  Key key(raw);
  std::string der = private_der(key.get());
  KeyPair pair{encrypt_private_key_der(der, password), public_key_pem(key)};
  OPENSSL_cleanse(der.data(), der.size());
  return pair;
}

Key load_private_key(std::string_view text, const PasswordSource& password, const std::string& source) {
  auto block = read_pem(text);
  if (!block)
    throw Error(ErrorKind::invalid_input, source + ": not a PEM private key", "give cosign.key or a PEM private key");
  auto& [label, bytes] = *block;
  std::string der;
  if (label == kEncryptedLabel || label == kLegacyEncryptedLabel) {
    der = decrypt_private_key_der(bytes, password ? password() : std::string(), source);
  } else if (label == "PRIVATE KEY" || label == "EC PRIVATE KEY" || label == "RSA PRIVATE KEY") {
    der = bytes;
  } else if (label == "ENCRYPTED PRIVATE KEY") {
    throw Error(ErrorKind::invalid_input, source + ": a PKCS#8-encrypted key, which cosign does not read either",
                "convert it: openssl pkcs8 -in KEY -out plain.pem, or use wasme generate-key-pair");
  } else {
    throw Error(ErrorKind::invalid_input, source + ": a \"" + label + "\" PEM is not a private key");
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* raw = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
  OPENSSL_cleanse(der.data(), der.size());
  if (!raw)
    throw Error(ErrorKind::invalid_input, source + ": the key inside the PEM cannot be read (truncated or damaged?)");
  Key key(raw);
  check_supported(key, source);
  return key;
}

Key load_public_key(std::string_view text, const std::string& source) {
  auto block = read_pem(text);
  if (!block || block->first != "PUBLIC KEY") {
    throw Error(ErrorKind::invalid_input, source + ": not a PEM public key (\"PUBLIC KEY\")", "give cosign.pub");
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(block->second.data());
  EVP_PKEY* raw = d2i_PUBKEY(nullptr, &p, static_cast<long>(block->second.size()));
  if (!raw) throw Error(ErrorKind::invalid_input, source + ": the public key cannot be read (truncated or damaged?)");
  Key key(raw);
  check_supported(key, source);
  return key;
}

std::string public_key_pem(const Key& key) {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key.get(), &der);
  if (size <= 0) throw Error(ErrorKind::external, "encoding the public key failed");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  return pem("PUBLIC KEY", out);
}

}  // namespace wasme::sign
