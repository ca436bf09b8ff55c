#pragma once
#include <filesystem>
#include <optional>

#include "cli/output.hpp"
#include "wasme/image/package.hpp"

namespace wasme::cli {

// What every `wasme build …` prints: its warnings on stderr, then the stored image (text or
// JSON, with the file the compiler wrote when there is one).
void print_build_result(const image::PackageResult& result, OutputFormat format,
                        const std::optional<std::filesystem::path>& built_file = std::nullopt);

}  // namespace wasme::cli
