#include "cli/build_output.hpp"

#include <iostream>

#include "cli/image_view.hpp"

namespace wasme::cli {

void print_build_result(const image::PackageResult& result, OutputFormat format,
                        const std::optional<std::filesystem::path>& built_file) {
  for (const auto& w : result.warnings) warn(w);
  const auto& image = result.image;
  if (format == OutputFormat::json) {
    nlohmann::json out = image_json(image);
    if (built_file) out["builtFile"] = built_file->string();
    return print_json(out);
  }
  std::cout << "stored " << image.reference.str() << "\n"
            << "manifest digest: " << image.manifest_digest.str() << "\n"
            << "wasm sha256:     " << image.wasm_digest.hex() << "\n";
}

}  // namespace wasme::cli
