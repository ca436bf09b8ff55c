#include "wasme/image/package.hpp"

#include <algorithm>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/abi_check.hpp"
#include "wasme/image/convert.hpp"
#include "wasme/image/validate.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/wasm/module.hpp"

namespace wasme::image {
namespace {

oci::RuntimeConfig build_config(const PackageRequest& request, wasm::ProxyAbi module_abi) {
  oci::RuntimeConfig config;
  if (request.config_file) {
    config = oci::RuntimeConfig::parse(read_file(*request.config_file, max_config_size), request.config_file->string());
  }
  // Flags given next to --config override the file's fields.
  if (!request.root_ids.empty()) config.root_ids = request.root_ids;
  if (!request.abi_versions.empty()) config.abi_versions = request.abi_versions;
  if (config.abi_versions.empty()) {
    std::string recorded = wasm::runtime_abi_version(module_abi);
    if (!recorded.empty()) config.abi_versions.push_back(recorded);
  }
  return config;
}

wasm::ModuleInfo read_checked_module(const fs::path& file) {
  if (!fs::exists(file)) {
    throw Error(ErrorKind::not_found, "module file " + file.string() + " does not exist");
  }
  if (fs::is_directory(file)) {
    throw Error(ErrorKind::invalid_input, "module file " + file.string() + " is a directory",
                "give the path of a .wasm file");
  }
  return validate_module_file(file);
}

}  // namespace

PackageResult package_module(store::Store& store, const PackageRequest& request) {
  return with_context("packaging " + request.wasm_file.string() + " as \"" + request.reference.str() + "\"", [&] {
    // Everything that can refuse the input runs before the store is touched.
    wasm::ModuleInfo module = read_checked_module(request.wasm_file);
    oci::RuntimeConfig config = build_config(request, module.abi);
    PackageResult result;
    if (module.abi == wasm::ProxyAbi::none) {
      result.warnings.push_back(request.wasm_file.string() +
                                " exports no proxy-wasm callbacks (proxy_on_*); Envoy will not "
                                "load it as a filter");
    }
    if (module.abi == wasm::ProxyAbi::pre_0_1_0) {
      result.warnings.push_back(request.wasm_file.string() +
                                " has snake_case proxy_on_* callbacks but no proxy_abi_version_* "
                                "export (pre-0.1.0): no Istio release loads it; rebuild it with a "
                                "proxy-wasm SDK");
    }
    if (auto mismatch = abi_mismatch(config, module.abi)) result.warnings.push_back(*mismatch);

    TempDir work("wasme-package-");
    BuiltArtifact built = build_artifact(request.format, request.wasm_file, config, work.path());
    const oci::Manifest& manifest = built.manifest;
    std::string config_bytes = read_file(built.blobs.front().file, max_config_size);
    // The very checks pull and the cache's fetch make, on exactly what is about to be
    // stored, so an image built here is one they accept (and the other way round).
    validate_artifact({oci::classify(manifest), manifest.config, config_bytes, request.wasm_file, ""});
    oci::Descriptor manifest_descriptor{std::string(oci::media_type::oci_manifest),
                                        oci::sha256_of(built.manifest_bytes),
                                        built.manifest_bytes.size(),
                                        {}};

    // Held from before the first blob is looked for until the index entry has landed: a
    // `wasme rm` of another tag of the same blobs meanwhile does not collect them.
    std::vector<oci::Digest> digests{manifest_descriptor.digest};
    for (const ArtifactBlob& blob : built.blobs) digests.push_back(blob.digest);
    store::BlobPin pin = store.pin_blobs(digests);
    for (const ArtifactBlob& blob : built.blobs) store.put_blob_file(blob.file, blob.digest, blob.size);
    store.put_blob(built.manifest_bytes, manifest_descriptor.digest);
    store.add_image(request.reference, manifest_descriptor);
    pin.release();

    result.image.reference = request.reference;
    result.image.manifest_digest = manifest_descriptor.digest;
    result.image.manifest_media_type = manifest_descriptor.media_type;
    result.image.format = request.format;
    result.image.wasm_digest = built.wasm_digest;
    result.image.wasm_size = built.wasm_size;
    // As summarize reads it back: only the wasme format carries a runtime config blob.
    if (request.format == oci::ArtifactFormat::wasme) result.image.config = config;
    result.image.module_abi = module.abi;
    result.image.manifest = manifest;
    return result;
  });
}

}  // namespace wasme::image
