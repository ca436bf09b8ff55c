#include "wasme/sign/verified.hpp"

namespace wasme::sign {

VerifiedPull verified_pull(registry::Client& client, store::Store& store, const oci::Reference& reference,
                           const Key& public_key) {
  VerifiedPull out;
  out.verification = verify_image(client, reference, public_key);
  out.pull = registry::pull(client, store, reference, out.verification.manifest_digest);
  return out;
}

VerifyResult verify_stored(registry::Client& client, const store::Store& store, const oci::Reference& reference,
                           const Key& public_key) {
  const oci::Digest stored = store.get(reference).manifest.digest;
  return verify_image(client, reference, public_key, stored);
}

oci::Reference verified_reference(registry::Client& client, const oci::Reference& reference, const Key& public_key) {
  return reference.with_digest(verify_image(client, reference, public_key).manifest_digest);
}

}  // namespace wasme::sign
