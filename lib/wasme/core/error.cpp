#include "wasme/core/error.hpp"

#include <utility>

namespace wasme {

Error::Error(ErrorKind kind, const std::string& message, std::string hint)
    : std::runtime_error(message), kind_(kind), hint_(std::move(hint)) {}

Error& Error::with_exit_status(int status) {
  exit_status_ = status;
  return *this;
}

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage: return "usage";
    case ErrorKind::invalid_input: return "invalid_input";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::auth: return "auth";
    case ErrorKind::network: return "network";
    case ErrorKind::integrity: return "integrity";
    case ErrorKind::io: return "io";
    case ErrorKind::registry: return "registry";
    case ErrorKind::external: return "external";
  }
  return "unknown";
}

}  // namespace wasme
