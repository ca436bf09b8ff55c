#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wasme::registry {

// HTTP header fields in arrival order. Lookups ignore case: HTTP/2 sends names lowercase.
class Headers {
 public:
  void add(std::string name, std::string value);
  // Replaces every field called name.
  void set(const std::string& name, std::string value);
  void remove(std::string_view name);
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> get_all(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// A request body: bytes in memory, or a range of a file (blobs are sent from disk, so
// memory stays flat whatever their size, and a retry can send the range again).
struct RequestBody {
  std::string bytes;
  std::optional<std::filesystem::path> file;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;

  static RequestBody from_string(std::string bytes);
  static RequestBody from_file(std::filesystem::path file, std::uint64_t offset, std::uint64_t length);
  std::uint64_t size() const { return file ? length : bytes.size(); }
};

struct Request {
  std::string method = "GET";
  std::string url;  // absolute
  Headers headers;
  std::optional<RequestBody> body;
  // A 2xx body goes to sink when set (streaming); otherwise into Response::body, and a body
  // larger than max_body is an error. Non-2xx bodies are kept (first 64 KiB) for messages.
  std::function<void(std::string_view chunk)> sink;
  std::uint64_t max_body = 4u << 20;
  // Bytes sent or received so far, for progress display; called about once a second even
  // when nothing moves. Throwing from it (a cancellation) aborts the request.
  std::function<void(std::uint64_t done)> progress;
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;
  std::string url;  // the URL that gave this answer (set by the client, after redirects)
  // On a final 401: the credentials the registry refused (Authenticator::credential_in_use).
  std::string refused_credential;
};

// Sends one HTTP request and nothing more: no redirects, no auth, no retries (the client
// layers those on top). Network failures throw RequestError (request_error.hpp).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Response send(const Request& request) = 0;
};

}  // namespace wasme::registry
