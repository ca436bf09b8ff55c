#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;

// Signing keys in the formats cosign reads and writes: the private key as cosign's
// "ENCRYPTED SIGSTORE PRIVATE KEY" PEM (scrypt + NaCl secretbox over PKCS#8, the format of
// secure-systems-lab/go-securesystemslib's encrypted package), or an unencrypted PEM; the
// public key as a PKIX "PUBLIC KEY" PEM. Kinds: ECDSA P-256, RSA, Ed25519.
namespace wasme::sign {

class Key {
 public:
  explicit Key(EVP_PKEY* key);  // takes ownership
  EVP_PKEY* get() const { return key_.get(); }
  // "ECDSA P-256", "RSA 2048", "Ed25519".
  std::string describe() const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

// The password for an encrypted key; called only when the key is encrypted.
using PasswordSource = std::function<std::string()>;

struct KeyPair {
  std::string private_pem;  // ENCRYPTED SIGSTORE PRIVATE KEY
  std::string public_pem;   // PUBLIC KEY
};

// A new ECDSA P-256 key pair, as `cosign generate-key-pair` makes (its default key).
KeyPair generate_key_pair(const std::string& password);

// cosign's encrypted container for PKCS#8 DER bytes, and back. decrypt throws
// Error(auth) for a wrong password, Error(invalid_input) for a damaged document.
std::string encrypt_private_key_der(std::string_view der, const std::string& password);
std::string decrypt_private_key_der(std::string_view pem_body_json, const std::string& password,
                                    const std::string& source);

// A private key from PEM text: cosign's encrypted format (asks password()), or unencrypted
// PKCS#8 ("PRIVATE KEY"), SEC1 ("EC PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY"). Throws
// Error(invalid_input) naming source and what is wrong, including unsupported key kinds.
Key load_private_key(std::string_view pem, const PasswordSource& password, const std::string& source);
// A public key from a "PUBLIC KEY" PEM.
Key load_public_key(std::string_view pem, const std::string& source);
std::string public_key_pem(const Key& key);

}  // namespace wasme::sign
