#include <doctest/doctest.h>

#include <string>

#include "test_cache_fake.hpp"
#include "wasme/cache/daemon.hpp"

// The same Cflags as the library (pkg-config cpp-httplib), or the layouts differ.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#error "compile with the Cflags of pkg-config cpp-httplib (see CMakeLists.txt)"
#endif
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace fs = std::filesystem;
using cache_test::eventually;
using wasme::cache::Millis;
using wasme::oci::sha256_of;

namespace {

const std::string wasm_type = "application/vnd.module.wasm.content.layer.v1+wasm";

std::string module_bytes(const std::string& name) { return std::string("\0asm\1\0\0\0", 8) + name; }

// A daemon serving HTTP on a free loopback port, its fake registry and a client.
struct Served {
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
    daemon = std::make_unique<wasme::cache::Daemon>(c, registry.fetcher(), nullptr);
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
};

}  // namespace

TEST_CASE("GET and HEAD /<sha256-hex> serve the module with its headers") {
  Served s({"r/a:1"}, {{"r/a:1", module_bytes("a")}});
  REQUIRE(eventually([&] { return s.ready(); }));
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
  REQUIRE(eventually([&] { return s.daemon->missing(nullptr).size() == 1; }));
  auto res = s.client->Get("/ready");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body.find("r/late:1") != std::string::npos);
  CHECK(res->body.find("r/a:1") == std::string::npos);
  CHECK(s.client->Get("/healthz")->status == 200);
  s.registry.put("r/late:1", module_bytes("late"));
  REQUIRE(eventually([&] { return s.ready(); }));
}

TEST_CASE("/images reports every ref with digest, size, state and last error") {
  Served s({"r/a:1", "r/missing:1"}, {{"r/a:1", module_bytes("a")}});
  REQUIRE(eventually([&] { return s.daemon->statuses().size() == 2 && s.daemon->missing(nullptr).size() == 1 &&
                                  !s.daemon->statuses()[1].last_error.empty(); }));
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
           {{"127.0.0.1:5000/team/listed:v1", module_bytes("l")}, {"127.0.0.1:5000/team/f:v1", module_bytes("f")}});
  auto res = s.client->Get("/127.0.0.1%3A5000%2Fteam%2Ff%3Av1");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == module_bytes("f"));
  CHECK(res->get_header_value("ETag") == "\"sha256:" + sha256_of(module_bytes("f")).hex() + "\"");
  auto plain = s.client->Get("/127.0.0.1:5000/team/f:v1");  // unencoded works too, from cache
  REQUIRE(plain);
  CHECK(plain->status == 200);
  CHECK(s.registry.calls("127.0.0.1:5000/team/f:v1") == 1);
  CHECK(s.ready());  // on-demand refs are not part of readiness
}

TEST_CASE("GET /<ref> never pulls from a registry no listed ref names") {
  // Anyone who reaches the port may name a ref; the daemon's credentials stay with the
  // registries it was told about.
  Served s({"127.0.0.1:5000/team/listed:v1"},
           {{"127.0.0.1:5000/team/listed:v1", module_bytes("l")}, {"attacker.example/x/y:1", module_bytes("x")}});
  auto res = s.client->Get("/attacker.example%2Fx%2Fy%3A1");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK(res->body.find("only from the registries of its listed refs (127.0.0.1:5000)") != std::string::npos);
  CHECK(s.registry.calls("attacker.example/x/y:1") == 0);
}

TEST_CASE("GET /<ref> pulls nothing when no ref is listed") {
  Served none({}, {{"r/a:1", module_bytes("a")}});
  auto nothing_listed = none.client->Get("/r/a:1");
  REQUIRE(nothing_listed);
  CHECK(nothing_listed->status == 404);
  CHECK(nothing_listed->body.find("(none listed)") != std::string::npos);
  CHECK(none.registry.calls("r/a:1") == 0);
}

TEST_CASE("GET /<ref> answers a failed pull with its error") {
  Served s({"r/listed:1"}, {{"r/listed:1", module_bytes("l")}, {"r/down:1", module_bytes("d")}});
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
  Served s({"r/listed:1"},
           {{"r/listed:1", module_bytes("l")}, {"r/slow:1", module_bytes("slow")}, {"r/other:1", module_bytes("other")}},
           [](wasme::cache::DaemonConfig& c) { c.max_waiting_requests = 1; });
  s.registry.set(s.registry.blocking, "r/slow:1", true);
  std::thread first([&] {
    httplib::Client own("127.0.0.1", s.daemon->http_port());
    own.set_read_timeout(60);
    auto res = own.Get("/r/slow:1");
    REQUIRE(res);
    CHECK(res->status == 200);
  });
  REQUIRE(eventually([&] { return s.registry.calls("r/slow:1") == 1; }));
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
  Served s({"r/a:1"}, {{"r/a:1", module_bytes("a")}});
  REQUIRE(eventually([&] { return s.ready(); }));
  std::ofstream("cache/secret.txt") << "secret";
  auto hex = sha256_of(module_bytes("a")).hex();
  std::string upper = hex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  const std::string paths[] = {
      "/",  "/secret.txt", "/..%2Fsecret.txt", "/../cache/secret.txt", "/%2e%2e/etc/passwd",
      "/favicon.ico", "/" + upper, "/" + hex + "/", "/" + hex.substr(1), "/sha256:" + hex,
      "/.wasme-cache-index.json", "/.wasme-cache.lock", "/cache/" + hex, "/a/../../etc/passwd",
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
  CHECK(post->status == 404);
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
