// libFuzzer entry point for compat layers (tar+gzip): extraction either writes plugin.wasm
// inside the destination or throws wasme::Error; nothing ever lands outside it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "wasme/core/error.hpp"
#include "wasme/image/compat_tar.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  static const fs::path root = fs::temp_directory_path() / ("wasme-fuzz-compat-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::create_directories(root / "out", ec);
  const fs::path layer = root / "layer.tar.gz";
  if (FILE* f = std::fopen(layer.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    wasme::image::extract_plugin_wasm(layer, root / "out" / "plugin.wasm", 1u << 20);
  } catch (const wasme::Error&) {
  }
  // Only the destination (or nothing) may exist besides the layer itself.
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    const auto& p = entry.path();
    if (p != layer && p != root / "out" && p != root / "out" / "plugin.wasm") std::abort();
  }
  fs::remove_all(root, ec);
  return 0;
}
