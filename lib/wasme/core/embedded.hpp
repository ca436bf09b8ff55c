#pragma once
#include <string_view>
#include <vector>

namespace wasme {

// A file compiled into the binary (the `init` templates), by path relative to templates/.
struct EmbeddedFile {
  std::string_view path;
  std::string_view content;
};

// Every embedded file, sorted by path.
const std::vector<EmbeddedFile>& embedded_files();

}  // namespace wasme
