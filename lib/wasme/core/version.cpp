#include "wasme/core/version.hpp"

// CMakeLists.txt defines it on wasme_core from PROJECT_VERSION, the one place a release is named.
#ifndef WASME_VERSION
#error "WASME_VERSION is not defined: build through CMake"
#endif

namespace wasme {

const std::string& version() {
  static const std::string value = WASME_VERSION;
  return value;
}

}  // namespace wasme
