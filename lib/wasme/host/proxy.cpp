// `wasme run`: the module in front of an upstream, on cpp-httplib (server and client).
#include "wasme/host/proxy.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

#include "wasme/core/error.hpp"
#include "wasme/host/stream.hpp"

namespace wasme::host {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kConnectionThreads = 64;

// Connection-level headers are the proxy's own business, on each side (RFC 9110 7.6.1), and
// httplib records the peer's address among the request headers under these names.
bool hop_by_hop(const std::string& lower) {
  static const char* const names[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                      "upgrade",    "te",         "remote_addr",      "remote_port",
                                      "local_addr", "local_port"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return lower == n; });
}

// What is not passed on as it came: the filter may have changed the body, so the length is
// computed again for each hop.
bool recomputed(const std::string& lower) { return hop_by_hop(lower) || lower == "content-length"; }

// One keep-alive client per endpoint and worker thread: no new connection per request.
httplib::Client& client_for(const HttpEndpoint& endpoint) {
  thread_local std::map<std::string, std::unique_ptr<httplib::Client>> clients;
  auto& slot = clients[endpoint.str()];
  if (!slot) {
    slot = std::make_unique<httplib::Client>(endpoint.host, endpoint.port);
    slot->set_keep_alive(true);
    slot->set_tcp_nodelay(true);
    slot->set_decompress(false);
    slot->set_connection_timeout(5, 0);
    slot->set_read_timeout(30, 0);
  }
  return *slot;
}

// Sends a message to an endpoint; throws Error(network) when it cannot be reached or its
// body is over max_body.
HttpMessage send(const HttpEndpoint& endpoint, const HttpMessage& message, uint64_t max_body, int timeout_ms = 0) {
  httplib::Request request;
  request.method = header_value(message.headers, ":method").value_or("GET");
  request.path = header_value(message.headers, ":path").value_or("/");
  for (const auto& [key, value] : message.headers) {
    if (key.empty() || key[0] == ':' || recomputed(key) || key == "host") continue;
    request.headers.emplace(key, value);
  }
  request.headers.emplace("host", header_value(message.headers, ":authority").value_or(endpoint.str()));
  request.body = message.body;
  HttpMessage response;
  bool too_large = false;
  request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    if (response.body.size() + size > max_body) {
      too_large = true;
      return false;
    }
    response.body.append(data, size);
    return true;
  };
  auto& client = client_for(endpoint);
  if (timeout_ms > 0) client.set_read_timeout(timeout_ms / 1000, (timeout_ms % 1000) * 1000);
  httplib::Response raw;
  httplib::Error error = httplib::Error::Success;
  bool sent = client.send(request, raw, error);
  if (timeout_ms > 0) client.set_read_timeout(30, 0);
  if (too_large) throw Error(ErrorKind::network, endpoint.str() + ": the response body is over --max-body");
  if (!sent) throw Error(ErrorKind::network, endpoint.str() + ": " + httplib::to_string(error));
  response.headers.emplace_back(":status", std::to_string(raw.status));
  for (const auto& [key, value] : raw.headers) {
    std::string lower = lower_case(key);
    if (!recomputed(lower)) response.headers.emplace_back(lower, value);
  }
  return response;
}

HttpMessage to_message(const httplib::Request& req) {
  HttpMessage message;
  std::string authority;
  Headers rest;
  for (const auto& [key, value] : req.headers) {
    std::string lower = lower_case(key);
    if (lower == "host") authority = value;
    else if (!hop_by_hop(lower)) rest.emplace_back(lower, value);
  }
  message.headers = {{":authority", authority},
                     {":path", req.target.empty() ? req.path : req.target},
                     {":method", req.method},
                     {":scheme", "http"}};
  for (auto& h : rest) message.headers.push_back(std::move(h));
  message.body = req.body;
  return message;
}

void to_response(const HttpMessage& message, httplib::Response& res) {
  res.status = static_cast<int>(status_of(message));
  if (res.status == 0) res.status = 502;
  for (const auto& [key, value] : message.headers) {
    if (key.empty() || key[0] == ':' || recomputed(key)) continue;
    res.headers.emplace(key, value);
  }
  res.body = message.body;
}

std::string percentile(std::vector<uint64_t> sorted, double p) {
  if (sorted.empty()) return "nan";
  size_t index = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  index = index == 0 ? 0 : index - 1;
  return std::to_string(sorted[std::min(index, sorted.size() - 1)]);
}

}  // namespace

HttpEndpoint parse_endpoint(const std::string& text, const std::string& flag, bool allow_bare) {
  std::string rest = text;
  if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  } else if (rest.rfind("https://", 0) == 0) {
    throw Error(ErrorKind::usage, flag + " " + text + ": https is not supported here; give an http:// address");
  } else if (!allow_bare) {
    throw Error(ErrorKind::usage, flag + " " + text + ": give an http://HOST:PORT address");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  std::string port = colon == std::string::npos ? "" : rest.substr(colon + 1);
  if (host.empty() || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      host.find_first_of("/?# ") != std::string::npos || std::stoi(port) > 65535) {
    throw Error(ErrorKind::usage, flag + " " + text + ": expected HOST:PORT (e.g. 127.0.0.1:8080)");
  }
  return {host, std::stoi(port)};
}

class Proxy::VmPool {
 public:
  struct Slot {
    std::unique_ptr<PluginVm> vm;
    bool busy = false;
    Clock::time_point next_tick{};
  };

  size_t acquire() {
    std::unique_lock lock(mutex_);
    for (;;) {
      for (size_t i = 0; i < slots.size(); ++i) {
        if (!slots[i].busy) {
          slots[i].busy = true;
          return i;
        }
      }
      freed_.wait(lock);
    }
  }

  // For the tick loop: a VM only when it is free now.
  std::optional<size_t> try_acquire(size_t i) {
    std::lock_guard lock(mutex_);
    if (slots[i].busy) return std::nullopt;
    slots[i].busy = true;
    return i;
  }

  void release(size_t i) {
    {
      std::lock_guard lock(mutex_);
      slots[i].busy = false;
    }
    freed_.notify_one();
  }

  std::vector<Slot> slots;

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
};

Proxy::Proxy(const Engine& engine, std::string wasm, ProxyOptions options)
    : engine_(engine),
      wasm_(std::move(wasm)),
      options_(std::move(options)),
      shared_(std::make_shared<SharedState>()),
      pool_(std::make_unique<VmPool>()) {
  if (options_.workers == 0) options_.workers = 1;
  std::set<std::string> clusters;
  for (const auto& [name, endpoint] : options_.clusters) clusters.insert(name);
  options_.vm.known_clusters = clusters;
  auto log_mutex = std::make_shared<std::mutex>();
  auto log = options_.vm.log;
  options_.vm.log = [log, log_mutex](LogLevel level, const std::string& line) {
    std::lock_guard lock(*log_mutex);  // workers log concurrently
    if (log) log(level, line);
  };
}

Proxy::~Proxy() { stop(); }

void Proxy::start() {
  // The host's own measure, next to the filter's metrics on /stats: microseconds a request
  // spends in the filter and the host, upstream and HTTP calls excluded.
  filter_time_metric_ = shared_->define_metric(MetricType::histogram, "wasme.filter_time_us");
  for (size_t i = 0; i < options_.workers; ++i) {
    VmConfig config = options_.vm;
    auto vm = std::make_unique<PluginVm>(engine_, wasm_, config, shared_);
    vm->start();
    pool_->slots.push_back({std::move(vm), false, {}});
  }
  // cpp-httplib holds a thread for each open (keep-alive) connection, so connections get their
  // own threads and wait only for a VM (one per worker, as Envoy's workers each have one).
  const size_t threads = std::max<size_t>(kConnectionThreads, options_.workers);
  server_ = std::make_unique<httplib::Server>();
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_tcp_nodelay(true);  // else Nagle and delayed ACKs add 40 ms to small responses
  server_->set_payload_max_length(options_.max_body);
  server_->set_keep_alive_max_count(1000);
  server_->set_read_timeout(30, 0);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    ConnectionInfo connection;
    connection.source_address = req.remote_addr;
    connection.source_port = static_cast<uint32_t>(req.remote_port);
    connection.destination_address = options_.listen.host;
    connection.destination_port = static_cast<uint32_t>(port_);
    connection.start_time_ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    const uint64_t max_body = options_.max_body;
    // Time outside the filter (upstream, HTTP calls), so the filter's own share can be measured.
    Clock::duration away{};
    auto timed = [&away](auto&& f) {
      auto t0 = Clock::now();
      struct Add {
        Clock::duration& d;
        Clock::time_point t0;
        ~Add() { d += Clock::now() - t0; }
      } add{away, t0};
      return f();
    };
    Upstream upstream = [this, max_body, &timed](const HttpMessage& m) {
      return timed([&] { return send(options_.upstream, m, max_body); });
    };
    HttpCaller calls = [this, &timed](const HttpCallRequest& call) {
      return timed([&] { return call_cluster(call); });
    };
    size_t slot = pool_->acquire();
    const auto started = Clock::now();  // waiting for a free VM is not the filter's time
    ExchangeOutcome outcome;
    try {
      outcome = run_exchange(*pool_->slots[slot].vm, to_message(req), connection, upstream, calls);
    } catch (...) {
      pool_->release(slot);
      throw;
    }
    auto in_filter = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started - away);
    pool_->release(slot);
    shared_->record_metric(filter_time_metric_, static_cast<uint64_t>(std::max<int64_t>(0, in_filter.count())));
    if (!outcome.vm_failure.empty()) options_.vm.log(LogLevel::error, "wasme: " + outcome.vm_failure);
    if (!outcome.stuck.empty()) options_.vm.log(LogLevel::error, "wasme: " + outcome.stuck);
    to_response(outcome.response, res);
  };
  for (auto* method : {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    std::string m = method;
    if (m == "GET") server_->Get(".*", handler);
    else if (m == "POST") server_->Post(".*", handler);
    else if (m == "PUT") server_->Put(".*", handler);
    else if (m == "DELETE") server_->Delete(".*", handler);
    else if (m == "PATCH") server_->Patch(".*", handler);
    else server_->Options(".*", handler);
  }
  port_ = options_.listen.port == 0
              ? server_->bind_to_any_port(options_.listen.host)
              : (server_->bind_to_port(options_.listen.host, options_.listen.port) ? options_.listen.port : -1);
  if (port_ < 0) {
    throw Error(ErrorKind::io, "listening on " + options_.listen.str() + ": the address is in use or not local",
                "pick another with --listen");
  }
  if (options_.admin) {
    admin_ = std::make_unique<httplib::Server>();
    admin_->Get("/stats", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(stats_text(), "text/plain");
    });
    admin_->Get("/ready",
                [](const httplib::Request&, httplib::Response& res) { res.set_content("LIVE\n", "text/plain"); });
    admin_port_ = options_.admin->port == 0
                      ? admin_->bind_to_any_port(options_.admin->host)
                      : (admin_->bind_to_port(options_.admin->host, options_.admin->port) ? options_.admin->port : -1);
    if (admin_port_ < 0) {
      throw Error(ErrorKind::io,
                  "listening on " + options_.admin->str() + " (--admin): the address is in use or not local");
    }
    threads_.emplace_back([this] { admin_->listen_after_bind(); });
  }
  threads_.emplace_back([this] { server_->listen_after_bind(); });
  threads_.emplace_back([this] { tick_loop(); });
  // httplib's stop() does nothing before listen has started: wait for it, so stop() always stops.
  for (int i = 0; i < 500 && (!server_->is_running() || (admin_ && !admin_->is_running())); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void Proxy::tick_loop() {
  HttpCaller calls = [this](const HttpCallRequest& call) { return call_cluster(call); };
  while (!stopping_) {
    for (size_t i = 0; i < pool_->slots.size() && !stopping_; ++i) {
      if (!pool_->try_acquire(i)) continue;
      auto& slot = pool_->slots[i];
      try {
        slot.vm->deliver_queue_notifications();
        const uint32_t period = slot.vm->tick_period_ms();
        if (period > 0 && !slot.vm->failed() && Clock::now() >= slot.next_tick) {
          slot.next_tick = Clock::now() + std::chrono::milliseconds(period);
          slot.vm->tick();
        }
        complete_pending_work(*slot.vm, calls);
      } catch (const Trap& trap) {
        options_.vm.log(LogLevel::error, std::string("wasme: ") + trap.what());
      }
      pool_->release(i);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

HttpCallResponse Proxy::call_cluster(const HttpCallRequest& call) const {
  auto cluster = options_.clusters.find(call.cluster);
  if (cluster == options_.clusters.end()) return {};  // refused at the call already (known_clusters)
  try {
    HttpMessage answer = send(cluster->second, HttpMessage{call.headers, call.body, call.trailers}, options_.max_body,
                              static_cast<int>(call.timeout_ms));
    return {status_of(answer), answer.headers, answer.body, answer.trailers};
  } catch (const Error&) {
    return {};  // a call that cannot be made fails, as in Envoy: no headers for the filter
  }
}

void Proxy::stop() {
  if (stopping_.exchange(true)) return;
  if (server_) server_->stop();
  if (admin_) admin_->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::string Proxy::stats_text() const {
  std::string out;
  auto metrics = shared_->metrics();
  std::sort(metrics.begin(), metrics.end(), [](const MetricValue& a, const MetricValue& b) { return a.name < b.name; });
  for (const auto& m : metrics) {
    if (m.type != MetricType::histogram) {
      out += m.name + ": " + std::to_string(m.value) + "\n";
      continue;
    }
    // Envoy prints each quantile as (interval,cumulative); wasme has one window: both the same.
    std::vector<uint64_t> sorted(m.samples.begin(), m.samples.end());
    std::sort(sorted.begin(), sorted.end());
    out += m.name + ":";
    for (double p : {0.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 100.0}) {
      char label[16];
      std::snprintf(label, sizeof label, "%g", p);
      std::string v = percentile(sorted, p);
      out += std::string(" P") + label + "(" + v + "," + v + ")";
    }
    out += "\n";
  }
  return out;
}

}  // namespace wasme::host
