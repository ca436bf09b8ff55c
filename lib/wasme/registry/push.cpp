#include "wasme/registry/push.hpp"

#include <optional>
#include <set>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/convert.hpp"
#include "wasme/image/package.hpp"
#include "wasme/image/summary.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/registry/manifest_fetch.hpp"
#include "wasme/registry/upload.hpp"

namespace wasme::registry {
namespace {

// What goes to the registry: the blobs and the manifest bytes.
struct Artifact {
  std::vector<BlobSource> blobs;
  std::string manifest_bytes;
  std::string media_type;
  oci::Manifest manifest;
  oci::ArtifactFormat format = oci::ArtifactFormat::unknown;
  oci::Digest wasm_digest;
};

std::string label_of(const oci::Descriptor& d, const std::string& fallback) {
  auto title = d.annotations.find(std::string(oci::annotation::title));
  return title != d.annotations.end() ? title->second : fallback;
}

// The stored image as it is: its manifest bytes and every blob it names, once each.
Artifact stored_artifact(const store::Store& store, const oci::Reference& reference) {
  store::StoredImage image = store.get(reference);
  Artifact out;
  out.manifest_bytes = store.read_blob(image.manifest.digest, oci::max_manifest_size);
  out.manifest = oci::Manifest::parse(out.manifest_bytes);
  out.media_type = !out.manifest.media_type.empty() ? out.manifest.media_type : image.manifest.media_type;
  if (out.media_type.empty()) out.media_type = std::string(oci::media_type::oci_manifest);
  oci::ArtifactLayout layout = oci::classify(out.manifest);
  out.format = layout.format;
  out.wasm_digest = layout.format == oci::ArtifactFormat::compat ? image::summarize(store, reference).wasm_digest
                                                                 : layout.module_layer.digest;
  std::set<oci::Digest> seen;
  std::vector<oci::Descriptor> all{out.manifest.config};
  all.insert(all.end(), out.manifest.layers.begin(), out.manifest.layers.end());
  for (const auto& d : all) {
    if (!seen.insert(d.digest).second) continue;
    std::string label = d.digest == layout.module_layer.digest ? label_of(d, "module") : label_of(d, "config");
    out.blobs.push_back({store.blob_path(d.digest), d.digest, d.size, label});
  }
  return out;
}

// The stored image's module and runtime config in another layout, built in work_dir.
Artifact converted_artifact(const store::Store& store, const oci::Reference& reference, oci::ArtifactFormat format,
                            const fs::path& work_dir) {
  image::ImageSummary summary = image::summarize(store, reference);
  fs::path wasm = image::module_file(store, reference, work_dir);
  image::BuiltArtifact built = image::build_artifact(format, wasm, summary.config, work_dir / "artifact");
  Artifact out;
  out.manifest_bytes = built.manifest_bytes;
  out.manifest = built.manifest;
  out.media_type = std::string(oci::media_type::oci_manifest);
  out.format = format;
  out.wasm_digest = built.wasm_digest;
  for (const image::ArtifactBlob& blob : built.blobs)
    out.blobs.push_back({blob.file, blob.digest, blob.size, blob.label});
  return out;
}

// PUTs the manifest under the reference's tag, or its digest when it has no tag.
void put_artifact_manifest(Client& client, const oci::Reference& ref, const Artifact& artifact,
                           const oci::Digest& digest) {
  if (ref.digest && *ref.digest != digest) {
    throw Error(ErrorKind::invalid_input,
                "the reference names digest " + ref.digest->str() + " but the manifest's digest is " + digest.str());
  }
  std::string target = ref.tag ? *ref.tag : digest.str();
  put_manifest(client, ref, target, artifact.media_type, artifact.manifest_bytes);
}

void restore_tag(store::Store& store, const oci::Reference& ref, const std::optional<store::StoredImage>& previous) {
  try {
    if (previous) {
      store.add_image(ref, previous->manifest);
    } else {
      store.remove(ref);
    }
  } catch (const Error&) {
    // The push error is what the user needs; the store keeps the packaged image then.
  }
}

}  // namespace

PushResult push(Client& client, store::Store& store, const PushRequest& request) {
  const oci::Reference& ref = request.reference;
  return with_context("pushing \"" + ref.str() + "\"", [&] {
    PushResult result;
    result.reference = ref;
    std::optional<store::StoredImage> previous;
    if (request.wasm_file) {
      previous = store.find(ref);
      image::PackageResult packaged = image::package_module(store, {*request.wasm_file, ref, {}, {}, {}});
      result.warnings = packaged.warnings;
    }
    try {
      TempDir work("wasme-push-");
      Artifact artifact = stored_artifact(store, ref);
      if (request.format && *request.format != artifact.format) {
        artifact = converted_artifact(store, ref, *request.format, work.path());
      }
      for (const BlobSource& blob : artifact.blobs) {
        UploadOutcome outcome = push_blob(client, ref.registry, ref.repository, blob);
        (outcome == UploadOutcome::uploaded ? result.blobs_uploaded : result.blobs_skipped)++;
      }
      result.manifest_digest = oci::sha256_of(artifact.manifest_bytes);
      put_artifact_manifest(client, ref, artifact, result.manifest_digest);
      result.wasm_digest = artifact.wasm_digest;
      result.manifest_media_type = artifact.media_type;
      result.manifest = artifact.manifest;
      result.format = artifact.format;
    } catch (...) {
      // `push REF FILE` stored FILE as REF only to push it: a failed push puts the store's
      // REF back as it was (the previous image, or none).
      if (request.wasm_file) restore_tag(store, ref, previous);
      throw;
    }
    return result;
  });
}

PushResult push(store::Store& store, const PushRequest& request, const RemoteOptions& options,
                const Observer& observer) {
  Client client(options, observer);
  return push(client, store, request);
}

}  // namespace wasme::registry
