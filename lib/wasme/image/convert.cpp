#include "wasme/image/convert.hpp"

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/oci/cncf_config.hpp"
#include "wasme/wasm/module.hpp"

namespace wasme::image {
namespace {

ArtifactBlob blob_in(const fs::path& work_dir, const std::string& name, const std::string& bytes,
                     const std::string& label) {
  fs::path file = work_dir / name;
  write_file_atomic(file, bytes, 0644, Durability::no_fsync);
  return {file, oci::sha256_of(bytes), bytes.size(), label};
}

}  // namespace

BuiltArtifact build_artifact(oci::ArtifactFormat format, const fs::path& module, const oci::RuntimeConfig& given,
                             const fs::path& work_dir) {
  fs::create_directories(work_dir);
  // A config without an ABI (a compat or CNCF source has no runtime config blob) records the
  // module's own, as `build precompiled` does.
  oci::RuntimeConfig config = given;
  if (config.abi_versions.empty()) {
    std::string recorded = wasm::runtime_abi_version(wasm::read_module_file(module).abi);
    if (!recorded.empty()) config.abi_versions.push_back(recorded);
  }
  BuiltArtifact out;
  out.format = format;
  oci::FileDigest wasm = oci::sha256_of_file(module);
  out.wasm_digest = wasm.digest;
  out.wasm_size = wasm.size;
  switch (format) {
    case oci::ArtifactFormat::wasme: {
      out.manifest = oci::make_wasm_manifest(config, wasm.digest, wasm.size);
      out.blobs.push_back(blob_in(work_dir, "wasme-config.json", config.serialize(), "runtime-config.json"));
      out.blobs.push_back({module, wasm.digest, wasm.size, "filter.wasm"});
      break;
    }
    case oci::ArtifactFormat::cncf: {
      oci::CncfConfig cncf = oci::CncfConfig::for_module(wasm.digest);
      out.manifest = oci::make_cncf_manifest(cncf, config, wasm.digest, wasm.size);
      out.blobs.push_back(blob_in(work_dir, "cncf-config.json", cncf.serialize(), "config"));
      out.blobs.push_back({module, wasm.digest, wasm.size, "plugin.wasm"});
      break;
    }
    case oci::ArtifactFormat::compat: {
      CompatImage compat = make_compat_image(module, config, work_dir);
      out.manifest = compat.manifest;
      out.blobs.push_back({compat.config_file, compat.manifest.config.digest, compat.manifest.config.size, "config"});
      const oci::Descriptor& layer = compat.manifest.layers.back();
      out.blobs.push_back({compat.layer_file, layer.digest, layer.size, "plugin.wasm (tar+gzip)"});
      break;
    }
    case oci::ArtifactFormat::solo_2019:
    case oci::ArtifactFormat::unknown:
      throw Error(ErrorKind::usage, std::string("wasme does not write the ") + oci::to_string(format) + " format",
                  "choose wasme, compat or cncf");
  }
  out.manifest_bytes = out.manifest.serialize();
  return out;
}

}  // namespace wasme::image
