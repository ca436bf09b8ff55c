#pragma once
#include <string>

namespace wasme {

// The version this build of wasme carries (CMake's PROJECT_VERSION, e.g. "0.1.0"). The library
// needs it too: what it renders names artifacts of exactly this release (the cache image).
const std::string& version();

}  // namespace wasme
