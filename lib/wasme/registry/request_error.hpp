#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "wasme/core/error.hpp"
#include "wasme/registry/transport.hpp"

namespace wasme::registry {

// Why a request failed, precisely enough to decide on retries and the loopback fallback.
enum class Failure {
  status,           // the server answered with an unexpected HTTP status
  connect,          // could not connect (refused, unresolvable)
  connect_timeout,  // the connection was not established in time
  stall,            // connected, but no data moved for the stall timeout
  reset,            // the connection broke mid-request (reset, EOF, cut)
  tls_not_spoken,   // the TLS handshake failed: the server probably speaks plain HTTP
  tls_verify,       // the server's certificate did not verify
  too_large,        // the answer is larger than we accept
  other,
};

// An Error from one HTTP exchange; carries what the retry policy needs.
class RequestError : public Error {
 public:
  RequestError(ErrorKind kind, const std::string& message, std::string hint, Failure failure, long status = 0,
               std::optional<std::chrono::milliseconds> retry_after = {});
  Failure failure() const { return failure_; }
  long status() const { return status_; }
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  // 5xx, 408, 429, resets and timeouts: worth another attempt.
  bool retryable() const;

 private:
  Failure failure_;
  long status_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

// True for the statuses a retry can fix: 408, 429 and 5xx except 501 and 505.
bool is_retryable_status(long status);

// "MANIFEST_UNKNOWN: manifest unknown; BLOB_UNKNOWN: …" from a distribution error body
// ({"errors":[{"code","message","detail"}]}); "" when the body holds no such list.
std::string describe_error_body(std::string_view body);

// Throws RequestError for response: the typed registry error, the status, a hint for
// 401/403, and Retry-After for 429/503. `what` names the exchange ("fetching manifest v1").
[[noreturn]] void raise_for_status(const Response& response, const std::string& what);

}  // namespace wasme::registry
