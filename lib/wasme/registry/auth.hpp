#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "wasme/core/clock.hpp"
#include "wasme/core/log.hpp"
#include "wasme/registry/challenge.hpp"
#include "wasme/registry/credentials.hpp"
#include "wasme/registry/retry.hpp"
#include "wasme/registry/transport.hpp"

namespace wasme::registry {

// `Basic base64(user:password)`.
std::string basic_authorization(const std::string& username, const std::string& password);

// A token endpoint's answer: "token" or "access_token", "expires_in" (default 60 s).
struct TokenAnswer {
  std::string token;
  std::chrono::seconds expires_in{60};
  std::string refresh_token;
};
// Parses a token answer; throws Error(auth) when it holds no token.
TokenAnswer parse_token_answer(std::string_view body);

// Token answers are small; a bigger one is refused (oras-go's limit).
inline constexpr std::uint64_t max_token_answer = 128u << 10;

// Answers one registry's authentication challenges for the client: remembers the challenge,
// looks credentials up once (lazily, only when a registry asks), and caches bearer tokens
// per scope ("repository:team/filter:pull,push"; "" for the registry itself).
class Authenticator {
 public:
  using Send = std::function<Response(const Request&)>;
  using Lookup = std::function<std::optional<Credential>()>;
  Authenticator(Lookup lookup, Send send, Clock& clock, Log log);

  // The Authorization value to send for scope, when a previous challenge says what works.
  std::optional<std::string> header_for(const std::string& scope);
  // Learns from a 401 answer to a request to registry_url and prepares new authorization
  // for scope; false when there is nothing new to try (then the 401 is final).
  bool on_unauthorized(const Response& response, const std::string& registry_url, const std::string& scope);
  // The credentials in use, for an error when the registry refuses them ("user \"bob\"
  // from -u/-p"); "" when anonymous. Never the secret itself.
  std::string credential_in_use() const;

 private:
  const std::optional<Credential>& credential();
  std::string fetch_token(const std::string& scope);
  Response request_token(const std::string& scope, const Credential* cred);

  Lookup lookup_;
  Send send_;
  Clock& clock_;  // bearer tokens expire by it
  Log log_;
  std::optional<Challenge> challenge_;
  bool looked_up_ = false;
  std::optional<Credential> credential_;
  struct Token {
    std::string value;
    Clock::time_point expires;
  };
  std::map<std::string, Token> tokens_;
};

}  // namespace wasme::registry
