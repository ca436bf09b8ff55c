#pragma once
#include <atomic>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "wasme/core/process.hpp"
#include "wasme/registry/auth.hpp"
#include "wasme/registry/options.hpp"
#include "wasme/registry/retry.hpp"
#include "wasme/registry/transport.hpp"
#include "wasme/registry/url.hpp"

namespace wasme::registry {

// What the client needs from the outside world; defaults are the real ones (libcurl, the
// system clock, real credential helpers). Unit tests substitute fakes.
struct ClientDeps {
  std::shared_ptr<Transport> transport;
  Clock* clock = nullptr;
  ProcessRunner* runner = nullptr;
};

// Talks to registries on behalf of one command: picks http or https per registry (the
// loopback rule below), answers auth challenges, follows redirects itself (never sending
// Authorization to another host), and retries what a retry can fix.
//
// Loopback rule: for localhost, 127.0.0.0/8 and ::1 without --plain-http, the client tries
// HTTPS first and falls back to plain HTTP only when the server does not speak TLS (the
// handshake fails); never after a certificate verification failure, which stays an error.
// Every other host is HTTPS unless --plain-http.
class Client {
 public:
  Client(RemoteOptions options, Observer observer, ClientDeps deps = {});
  ~Client();

  // One logical request without retries. request.url is absolute or a path ("/v2/…") on
  // registry; scope picks the token ("repository:a/b:pull", "" for the registry itself).
  Response send(const std::string& registry, Request request, const std::string& scope);
  // send() with retries. Statuses in expected are returned; others throw RequestError
  // (typed from the registry's error body) with `what` as context.
  Response call(const std::string& registry, const Request& request, const std::string& scope,
                std::initializer_list<long> expected, const std::string& what);

  Retrier& retrier() { return retrier_; }
  const RemoteOptions& options() const { return options_; }
  const Observer& observer() const { return observer_; }
  void log(std::string_view line) const;
  // Forwards progress to the observer when the percentage moved (libcurl reports far more
  // often than a progress bar needs redrawing).
  void progress(const std::string& what, std::uint64_t done, std::uint64_t total);
  // Every request after this (manifests and tokens too, not only blobs) is aborted soon after
  // *cancel becomes true. cancel must outlive the client.
  void set_cancel(const std::atomic<bool>* cancel) {
    cancel_ = cancel;
    retrier_.set_cancel(cancel);
  }

 private:
  struct RegistryState;
  RegistryState& state(const std::string& registry);
  Response transmit(RegistryState& st, Request& request, Url& url);
  // request with a progress callback that throws once cancel_ is set.
  Request cancellable(Request request) const;

  RemoteOptions options_;
  Observer observer_;
  std::shared_ptr<Transport> transport_;
  Clock& clock_;
  ProcessRunner& runner_;
  Retrier retrier_;
  std::map<std::string, std::unique_ptr<RegistryState>> registries_;
  const std::atomic<bool>* cancel_ = nullptr;
  std::string progress_what_;
  int progress_percent_ = -1;
};

// Token scopes for a repository.
std::string pull_scope(const std::string& repository);
std::string push_scope(const std::string& repository);

}  // namespace wasme::registry
