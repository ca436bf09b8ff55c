#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "wasme/oci/manifest.hpp"
#include "wasme/oci/runtime_config.hpp"

namespace wasme::image {

// The compat variant (wasme-facts §2.2): an ordinary image whose single layer is a
// tar+gzip holding plugin.wasm (and runtime-config.json). Written deterministically with
// libarchive (fixed mtime, uid, gid, order), so the same module gives the same digests.
struct CompatImage {
  oci::Manifest manifest;  // OCI manifest, annotation module.wasm.image/variant=compat
  std::string manifest_bytes;
  std::filesystem::path config_file;  // OCI image config blob
  std::filesystem::path layer_file;   // the tar+gzip blob
};
// Writes the config and layer blobs into work_dir (constant memory for any module size).
CompatImage make_compat_image(const std::filesystem::path& wasm_file, const oci::RuntimeConfig& config,
                              const std::filesystem::path& work_dir);

// Extracts plugin.wasm from a tar+gzip layer into dest (through a temp file), refusing
// absolute paths, "..", links, devices and a plugin.wasm over max_size. Throws
// Error(invalid_input) naming the offending entry; Error(not_found) without plugin.wasm.
void extract_plugin_wasm(const std::filesystem::path& tar_gz, const std::filesystem::path& dest,
                         std::uint64_t max_size);

}  // namespace wasme::image
