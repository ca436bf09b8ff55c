#include <doctest/doctest.h>

#include <regex>

#include "wasme/core/version.hpp"

// The exact value (CMake's PROJECT_VERSION) is checked end to end against `wasme --version`
// in tests/integration/install_package.test.mjs; here, that it is a release version at all.
TEST_CASE("version is MAJOR.MINOR.PATCH") { CHECK(std::regex_match(wasme::version(), std::regex(R"(\d+\.\d+\.\d+)"))); }
