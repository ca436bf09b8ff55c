#include <doctest/doctest.h>

#include <string>

#include "test_cache_fake.hpp"
#include "wasme/cache/daemon.hpp"

// The same Cflags as the library (pkg-config cpp-httplib), or the layouts differ.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#error "compile with the Cflags of pkg-config cpp-httplib (see CMakeLists.txt)"
#endif
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cache_test::eventually;
using wasme::cache::DaemonConfig;
using wasme::cache::Millis;
using wasme::oci::sha256_of;

namespace {

const std::string wasm_type = "application/vnd.module.wasm.content.layer.v1+wasm";

std::string module_bytes(const std::string& name) { return std::string("\0asm\1\0\0\0", 8) + name; }

// For tests of on-demand pulls: unlisted refs are served only with --serve-unlisted.
void serve_unlisted(DaemonConfig& c) { c.serve_unlisted = true; }

// A raw TCP connection to 127.0.0.1:port, for clients httplib::Client will not imitate
// (one that sends a byte at a time, one that sends nothing).
struct RawConnection {
  int fd = -1;
  std::string received;
  bool closed = false;  // the server closed it (or reset it)

  explicit RawConnection(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~RawConnection() { ::close(fd); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(const std::string& bytes) { (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // Reads what arrives for up to `timeout`, or until the server closes the connection.
  void read_for(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!closed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      pollfd pfd{};
      pfd.fd = fd;
      pfd.events = POLLIN;
      if (::poll(&pfd, 1, static_cast<int>(std::max<long long>(0, left.count()))) <= 0) return;
      char buffer[4096];
      ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n <= 0) {
        closed = true;
        return;
      }
      received.append(buffer, static_cast<size_t>(n));
    }
  }
};

// A daemon serving HTTP on a free loopback port, its fake registry and a client. It runs on the
// real clock (these tests are about real sockets); tests wait for its changes (Changes).
struct Served {
  cache_test::Changes changes;
  cache_test::FakeRegistry registry;
  std::unique_ptr<wasme::cache::Daemon> daemon;
  std::thread loop;
  std::unique_ptr<httplib::Client> client;

  Served(std::vector<std::string> refs, const std::map<std::string, std::string>& modules,
         std::function<void(wasme::cache::DaemonConfig&)> adjust = nullptr) {
    for (const auto& [ref, bytes] : modules) registry.put(ref, bytes);
    wasme::cache::DaemonConfig c;
    c.directory = "cache";
    c.address = "127.0.0.1";
    c.port = 0;
    c.refs = std::move(refs);
    c.interval = Millis{10};
    c.backoff = {Millis{5}, Millis{20}};
    if (adjust) adjust(c);
    registry.changes = &changes;
    daemon =
        std::make_unique<wasme::cache::Daemon>(c, registry.fetcher(), [this](std::string_view) { changes.notify(); });
    daemon->start();
    loop = std::thread([this] { daemon->run(); });
    client = std::make_unique<httplib::Client>("127.0.0.1", daemon->http_port());
  }
  ~Served() {
    daemon->stop();
    loop.join();
  }
  bool ready() {
    auto res = client->Get("/ready");
    return res && res->status == 200;
  }
  // Waits until cond holds, looking again after each pull and log line.
  bool await(const std::function<bool()>& cond) { return changes.await(cond); }
};

}  // namespace

TEST_CASE("GET and HEAD /<sha256-hex> serve the module with its headers") {
  Served s({"r/a:1"}, {{"r/a:1", module_bytes("a")}});
  REQUIRE(s.await([&] { return s.ready(); }));
  auto hex = sha256_of(module_bytes("a")).hex();
  auto get = s.client->Get("/" + hex);
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(get->body == module_bytes("a"));
  CHECK(get->get_header_value("Content-Type") == wasm_type);
  CHECK(get->get_header_value("ETag") == "\"sha256:" + hex + "\"");
  CHECK(get->get_header_value("Content-Length") == std::to_string(module_bytes("a").size()));
  auto head = s.client->Head("/" + hex);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
  CHECK(head->get_header_value("Content-Length") == std::to_string(module_bytes("a").size()));
  auto again = s.client->Get("/" + hex, {{"If-None-Match", "\"sha256:" + hex + "\""}});
  REQUIRE(again);
  CHECK(again->status == 304);
}

TEST_CASE("/ready names missing refs until they are cached; /healthz is always ok") {
  Served s({"r/a:1", "r/late:1"}, {{"r/a:1", module_bytes("a")}});
  REQUIRE(s.await([&] { return s.daemon->missing(nullptr).size() == 1; }));
  auto res = s.client->Get("/ready");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body.find("r/late:1") != std::string::npos);
  CHECK(res->body.find("r/a:1") == std::string::npos);
  CHECK(s.client->Get("/healthz")->status == 200);
  s.registry.put("r/late:1", module_bytes("late"));
  REQUIRE(s.await([&] { return s.ready(); }));
}

TEST_CASE("/images reports every ref with digest, size, state and last error") {
  Served s({"r/a:1", "r/missing:1"}, {{"r/a:1", module_bytes("a")}});
  REQUIRE(s.await([&] {
    return s.daemon->statuses().size() == 2 && s.daemon->missing(nullptr).size() == 1 &&
           !s.daemon->statuses()[1].last_error.empty();
  }));
  auto res = s.client->Get("/images");
  REQUIRE(res);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  auto json = nlohmann::json::parse(res->body);
  CHECK(json["r/a:1"]["state"] == "cached");
  CHECK(json["r/a:1"]["digest"] == sha256_of(module_bytes("a")).str());
  CHECK(json["r/a:1"]["size"] == module_bytes("a").size());
  CHECK(json["r/a:1"]["last_error"].is_null());
  CHECK(json["r/missing:1"]["digest"].is_null());
  CHECK(json["r/missing:1"]["last_error"].get<std::string>().find("manifest unknown") != std::string::npos);
}

TEST_CASE("GET /<url-encoded ref> pulls on demand and serves") {
  // On demand only from registries that listed refs name (here 127.0.0.1:5000).
  Served s({"127.0.0.1:5000/team/listed:v1"},
           {{"127.0.0.1:5000/team/listed:v1", module_bytes("l")}, {"127.0.0.1:5000/team/f:v1", module_bytes("f")}},
           serve_unlisted);
  auto res = s.client->Get("/127.0.0.1%3A5000%2Fteam%2Ff%3Av1");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == module_bytes("f"));
  CHECK(res->get_header_value("ETag") == "\"sha256:" + sha256_of(module_bytes("f")).hex() + "\"");
  auto plain = s.client->Get("/127.0.0.1:5000/team/f:v1");  // unencoded works too, from cache
  REQUIRE(plain);
  CHECK(plain->status == 200);
  CHECK(s.registry.calls("127.0.0.1:5000/team/f:v1") == 1);
  // On-demand refs are not part of readiness: ready once the listed ref's own pull (which may
  // still be running beside the request's) is done.
  CHECK(s.await([&] { return s.ready(); }));
  CHECK(s.daemon->missing(nullptr).empty());
}

TEST_CASE("GET /<ref> never pulls from a registry no listed ref names") {
  // Anyone who reaches the port may name a ref; the daemon's credentials stay with the
  // registries it was told about.
  Served s({"127.0.0.1:5000/team/listed:v1"},
           {{"127.0.0.1:5000/team/listed:v1", module_bytes("l")}, {"attacker.example/x/y:1", module_bytes("x")}},
           serve_unlisted);
  auto res = s.client->Get("/attacker.example%2Fx%2Fy%3A1");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK(res->body.find("only from the registries of its listed refs (127.0.0.1:5000)") != std::string::npos);
  CHECK(s.registry.calls("attacker.example/x/y:1") == 0);
}

TEST_CASE("GET /<ref> pulls nothing when no ref is listed") {
  Served none({}, {{"r/a:1", module_bytes("a")}}, serve_unlisted);
  auto nothing_listed = none.client->Get("/r/a:1");
  REQUIRE(nothing_listed);
  CHECK(nothing_listed->status == 404);
  CHECK(nothing_listed->body.find("(none listed)") != std::string::npos);
  CHECK(none.registry.calls("r/a:1") == 0);
}

TEST_CASE("GET /<ref> answers a failed pull with its error") {
  Served s({"r/listed:1"}, {{"r/listed:1", module_bytes("l")}, {"r/down:1", module_bytes("d")}}, serve_unlisted);
  s.registry.set(s.registry.down, "r/down:1", true);
  auto unknown = s.client->Get("/r/unknown:1");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(unknown->body.find("manifest unknown") != std::string::npos);
  auto down = s.client->Get("/r/down:1");
  REQUIRE(down);
  CHECK(down->status == 502);
  CHECK(down->body.find("refused") != std::string::npos);
  s.registry.set(s.registry.down, "r/down:1", false);
  auto back = s.client->Get("/r/down:1");  // asked again: retried at once
  REQUIRE(back);
  CHECK(back->status == 200);
}

TEST_CASE("on-demand pulls that may wait are bounded, so probes always get a thread") {
  Served s(
      {"r/listed:1"},
      {{"r/listed:1", module_bytes("l")}, {"r/slow:1", module_bytes("slow")}, {"r/other:1", module_bytes("other")}},
      [](DaemonConfig& c) {
        c.max_waiting_requests = 1;
        c.serve_unlisted = true;
      });
  s.registry.set(s.registry.blocking, "r/slow:1", true);
  std::thread first([&] {
    httplib::Client own("127.0.0.1", s.daemon->http_port());
    own.set_read_timeout(60);
    auto res = own.Get("/r/slow:1");
    REQUIRE(res);
    CHECK(res->status == 200);
  });
  REQUIRE(s.await([&] { return s.registry.calls("r/slow:1") == 1; }));
  auto refused = s.client->Get("/r/other:1");
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(refused->body.find("try again later") != std::string::npos);
  CHECK(s.client->Get("/healthz")->status == 200);
  s.registry.set(s.registry.blocking, "r/slow:1", false);
  first.join();
  auto later = s.client->Get("/r/other:1");
  REQUIRE(later);
  CHECK(later->status == 200);
}

TEST_CASE("nothing else is served: no path escapes the directory") {
  // With --serve-unlisted, the most that is served; without it, less.
  Served s({"r/a:1"}, {{"r/a:1", module_bytes("a")}}, serve_unlisted);
  REQUIRE(s.await([&] { return s.ready(); }));
  std::ofstream("cache/secret.txt") << "secret";
  auto hex = sha256_of(module_bytes("a")).hex();
  std::string upper = hex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  const std::string paths[] = {
      "/",
      "/secret.txt",
      "/..%2Fsecret.txt",
      "/../cache/secret.txt",
      "/%2e%2e/etc/passwd",
      "/favicon.ico",
      "/" + upper,
      "/" + hex + "/",
      "/" + hex.substr(1),
      "/sha256:" + hex,
      "/.wasme-cache-index.json",
      "/.wasme-cache.lock",
      "/cache/" + hex,
      "/a/../../etc/passwd",
      "/" + sha256_of("absent").hex(),
  };
  for (const auto& path : paths) {
    CAPTURE(path);
    auto res = s.client->Get(path);
    REQUIRE(res);
    CHECK(res->status == 404);
    CHECK(res->body.find("secret") == std::string::npos);
  }
  auto post = s.client->Post("/" + hex, "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 405);  // read-only: writes are refused as such
  CHECK(post->get_header_value("Allow") == "GET, HEAD");
  CHECK(s.registry.calls("a/../../etc/passwd") == 0);
}

TEST_CASE("a taken port is reported, naming the address and the flag") {
  httplib::Server blocker;
  int port = blocker.bind_to_any_port("127.0.0.1");
  wasme::cache::DaemonConfig c;
  c.directory = "cache";
  c.address = "127.0.0.1";
  c.port = port;
  cache_test::FakeRegistry registry;
  wasme::cache::Daemon d(c, registry.fetcher(), nullptr);
  try {
    d.start();
    FAIL("bound a taken port");
  } catch (const wasme::Error& e) {
    CHECK(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
    CHECK(e.hint().find("--port") != std::string::npos);
  }
}

TEST_CASE("only listed refs, and their modules by digest, are served without --serve-unlisted") {
  Served s({"r/a:1"}, {{"r/a:1", module_bytes("a")}, {"r/other:1", module_bytes("other")}});
  REQUIRE(s.await([&] { return s.ready(); }));
  auto listed = s.client->Get("/docker.io%2Fr%2Fa%3A1");  // the listed ref, spelled in full
  REQUIRE(listed);
  CHECK(listed->status == 200);
  CHECK(listed->body == module_bytes("a"));
  CHECK(s.client->Get("/" + sha256_of(module_bytes("a")).hex())->status == 200);

  auto refused = s.client->Get("/r%2Fother%3A1");
  REQUIRE(refused);
  CHECK(refused->status == 403);
  CHECK(refused->body.find("\"r/other:1\" is not listed") != std::string::npos);
  CHECK(refused->body.find("--serve-unlisted") != std::string::npos);
  CHECK(s.registry.calls("r/other:1") == 0);
  CHECK(s.daemon->statuses().size() == 1);                          // not even remembered
  auto nonsense = s.client->Get("/" + sha256_of("x").hex() + "/");  // not a ref: 404, as ever
  REQUIRE(nonsense);
  CHECK(nonsense->status == 404);
}

TEST_CASE("a module on disk that no listed ref points at is served only with --serve-unlisted") {
  // Left by an earlier run: a valid module under its digest, but not what the list asks for.
  const std::string left = module_bytes("left over");
  const std::string hex = sha256_of(left).hex();
  fs::create_directories("cache");
  std::ofstream("cache/" + hex, std::ios::binary) << left;
  {
    Served s({"r/a:1"}, {{"r/a:1", module_bytes("a")}});
    REQUIRE(s.await([&] { return s.ready(); }));
    REQUIRE(fs::exists("cache/" + hex));
    auto res = s.client->Get("/" + hex);
    REQUIRE(res);
    CHECK(res->status == 404);
    CHECK(res->body.find("not the module of a listed ref") != std::string::npos);
    // The same answer for a digest that is not on disk at all: the refusal tells nothing.
    auto absent = s.client->Get("/" + sha256_of("absent").hex());
    REQUIRE(absent);
    CHECK(absent->status == 404);
    CHECK(absent->body.find("not the module of a listed ref") != std::string::npos);
  }
  Served permissive({"r/a:1"}, {{"r/a:1", module_bytes("a")}, {"r/other:1", module_bytes("other")}}, serve_unlisted);
  REQUIRE(permissive.await([&] { return permissive.ready(); }));
  auto res = permissive.client->Get("/" + hex);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == left);
  auto on_demand = permissive.client->Get("/r%2Fother%3A1");
  REQUIRE(on_demand);
  CHECK(on_demand->status == 200);
  CHECK(on_demand->body == module_bytes("other"));
}

TEST_CASE("slow clients neither starve /healthz and /ready nor keep a thread past the request deadline") {
  Served s({"r/a:1"}, {{"r/a:1", module_bytes("a")}}, [](DaemonConfig& c) {
    c.http.request_deadline = Millis{800};
    c.http.idle_timeout = Millis{3000};
  });
  REQUIRE(s.await([&] { return s.ready(); }));
  // 32 clients (twice the thread pool httplib was given before) each send a request a byte
  // every 100 ms: no single read waits long, and no request ever completes.
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: cache\r\n\r\n";
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 32; ++i) slow.push_back(std::make_unique<RawConnection>(s.daemon->http_port()));
  std::promise<void> started;  // every slow client has sent a few bytes (or been answered)
  std::thread trickle([&] {
    bool told = false;
    auto tell = [&] {
      if (!told) started.set_value();
      told = true;
    };
    for (size_t at = 0; at < request.size(); ++at) {
      if (at == 3) tell();
      bool waiting = false;
      for (auto& c : slow) {
        c->read_for(0ms);  // an answer first: no byte goes to a connection already answered
        if (c->closed || !c->received.empty()) continue;
        c->send(request.substr(at, 1));
        waiting = true;
      }
      if (!waiting) break;
      // The slow client's pace, in real time: what is under test is the server's real-time
      // request deadline against a client that never pauses long enough to trip a read timeout.
      std::this_thread::sleep_for(100ms);
    }
    tell();
  });
  started.get_future().wait();
  httplib::Client probe("127.0.0.1", s.daemon->http_port());
  probe.set_connection_timeout(3);
  probe.set_read_timeout(3);
  auto start = std::chrono::steady_clock::now();
  auto health = probe.Get("/healthz");
  auto ready = probe.Get("/ready");
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(health);
  CHECK(health->status == 200);
  REQUIRE(ready);
  CHECK(ready->status == 200);
  CHECK(took < 1s);
  // 800 ms after its first byte each slow request is answered 408 and its connection closed,
  // though bytes kept coming.
  trickle.join();  // until every connection was answered (or 3.5 s, all the bytes)
  for (auto& c : slow) {
    c->read_for(3000ms);
    CHECK(c->closed);
    // Closed by the deadline: with 408 when the answer reached the client before the close,
    // never with the /healthz it never finished asking for.
    CAPTURE(c->received);
    const bool no_answer_or_refusal =
        c->received.empty() || c->received.rfind("HTTP/1.1 408", 0) == 0 || c->received.rfind("HTTP/1.1 400", 0) == 0;
    CHECK(no_answer_or_refusal);
  }
}

TEST_CASE("one client address holds at most max_connections_per_client connections") {
  Served s({"r/a:1"}, {{"r/a:1", module_bytes("a")}}, [](DaemonConfig& c) { c.http.max_connections_per_client = 3; });
  // No HTTP probe first: its connection could still count against the cap when the four open.
  REQUIRE(s.await([&] { return s.daemon->missing(nullptr).empty(); }));
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(std::make_unique<RawConnection>(s.daemon->http_port()));
  // Exactly one of the four is answered 503 at once, without sending anything; the others
  // wait for a request.
  int refused = 0;
  for (auto& c : idle) {
    c->read_for(500ms);
    if (c->received.empty()) continue;
    ++refused;
    CHECK(c->closed);
    CHECK(c->received.rfind("HTTP/1.1 503 Service Unavailable", 0) == 0);
    CHECK(c->received.find("too many connections from 127.0.0.1: at most 3 at once") != std::string::npos);
  }
  CHECK(refused == 1);
  idle.clear();  // closing them frees their places
  CHECK(eventually([&] {
    auto res = s.client->Get("/healthz");
    return res && res->status == 200;
  }));
}
