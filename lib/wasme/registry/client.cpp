#include "wasme/registry/client.hpp"

#include <algorithm>

#include "wasme/oci/reference.hpp"
#include "wasme/registry/credentials.hpp"
#include "wasme/registry/curl_transport.hpp"
#include "wasme/registry/request_error.hpp"

namespace wasme::registry {

struct Client::RegistryState {
  std::string authority;       // host[:port] the API lives at
  std::string scheme;          // "https" or "http"
  bool may_fall_back = false;  // loopback, TLS not yet seen to work
  std::unique_ptr<Authenticator> auth;
};

namespace {

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

RetryPolicy policy_for(const RemoteOptions& options) {
  RetryPolicy policy;
  policy.max_attempts = std::max(1, options.max_attempts);
  return policy;
}

}  // namespace

Client::Client(RemoteOptions options, Observer observer, ClientDeps deps)
    : options_(std::move(options)),
      observer_(std::move(observer)),
      transport_(deps.transport),
      clock_(deps.clock ? *deps.clock : wasme::system_clock()),
      runner_(deps.runner ? *deps.runner : system_process_runner()),
      retrier_(policy_for(options_), clock_, observer_.log) {
  if (!transport_) transport_ = make_curl_transport(options_, observer_.log);
}

Client::~Client() = default;

void Client::log(std::string_view line) const { observer_.log(line); }

void Client::progress(const std::string& what, std::uint64_t done, std::uint64_t total) {
  if (!observer_.progress) return;
  int percent = total ? static_cast<int>(std::min(done, total) * 100 / total) : 100;
  if (what == progress_what_ && percent == progress_percent_) return;
  progress_what_ = what;
  progress_percent_ = percent;
  observer_.progress(what, done, total);
}

Client::RegistryState& Client::state(const std::string& registry) {
  auto& slot = registries_[registry];
  if (slot) return *slot;
  slot = std::make_unique<RegistryState>();
  slot->authority = registry == "docker.io" ? "registry-1.docker.io" : registry;
  bool loopback = oci::is_loopback_registry(registry);
  slot->scheme = options_.plain_http ? "http" : "https";
  slot->may_fall_back = loopback && !options_.plain_http;
  auto lookup = [this, registry] { return find_credential(registry, options_, runner_); };
  auto send_token_request = [this](const Request& request) {
    return retrier_.run("requesting a token", [&] {
      Response response = transport_->send(cancellable(request));
      if (is_retryable_status(response.status)) raise_for_status(response, "requesting a token");
      return response;
    });
  };
  slot->auth = std::make_unique<Authenticator>(lookup, send_token_request, clock_, observer_.log);
  return *slot;
}

Request Client::cancellable(Request request) const {
  if (!cancel_) return request;
  request.progress = [cancel = cancel_, inner = std::move(request.progress)](std::uint64_t done) {
    if (cancel->load()) throw Error(ErrorKind::network, "cancelled");
    if (inner) inner(done);
  };
  return request;
}

Response Client::transmit(RegistryState& st, Request& request, Url& url) {
  try {
    Response response = transport_->send(cancellable(request));
    if (url.authority == st.authority && url.scheme == "https") st.may_fall_back = false;
    return response;
  } catch (const RequestError& e) {
    bool fall_back = e.failure() == Failure::tls_not_spoken && st.may_fall_back && url.scheme == "https" &&
                     url.authority == st.authority;
    if (!fall_back) throw;
    log(st.authority + " does not speak TLS; using plain HTTP (loopback registry)");
    st.scheme = "http";
    st.may_fall_back = false;
    url.scheme = "http";
    request.url = url.str();
    return transport_->send(cancellable(request));
  }
}

Response Client::send(const std::string& registry, Request request, const std::string& scope) {
  RegistryState& st = state(registry);
  Url url = request.url.empty() || request.url.front() == '/'
                ? Url::parse(st.scheme + "://" + st.authority + request.url)
                : Url::parse(request.url);
  bool auth_retried = false;
  for (int hop = 0; hop < 10; ++hop) {
    Url home = Url::parse(st.scheme + "://" + st.authority + "/");
    bool to_registry = same_origin_host(url, home);
    request.headers.remove("Authorization");
    if (to_registry) {
      if (auto header = st.auth->header_for(scope)) request.headers.set("Authorization", *header);
    }
    request.url = url.str();
    Response response = transmit(st, request, url);
    response.url = url.str();
    if (response.status == 401 && to_registry && !auth_retried &&
        st.auth->on_unauthorized(response, url.str(), scope)) {
      auth_retried = true;
      continue;
    }
    if (response.status == 401 && to_registry) response.refused_credential = st.auth->credential_in_use();
    auto location = response.headers.get("Location");
    if (!is_redirect(response.status) || !location) return response;
    url = resolve_location(url, *location);
    if (response.status == 303) {
      request.method = "GET";
      request.body.reset();
    }
  }
  throw RequestError(ErrorKind::registry, Url::parse(request.url).redacted() + ": too many redirects", "",
                     Failure::other);
}

Response Client::call(const std::string& registry, const Request& request, const std::string& scope,
                      std::initializer_list<long> expected, const std::string& what) {
  return retrier_.run(what, [&] {
    Response response = send(registry, request, scope);
    if (std::find(expected.begin(), expected.end(), response.status) == expected.end()) {
      raise_for_status(response, what);
    }
    return response;
  });
}

std::string pull_scope(const std::string& repository) { return "repository:" + repository + ":pull"; }
std::string push_scope(const std::string& repository) { return "repository:" + repository + ":pull,push"; }

}  // namespace wasme::registry
