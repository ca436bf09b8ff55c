#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "wasme/oci/digest.hpp"
#include "wasme/sign/keys.hpp"

// cosign's simple signing: the payload that names an image digest, and the signature over it.
namespace wasme::sign {

// The payload cosign signs for an image (sigstore/cosign pkg/cosign/payload, "critical" as
// in containers/image's simple signing), serialized as Go's json.Marshal writes it:
// {"critical":{"identity":{"docker-reference":REPO},"image":{"docker-manifest-digest":D},
//  "type":"cosign container image signature"},"optional":null}
std::string simple_signing_payload(const std::string& docker_reference, const oci::Digest& digest);

// What a payload claims; nullopt when it is not a cosign simple-signing payload.
struct PayloadClaims {
  std::string docker_reference;
  std::string manifest_digest;
};
std::optional<PayloadClaims> parse_payload(std::string_view payload);

// The raw signature (ECDSA: ASN.1 DER over SHA-256; RSA: PKCS#1 v1.5 SHA-256; Ed25519: pure).
std::string sign_payload(const Key& key, std::string_view payload);
bool verify_payload(const Key& public_key, std::string_view payload, std::string_view signature);

}  // namespace wasme::sign
