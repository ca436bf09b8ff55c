#include "wasme/registry/request_error.hpp"
#include "wasme/core/json_limits.hpp"

#include <nlohmann/json.hpp>

#include "wasme/registry/json_util.hpp"
#include "wasme/registry/retry.hpp"

namespace wasme::registry {

RequestError::RequestError(ErrorKind kind, const std::string& message, std::string hint, Failure failure, long status,
                           std::optional<std::chrono::milliseconds> retry_after)
    : Error(kind, message, std::move(hint)), failure_(failure), status_(status), retry_after_(retry_after) {}

bool RequestError::retryable() const {
  switch (failure_) {
    case Failure::status: return is_retryable_status(status_);
    case Failure::connect_timeout:
    case Failure::stall:
    case Failure::reset: return true;
    default: return false;
  }
}

bool is_retryable_status(long status) {
  if (status == 408 || status == 429) return true;
  return status >= 500 && status <= 599 && status != 501 && status != 505;
}

std::string describe_error_body(std::string_view body) {
  nlohmann::json doc;
  try {
    doc = parse_json_limited<nlohmann::json>(body, "the error body", {16, 1u << 20});
  } catch (const Error&) {
    return {};  // an error body too big or too deep says nothing useful
  }
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("errors") || !doc["errors"].is_array()) {
    return "";
  }
  std::string out;
  for (const auto& e : doc["errors"]) {
    if (!e.is_object()) continue;
    std::string code = string_at(e, "code");
    std::string message = string_at(e, "message");
    std::string item = code.empty() ? message : message.empty() ? code : code + ": " + message;
    if (item.empty()) continue;
    if (!out.empty()) out += "; ";
    out += item;
    if (out.size() > 1000) break;  // an answer is not a novel
  }
  return out;
}

namespace {

ErrorKind kind_for_status(long status) {
  if (status == 401 || status == 403) return ErrorKind::auth;
  if (status == 404) return ErrorKind::not_found;
  return ErrorKind::registry;
}

// What a status means when the answer has no error body (HEAD answers never do).
std::string text_for_status(long status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "unauthorized: authentication required";
    case 403: return "denied: access forbidden";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 408: return "request timeout";
    case 413: return "payload too large";
    case 416: return "range not satisfiable";
    case 429: return "too many requests";
    default: return status >= 500 ? "server error" : "unexpected answer";
  }
}

std::string hint_for_status(long status, const std::string& refused_credential) {
  if (status == 401 && !refused_credential.empty()) {
    return "the registry refused the credentials (" + refused_credential +
           "): check the user name and password, or log in again with `wasme login REGISTRY`";
  }
  if (status == 401) {
    return "the registry wants credentials: run `wasme login REGISTRY`, or pass -u/-p or "
           "-c FILE";
  }
  if (status == 403) return "the credentials were accepted but lack access to this repository";
  if (status == 429) return "the registry is rate limiting; try again later";
  return "";
}

}  // namespace

void raise_for_status(const Response& response, const std::string& what) {
  std::string detail = describe_error_body(response.body);
  if (detail.empty()) detail = text_for_status(response.status);
  std::string message = what + ": " + detail + " (HTTP " + std::to_string(response.status) + ")";
  std::optional<std::chrono::milliseconds> retry_after;
  if (auto header = response.headers.get("Retry-After")) {
    retry_after = parse_retry_after(*header, std::chrono::system_clock::now());
  }
  throw RequestError(kind_for_status(response.status), message,
                     hint_for_status(response.status, response.refused_credential), Failure::status, response.status,
                     retry_after);
}

}  // namespace wasme::registry
