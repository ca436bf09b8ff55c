#include "wasme/core/log.hpp"

namespace wasme {

void Log::operator()(std::string_view line) const {
  if (sink_) sink_(line);
}

}  // namespace wasme
