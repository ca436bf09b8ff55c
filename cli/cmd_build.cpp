// wasme build: the group for build cpp and build precompiled.
#include "cli/command.hpp"

namespace wasme::cli {
namespace {
const Registration registration{{"build", "Build a filter and store it as an image", nullptr}};
}  // namespace
}  // namespace wasme::cli
