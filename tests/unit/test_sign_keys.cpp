// Key formats: cosign's encrypted keys (good, wrong password, truncated, tampered parameters),
// unencrypted PEM kinds, unsupported curves; and the simple-signing payload.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "wasme/core/error.hpp"
#include "wasme/registry/base64.hpp"
#include "wasme/sign/keys.hpp"
#include "wasme/sign/signature.hpp"

using namespace wasme;
using namespace wasme::sign;

namespace {

std::string pem_of(EVP_PKEY* key, bool traditional) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (traditional) PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  else PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return out;
}

PasswordSource password(std::string p) {
  return [p] { return p; };
}

const oci::Digest kDigest = oci::Digest::from_hex(std::string(64, 'a'));

}  // namespace

TEST_CASE("a generated key pair: the encrypted key opens with its password and signs what the public key verifies") {
  KeyPair pair = generate_key_pair("pw");
  CHECK(pair.private_pem.rfind("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n", 0) == 0);
  Key key = load_private_key(pair.private_pem, password("pw"), "cosign.key");
  CHECK(key.describe() == "ECDSA P-256");
  Key pub = load_public_key(pair.public_pem, "cosign.pub");
  const std::string payload = simple_signing_payload("localhost:5000/f", kDigest);
  const std::string signature = sign_payload(key, payload);
  CHECK(verify_payload(pub, payload, signature));
  CHECK_FALSE(verify_payload(pub, payload + " ", signature));
  CHECK_FALSE(verify_payload(load_public_key(generate_key_pair("x").public_pem, "other"), payload, signature));
}

TEST_CASE("a wrong password, a truncated key and tampered parameters are refused, each saying so") {
  KeyPair pair = generate_key_pair("right");
  CHECK_THROWS_WITH_AS(load_private_key(pair.private_pem, password("wrong"), "k.key"),
                       doctest::Contains("k.key: wrong password"), Error);
  try {
    load_private_key(pair.private_pem, password("wrong"), "k.key");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::auth);
  }
  std::string truncated = pair.private_pem.substr(0, pair.private_pem.size() / 2);
  CHECK_THROWS_WITH_AS(load_private_key(truncated, password("right"), "k.key"), doctest::Contains("k.key: not a PEM"),
                       Error);
  // The JSON inside, with a scrypt N no cosign writes (a memory bomb if obeyed).
  std::string body = R"({"kdf":{"name":"scrypt","params":{"N":1073741824,"r":8,"p":1},"salt":"AAAA"},)"
                     R"("cipher":{"name":"nacl/secretbox","nonce":"AAAA"},"ciphertext":"AAAA"})";
  CHECK_THROWS_WITH_AS(decrypt_private_key_der(body, "right", "k.key"),
                       doctest::Contains("scrypt parameters other than cosign's"), Error);
  CHECK_THROWS_WITH_AS(decrypt_private_key_der("not json", "right", "k.key"), doctest::Contains("not JSON"), Error);
  std::string short_nonce = R"({"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"AAAA"},)"
                            R"("cipher":{"name":"nacl/secretbox","nonce":"AAAA"},"ciphertext":"AAAA"})";
  CHECK_THROWS_WITH_AS(decrypt_private_key_der(short_nonce, "right", "k.key"), doctest::Contains("truncated"), Error);
}

TEST_CASE("unencrypted PEM keys: PKCS#8 and SEC1 P-256, RSA, Ed25519; other curves are refused") {
  struct Kind {
    std::string pem;
    std::string description;
  };
  const Kind kinds[] = {
      {pem_of(EVP_EC_gen("P-256"), false), "ECDSA P-256"},  // PRIVATE KEY (PKCS#8)
      {pem_of(EVP_EC_gen("P-256"), true), "ECDSA P-256"},   // EC PRIVATE KEY (SEC1)
      {pem_of(EVP_RSA_gen(2048), true), "RSA 2048"},        // RSA PRIVATE KEY (PKCS#1)
      {pem_of(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), false), "Ed25519"},
  };
  for (const auto& kind : kinds) {
    CAPTURE(kind.pem.substr(0, 40));
    Key key = load_private_key(kind.pem, nullptr, "plain.pem");
    CHECK(key.describe() == kind.description);
    Key pub = load_public_key(public_key_pem(key), "plain.pub");
    CHECK(verify_payload(pub, "payload", sign_payload(key, "payload")));
  }
  CHECK_THROWS_WITH_AS(load_private_key(pem_of(EVP_EC_gen("P-384"), false), nullptr, "p384.pem"),
                       doctest::Contains("p384.pem: an ECDSA key on curve secp384r1"), Error);
  CHECK_THROWS_WITH_AS(
      load_private_key("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", nullptr, "c.pem"),
      doctest::Contains("is not a private key"), Error);
  CHECK_THROWS_WITH_AS(load_public_key("garbage", "g.pub"), doctest::Contains("g.pub: not a PEM public key"), Error);
}

TEST_CASE("the simple-signing payload is byte for byte what cosign signs, and parses back") {
  const std::string payload = simple_signing_payload("localhost:5000/team/f", kDigest);
  CHECK(
      payload ==
      R"({"critical":{"identity":{"docker-reference":"localhost:5000/team/f"},"image":{"docker-manifest-digest":"sha256:)" +
          std::string(64, 'a') + R"("},"type":"cosign container image signature"},"optional":null})");
  auto claims = parse_payload(payload);
  REQUIRE(claims);
  CHECK(claims->manifest_digest == kDigest.str());
  CHECK(claims->docker_reference == "localhost:5000/team/f");
  CHECK_FALSE(parse_payload("{}"));
  CHECK_FALSE(parse_payload(R"({"critical":{"type":"something else","image":{"docker-manifest-digest":"x"}}})"));
  CHECK_FALSE(parse_payload("[1,2"));
}
