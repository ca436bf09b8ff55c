#include "wasme/registry/auth.hpp"

#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/registry/base64.hpp"
#include "wasme/registry/json_util.hpp"
#include "wasme/registry/request_error.hpp"
#include "wasme/registry/url.hpp"

namespace wasme::registry {

std::string basic_authorization(const std::string& username, const std::string& password) {
  return "Basic " + base64_encode(username + ":" + password);
}

TokenAnswer parse_token_answer(std::string_view body) {
  auto doc = parse_json_limited<nlohmann::json>(body, "the token response", {16, 1u << 20});
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(ErrorKind::auth, "the token answer is not a JSON object");
  }
  TokenAnswer answer;
  answer.token = string_at(doc, "token");
  if (answer.token.empty()) answer.token = string_at(doc, "access_token");
  if (answer.token.empty()) throw Error(ErrorKind::auth, "the token answer holds no token");
  if (auto it = doc.find("expires_in"); it != doc.end() && it->is_number_integer()) {
    auto seconds = it->get<std::int64_t>();
    if (seconds > 0) answer.expires_in = std::chrono::seconds(seconds);
  }
  answer.refresh_token = string_at(doc, "refresh_token");
  return answer;
}

Authenticator::Authenticator(Lookup lookup, Send send, Clock& clock, Log log)
    : lookup_(std::move(lookup)), send_(std::move(send)), clock_(clock), log_(std::move(log)) {}

const std::optional<Credential>& Authenticator::credential() {
  if (!looked_up_) {
    credential_ = lookup_();
    looked_up_ = true;
    log_(credential_ ? "using credentials from " + credential_->source : "no credentials found; anonymous");
  }
  return credential_;
}

std::string Authenticator::credential_in_use() const {
  if (!looked_up_ || !credential_) return "";
  const Credential& c = *credential_;
  std::string who = c.username.empty() || c.username == "<token>" ? "the token" : "user \"" + c.username + "\"";
  return who + " from " + c.source;
}

std::optional<std::string> Authenticator::header_for(const std::string& scope) {
  if (!challenge_) return std::nullopt;
  if (challenge_->scheme == "basic") {
    const auto& cred = credential();
    if (!cred || (cred->username.empty() && cred->password.empty())) return std::nullopt;
    return basic_authorization(cred->username, cred->password);
  }
  if (challenge_->scheme != "bearer") return std::nullopt;
  if (const auto& cred = credential(); cred && !cred->registry_token.empty()) {
    return "Bearer " + cred->registry_token;
  }
  auto it = tokens_.find(scope);
  if (it != tokens_.end() && clock_.now() < it->second.expires) return "Bearer " + it->second.value;
  return "Bearer " + fetch_token(scope);
}

bool Authenticator::on_unauthorized(const Response& response, const std::string& registry_url,
                                    const std::string& scope) {
  auto challenge = pick_challenge(response.headers.get_all("WWW-Authenticate"));
  if (!challenge) return false;
  if (challenge->scheme == "bearer") {
    std::string realm = challenge->param("realm");
    Url realm_url;
    try {
      realm_url = Url::parse(realm);
    } catch (const Error&) {
      throw Error(ErrorKind::auth, "the registry's token realm \"" + realm + "\" is not an http(s) URL");
    }
    bool downgrade = realm_url.scheme == "http" && Url::parse(registry_url).scheme == "https" &&
                     !oci::is_loopback_registry(realm_url.authority);
    if (downgrade) {
      throw Error(ErrorKind::auth, "the registry (over HTTPS) sends us to a plain-HTTP token realm " +
                                       realm_url.redacted() + "; refusing to send credentials there");
    }
    challenge_ = challenge;
    tokens_.erase(scope);
    return true;
  }
  if (challenge->scheme == "basic") {
    bool first = !challenge_ || challenge_->scheme != "basic";
    challenge_ = challenge;
    const auto& cred = credential();
    return first && cred && !(cred->username.empty() && cred->password.empty());
  }
  return false;
}

Response Authenticator::request_token(const std::string& scope, const Credential* cred) {
  Url realm = Url::parse(challenge_->param("realm"));
  std::string service = challenge_->param("service");
  if (cred && !cred->identity_token.empty()) {
    Request post;
    post.method = "POST";
    post.url = realm.str();
    post.max_body = max_token_answer;
    post.headers.add("Content-Type", "application/x-www-form-urlencoded");
    std::string form = "grant_type=refresh_token&client_id=wasme&service=" + url_encode(service) +
                       "&refresh_token=" + url_encode(cred->identity_token);
    if (!scope.empty()) form += "&scope=" + url_encode(scope);
    post.body = RequestBody::from_string(form);
    Response answer = send_(post);
    if (answer.status != 404 && answer.status != 405) return answer;
  }
  Url url = realm;
  if (!service.empty()) url = url.with_param("service", service);
  if (!scope.empty()) url = url.with_param("scope", scope);
  Request get;
  get.url = url.str();
  get.max_body = max_token_answer;
  if (cred && !cred->username.empty()) {
    url = url.with_param("account", cred->username);
    get.url = url.str();
  }
  if (cred && !cred->identity_token.empty()) {
    // The GET fallback of the refresh-token flow: the identity token stands in for a password.
    get.headers.add("Authorization", basic_authorization(cred->username, cred->identity_token));
  } else if (cred && (!cred->username.empty() || !cred->password.empty())) {
    get.headers.add("Authorization", basic_authorization(cred->username, cred->password));
  }
  return send_(get);
}

std::string Authenticator::fetch_token(const std::string& scope) {
  const auto& cred = credential();
  std::string what = "requesting a token" + (scope.empty() ? std::string() : " for " + scope) + " from " +
                     Url::parse(challenge_->param("realm")).redacted();
  Response answer = request_token(scope, cred ? &*cred : nullptr);
  // Token registries (Docker Hub, ghcr, Harbor) refuse a wrong password here, not at /v2/.
  if (answer.status == 401) answer.refused_credential = credential_in_use();
  if (answer.status != 200) raise_for_status(answer, what);
  TokenAnswer token = with_context(what, [&] { return parse_token_answer(answer.body); });
  auto lifetime = std::max(token.expires_in - std::chrono::seconds(10), token.expires_in / 2);
  tokens_[scope] = Token{token.token, clock_.now() + lifetime};
  return token.token;
}

}  // namespace wasme::registry
