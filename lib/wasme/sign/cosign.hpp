#pragma once
#include <string>
#include <vector>

#include "wasme/oci/digest.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/registry/client.hpp"
#include "wasme/sign/keys.hpp"

// Signatures where cosign keeps them: the tag sha256-<hex>.sig in the image's repository, an
// OCI manifest whose layers are simple-signing payloads with the signature in the layer
// annotation dev.cosignproject.cosign/signature (sigstore/cosign pkg/oci, v2.5).
namespace wasme::sign {

// The tag of the signatures of a manifest digest: "sha256-<hex>.sig".
std::string signature_tag(const oci::Digest& digest);
// The docker-reference a payload names: the repository, as registry/repository.
std::string docker_reference(const oci::Reference& reference);

struct SignResult {
  oci::Digest manifest_digest;  // what was signed
  std::string signature_tag;
  size_t signatures = 0;        // in the signature manifest now
  bool already_signed = false;  // this key's signature for this digest was there already
};

// Resolves ref to its manifest digest and adds a signature by key to the digest's signature
// manifest, keeping every signature already there.
SignResult sign_image(registry::Client& client, const oci::Reference& ref, const Key& key);

struct VerifyResult {
  oci::Digest manifest_digest;        // the digest the signatures were checked for
  size_t signatures = 0;              // found for it
  size_t verified = 0;                // verified with the key and naming the digest
  std::vector<std::string> problems;  // why the others did not count
};

// Checks the signatures of ref's current manifest digest (or of `digest` when given). Throws
// Error(integrity) unless at least one verifies with public_key and its payload names the
// digest, saying why not (no signatures, none verifies, payload names another digest).
VerifyResult verify_image(registry::Client& client, const oci::Reference& ref, const Key& public_key,
                          const std::optional<oci::Digest>& digest = std::nullopt);

}  // namespace wasme::sign
