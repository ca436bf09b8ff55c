#pragma once
#include "wasme/registry/client.hpp"
#include "wasme/registry/pull.hpp"
#include "wasme/sign/cosign.hpp"
#include "wasme/store/store.hpp"

// --verify-key: images are checked against their signatures before anything is stored,
// rendered or cached.
namespace wasme::sign {

struct VerifiedPull {
  VerifyResult verification;
  registry::PullResult pull;
};
// Verifies reference's current digest, then pulls exactly that digest (stored under the
// reference). Throws Error(integrity) before touching the store when nothing verifies.
VerifiedPull verified_pull(registry::Client& client, store::Store& store, const oci::Reference& reference,
                           const Key& public_key);

// Verifies the digest the store holds for reference against the registry's signatures.
VerifyResult verify_stored(registry::Client& client, const store::Store& store, const oci::Reference& reference,
                           const Key& public_key);

// The reference pinned to its current digest once that digest verified (for fetchers that do
// not store, like the cache's).
oci::Reference verified_reference(registry::Client& client, const oci::Reference& reference, const Key& public_key);

}  // namespace wasme::sign
