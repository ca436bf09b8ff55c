#include "wasme/sign/cosign.hpp"

#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/registry/base64.hpp"
#include "wasme/registry/download.hpp"
#include "wasme/registry/manifest_fetch.hpp"
#include "wasme/registry/upload.hpp"
#include "wasme/sign/signature.hpp"

namespace wasme::sign {
namespace {

constexpr const char* kPayloadType = "application/vnd.dev.cosign.simplesigning.v1+json";
constexpr const char* kSignatureAnnotation = "dev.cosignproject.cosign/signature";
constexpr const char* kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr uint64_t kMaxPayload = 64u << 10;  // cosign's payloads are a few hundred bytes
constexpr size_t kMaxSignatures = 200;       // a hostile signature manifest is not worth more

// The signature manifest of a digest, or nullopt when there is none yet.
std::optional<oci::Manifest> signature_manifest(registry::Client& client, const oci::Reference& ref,
                                                const oci::Digest& digest) {
  try {
    auto raw = registry::fetch_manifest(client, ref, signature_tag(digest), std::nullopt);
    return with_context("reading the signature manifest " + signature_tag(digest),
                        [&] { return oci::Manifest::parse(raw.bytes); });
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) return std::nullopt;
    throw;
  }
}

std::string fetch_payload(registry::Client& client, const oci::Reference& ref, const oci::Descriptor& layer) {
  std::string payload;
  registry::download_blob(
      client, ref.registry, ref.repository, layer, kMaxPayload,
      [&payload]() -> registry::BlobSink {
        payload.clear();
        return [&payload](std::string_view bytes) { payload.append(bytes); };
      },
      "signature payload");
  return payload;  // download_blob checked its size and digest
}

// The config cosign's images carry (go-containerregistry's empty image with the layers added).
std::string config_json(const std::vector<oci::Descriptor>& layers) {
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const auto& l : layers) diff_ids.push_back(l.digest.str());
  nlohmann::json config = {{"architecture", ""},
                           {"config", nlohmann::json::object()},
                           {"created", "0001-01-01T00:00:00Z"},
                           {"history", nlohmann::json::array({{{"created", "0001-01-01T00:00:00Z"}}})},
                           {"os", ""},
                           {"rootfs", {{"diff_ids", diff_ids}, {"type", "layers"}}}};
  return config.dump();
}

void push_bytes(registry::Client& client, const oci::Reference& ref, const std::string& bytes, const std::string& label,
                const TempDir& scratch) {
  oci::Digest digest = oci::sha256_of(bytes);
  fs::path file = scratch.path() / digest.hex();
  write_file_atomic(file, bytes);
  registry::push_blob(client, ref.registry, ref.repository, {file, digest, bytes.size(), label});
}

bool signed_by(const Key& key, const std::string& payload, const oci::Descriptor& layer) {
  auto it = layer.annotations.find(kSignatureAnnotation);
  if (it == layer.annotations.end()) return false;
  auto signature = registry::base64_decode(it->second);
  return signature && verify_payload(key, payload, *signature);
}

}  // namespace

std::string signature_tag(const oci::Digest& digest) { return "sha256-" + digest.hex() + ".sig"; }

std::string docker_reference(const oci::Reference& reference) {
  return reference.registry + "/" + reference.repository;
}

SignResult sign_image(registry::Client& client, const oci::Reference& ref, const Key& key) {
  return with_context("signing " + ref.str(), [&] {
    SignResult result;
    result.manifest_digest = registry::fetch_manifest(client, ref, ref.manifest_ref(), ref.digest).digest;
    result.signature_tag = signature_tag(result.manifest_digest);
    const std::string payload = simple_signing_payload(docker_reference(ref), result.manifest_digest);
    const oci::Digest payload_digest = oci::sha256_of(payload);

    oci::Manifest manifest;
    manifest.media_type = std::string(oci::media_type::oci_manifest);
    if (auto existing = signature_manifest(client, ref, result.manifest_digest)) {
      manifest.layers = existing->layers;  // every signature already there stays
      manifest.annotations = existing->annotations;
    }
    for (const auto& layer : manifest.layers) {
      // Same payload, and this key's signature verifies over it: nothing to add.
      if (layer.digest == payload_digest && signed_by(key, payload, layer)) {
        result.already_signed = true;
        result.signatures = manifest.layers.size();
        return result;
      }
    }
    oci::Descriptor layer;
    layer.media_type = kPayloadType;
    layer.digest = payload_digest;
    layer.size = payload.size();
    layer.annotations[kSignatureAnnotation] = registry::base64_encode(sign_payload(key, payload));
    manifest.layers.push_back(layer);

    const std::string config = config_json(manifest.layers);
    manifest.config.media_type = kConfigType;
    manifest.config.digest = oci::sha256_of(config);
    manifest.config.size = config.size();
    TempDir scratch("wasme-sign-");
    push_bytes(client, ref, payload, "signature payload", scratch);
    push_bytes(client, ref, config, "signature config", scratch);
    registry::put_manifest(client, ref, result.signature_tag, manifest.media_type, manifest.serialize());
    result.signatures = manifest.layers.size();
    return result;
  });
}

VerifyResult verify_image(registry::Client& client, const oci::Reference& ref, const Key& public_key,
                          const std::optional<oci::Digest>& digest) {
  return with_context("verifying " + ref.str(), [&] {
    VerifyResult result;
    result.manifest_digest =
        digest ? *digest : registry::fetch_manifest(client, ref, ref.manifest_ref(), ref.digest).digest;
    auto manifest = signature_manifest(client, ref, result.manifest_digest);
    if (!manifest || manifest->layers.empty()) {
      throw Error(ErrorKind::integrity,
                  "no signatures for " + result.manifest_digest.str() + " (no tag " +
                      signature_tag(result.manifest_digest) + ")",
                  "sign it: wasme sign " + ref.str() + " --key cosign.key");
    }
    if (manifest->layers.size() > kMaxSignatures) {
      throw Error(ErrorKind::integrity, "the signature manifest lists " + std::to_string(manifest->layers.size()) +
                                            " layers, more than the " + std::to_string(kMaxSignatures) +
                                            " wasme reads");
    }
    size_t index = 0;
    for (const auto& layer : manifest->layers) {
      const std::string which = "signature " + std::to_string(++index);
      if (layer.media_type != kPayloadType) continue;
      ++result.signatures;
      if (layer.size > kMaxPayload) {
        result.problems.push_back(which + ": a payload of " + std::to_string(layer.size) + " bytes, over the limit");
        continue;
      }
      std::string payload;
      try {
        payload = fetch_payload(client, ref, layer);
      } catch (const Error& e) {
        result.problems.push_back(which + ": " + e.what());
        continue;
      }
      if (!signed_by(public_key, payload, layer)) {
        result.problems.push_back(which + ": does not verify with the key");
        continue;
      }
      auto claims = parse_payload(payload);
      if (!claims) {
        result.problems.push_back(which + ": the payload is not a cosign simple-signing payload");
        continue;
      }
      if (claims->manifest_digest != result.manifest_digest.str()) {
        result.problems.push_back(which + ": the payload names " + claims->manifest_digest + ", not " +
                                  result.manifest_digest.str());
        continue;
      }
      ++result.verified;
    }
    if (result.verified == 0) {
      std::string why = result.signatures == 0
                            ? "no cosign signatures in " + signature_tag(result.manifest_digest)
                            : "none of the " + std::to_string(result.signatures) + " signatures verifies";
      for (const auto& p : result.problems) why += "; " + p;
      throw Error(ErrorKind::integrity, why, "check that the key is the public half of the one that signed");
    }
    return result;
  });
}

}  // namespace wasme::sign
