#include <doctest/doctest.h>

#include "test_registry_fakes.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/registry/auth.hpp"
#include "wasme/registry/base64.hpp"
#include "wasme/registry/client.hpp"

using namespace wasme::registry;
using testing::FakeClock;
using testing::FakeTransport;
using testing::respond;

namespace {

struct Fixture {
  FakeClock clock;
  std::vector<std::string> log;
  std::shared_ptr<FakeTransport> transport;
  std::unique_ptr<Client> client;

  Fixture(std::function<Response(const Request&)> responder, RemoteOptions options = {}) {
    transport = std::make_shared<FakeTransport>(std::move(responder));
    Observer observer;
    observer.log = [this](std::string_view line) { log.emplace_back(line); };
    client = std::make_unique<Client>(options, observer, ClientDeps{transport, &clock, nullptr});
  }
  std::string auth_of(size_t i) const { return transport->requests.at(i).headers.get("Authorization").value_or(""); }
  std::string url_of(size_t i) const { return transport->requests.at(i).url; }
};

RemoteOptions with_user(const std::string& user, const std::string& pass) {
  RemoteOptions options;
  options.username = user;
  options.password = pass;
  return options;
}

Request get(const std::string& path) {
  Request request;
  request.url = path;
  return request;
}

const char* bearer_challenge = R"(Bearer realm="https://auth.example/token",service="reg")";

bool has_bearer(const Request& r, const std::string& token) {
  return r.headers.get("Authorization") == "Bearer " + token;
}

}  // namespace

TEST_CASE("paths resolve to https, or http with --plain-http; anonymous requests carry no auth") {
  Fixture f([](const Request&) { return respond(200, "{}"); });
  f.client->send("r.example", get("/v2/a/manifests/v1"), pull_scope("a"));
  CHECK(f.url_of(0) == "https://r.example/v2/a/manifests/v1");
  CHECK(f.auth_of(0).empty());
  RemoteOptions plain;
  plain.plain_http = true;
  Fixture g([](const Request&) { return respond(200); }, plain);
  g.client->send("r.example:5000", get("/v2/"), "");
  CHECK(g.url_of(0) == "http://r.example:5000/v2/");
  Fixture hub([](const Request&) { return respond(200); });
  hub.client->send("docker.io", get("/v2/"), "");
  CHECK(hub.url_of(0) == "https://registry-1.docker.io/v2/");
}

TEST_CASE("Basic: one retry after the 401, then sent up front") {
  Fixture f(
      [](const Request& r) {
        if (r.headers.get("Authorization") == basic_authorization("alice", "s3cret")) return respond(200);
        return respond(401, "", {{"WWW-Authenticate", R"(Basic realm="test")"}});
      },
      with_user("alice", "s3cret"));
  CHECK(f.client->send("r.example", get("/v2/a/tags/list"), pull_scope("a")).status == 200);
  CHECK(f.transport->requests.size() == 2);
  CHECK(f.auth_of(0).empty());
  CHECK(f.auth_of(1) == basic_authorization("alice", "s3cret"));
  CHECK(f.client->send("r.example", get("/v2/b/tags/list"), pull_scope("b")).status == 200);
  CHECK(f.transport->requests.size() == 3);
  for (const auto& line : f.log) CHECK(line.find("s3cret") == std::string::npos);
}

TEST_CASE("Basic without credentials, or with wrong ones, leaves the 401 to the caller") {
  Fixture f([](const Request&) { return respond(401, "", {{"WWW-Authenticate", R"(Basic realm="t")"}}); });
  CHECK(f.client->send("r.example", get("/v2/"), "").status == 401);
  CHECK(f.transport->requests.size() == 1);
  Fixture g(
      [](const Request&) {
        return respond(401, "", {{"WWW-Authenticate", R"(Basic realm="t")"}});
      },
      with_user("u", "wrong"));
  CHECK(g.client->send("r.example", get("/v2/"), "").status == 401);
  CHECK(g.transport->requests.size() == 2);
  CHECK_THROWS_AS(g.client->call("r.example", get("/v2/"), "", {200}, "checking"), RequestError);
}

TEST_CASE("Bearer: token per scope from the realm with Basic credentials, cached until expiry") {
  int tokens_issued = 0;
  Fixture f(
      [&](const Request& r) {
        if (r.url.rfind("https://auth.example/token", 0) == 0) {
          ++tokens_issued;
          CHECK(r.headers.get("Authorization") == basic_authorization("bob", "pw"));
          std::string scope = r.url.find("push") != std::string::npos ? "push" : "pull";
          return respond(200, R"({"token":"tok-)" + scope + std::to_string(tokens_issued) + R"(","expires_in":300})");
        }
        auto auth = r.headers.get("Authorization");
        if (auth && auth->rfind("Bearer tok-", 0) == 0) return respond(200);
        return respond(401, "", {{"WWW-Authenticate", bearer_challenge}});
      },
      with_user("bob", "pw"));
  CHECK(f.client->send("r.example", get("/v2/a/manifests/v1"), pull_scope("a")).status == 200);
  REQUIRE(f.transport->requests.size() == 3);
  CHECK(f.url_of(1) == "https://auth.example/token?service=reg&scope=repository%3Aa%3Apull&account=bob");
  CHECK(f.auth_of(2) == "Bearer tok-pull1");

  f.client->send("r.example", get("/v2/a/manifests/v2"), pull_scope("a"));
  CHECK(f.transport->requests.size() == 4);  // cached: no token request, no 401
  CHECK(f.auth_of(3) == "Bearer tok-pull1");

  f.client->send("r.example", get("/v2/a/blobs/uploads/"), push_scope("a"));
  CHECK(tokens_issued == 2);  // another scope, fetched up front (challenge known)
  CHECK(has_bearer(f.transport->requests.back(), "tok-push2"));

  f.clock.advance(std::chrono::minutes(10));
  f.client->send("r.example", get("/v2/a/manifests/v3"), pull_scope("a"));
  CHECK(tokens_issued == 3);  // expired: fetched again
}

TEST_CASE("Bearer: anonymous token requests carry no Authorization; access_token is accepted") {
  Fixture f([](const Request& r) {
    if (r.url.rfind("https://auth.example/token", 0) == 0) {
      CHECK_FALSE(r.headers.get("Authorization"));
      CHECK(r.url.find("account=") == std::string::npos);
      return respond(200, R"({"access_token":"anon"})");
    }
    if (has_bearer(r, "anon")) return respond(200);
    return respond(401, "", {{"www-authenticate", bearer_challenge}});
  });
  CHECK(f.client->send("r.example", get("/v2/a/manifests/v1"), pull_scope("a")).status == 200);
}

TEST_CASE("Bearer: a token refused by the registry (wrong scope) gives one 401 retry, then an error") {
  Fixture f([](const Request& r) {
    if (r.url.rfind("https://auth.example/", 0) == 0) return respond(200, R"({"token":"weak"})");
    return respond(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                   {{"WWW-Authenticate", std::string(bearer_challenge) + R"(,error="insufficient_scope")"}});
  });
  try {
    f.client->call("r.example", get("/v2/a/manifests/v1"), pull_scope("a"), {200}, "fetching manifest");
    FAIL("expected an error");
  } catch (const RequestError& e) {
    CHECK(e.kind() == wasme::ErrorKind::auth);
    CHECK(std::string(e.what()) == "fetching manifest: UNAUTHORIZED: authentication required (HTTP 401)");
  }
  CHECK(f.transport->requests.size() == 3);
}

TEST_CASE("Bearer: token endpoint errors, bad realms and HTTPS-to-HTTP realm downgrades") {
  Fixture denied([](const Request& r) {
    if (r.url.rfind("https://auth.example/", 0) == 0) {
      return respond(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"bad creds"}]})");
    }
    return respond(401, "", {{"WWW-Authenticate", bearer_challenge}});
  });
  try {
    denied.client->send("r.example", get("/v2/"), "");
    FAIL("expected an error");
  } catch (const wasme::Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::auth);
    CHECK(std::string(e.what()).find("requesting a token from https://auth.example/token") == 0);
  }
  for (const char* challenge : {R"(Bearer realm="file:///etc/passwd")", R"(Bearer realm="http://evil.example/t")"}) {
    CAPTURE(challenge);
    Fixture f([&](const Request&) { return respond(401, "", {{"WWW-Authenticate", challenge}}); });
    CHECK_THROWS_AS(f.client->send("r.example", get("/v2/"), ""), wasme::Error);
    CHECK(f.transport->requests.size() == 1);  // nothing was sent to the realm
  }
}

TEST_CASE("Bearer with an identity token: POST refresh_token, GET fallback on 404") {
  for (long post_status : {200L, 404L}) {
    CAPTURE(post_status);
    std::vector<std::string> seen;
    RemoteOptions options;
    Fixture f(
        [&](const Request& r) {
          if (r.url.rfind("https://auth.example/token", 0) == 0) {
            seen.push_back(r.method);
            if (r.method == "POST") {
              CHECK(r.body->bytes.find("grant_type=refresh_token") != std::string::npos);
              CHECK(r.body->bytes.find("refresh_token=rt-1") != std::string::npos);
              CHECK(r.body->bytes.find("scope=repository%3Aa%3Apull") != std::string::npos);
              CHECK(r.headers.get("content-type") == "application/x-www-form-urlencoded");
              if (post_status != 200) return respond(post_status);
            } else {
              CHECK(r.headers.get("Authorization") == basic_authorization("", "rt-1"));
            }
            return respond(200, R"({"access_token":"from-refresh"})");
          }
          if (has_bearer(r, "from-refresh")) return respond(200);
          return respond(401, "", {{"WWW-Authenticate", bearer_challenge}});
        },
        options);
    // The identity token comes from a credentials file.
    wasme::write_file_atomic("c.json", R"({"auths":{"r.example":{"identitytoken":"rt-1"}}})");
    options.credential_files = {"c.json"};
    f.client = std::make_unique<Client>(options, Observer{}, ClientDeps{f.transport, &f.clock, nullptr});
    CHECK(f.client->send("r.example", get("/v2/a/manifests/v1"), pull_scope("a")).status == 200);
    CHECK(seen == (post_status == 200 ? std::vector<std::string>{"POST"} : std::vector<std::string>{"POST", "GET"}));
  }
}

TEST_CASE("redirects are followed by the client; Authorization never goes to another host") {
  Fixture f(
      [](const Request& r) {
        if (r.url == "https://r.example/v2/a/blobs/moved") {
          return respond(302, "", {{"Location", "https://storage.example/b?X-Sig=secret"}});
        }
        if (r.url.rfind("https://r.example/v2/a/blobs/", 0) == 0) {
          if (!r.headers.get("Authorization")) return respond(401, "", {{"WWW-Authenticate", R"(Basic realm="x")"}});
          return respond(307, "", {{"Location", "/v2/a/blobs/moved"}});
        }
        return respond(200, "bytes");
      },
      with_user("u", "p"));
  Response response = f.client->send("r.example", get("/v2/a/blobs/sha256:x"), pull_scope("a"));
  CHECK(response.status == 200);
  CHECK(response.body == "bytes");
  CHECK(response.url == "https://storage.example/b?X-Sig=secret");
  REQUIRE(f.transport->requests.size() == 4);
  CHECK_FALSE(f.auth_of(2).empty());  // same host: still authorized
  CHECK(f.url_of(3) == "https://storage.example/b?X-Sig=secret");
  CHECK(f.auth_of(3).empty());
}

TEST_CASE("endless redirects end in an error") {
  Fixture f([](const Request&) { return respond(302, "", {{"Location", "/again"}}); });
  CHECK_THROWS_AS(f.client->send("r.example", get("/v2/"), ""), RequestError);
  CHECK(f.transport->requests.size() == 10);
}

TEST_CASE("loopback rule: HTTPS first, plain HTTP only when the server does not speak TLS") {
  auto tls_fails = [](Failure failure) {
    return [failure](const Request& r) -> Response {
      if (r.url.rfind("https://", 0) == 0) {
        throw RequestError(wasme::ErrorKind::network, r.url + ": TLS", "", failure);
      }
      return respond(200);
    };
  };
  Fixture f(tls_fails(Failure::tls_not_spoken));
  CHECK(f.client->send("127.0.0.1:5000", get("/v2/"), "").status == 200);
  CHECK(f.url_of(0) == "https://127.0.0.1:5000/v2/");
  CHECK(f.url_of(1) == "http://127.0.0.1:5000/v2/");
  f.client->send("127.0.0.1:5000", get("/v2/x/tags/list"), "");
  CHECK(f.url_of(2) == "http://127.0.0.1:5000/v2/x/tags/list");  // remembered

  Fixture localhost(tls_fails(Failure::tls_not_spoken));
  CHECK(localhost.client->send("localhost:5000", get("/v2/"), "").status == 200);

  Fixture verify(tls_fails(Failure::tls_verify));
  CHECK_THROWS_AS(verify.client->send("127.0.0.1:5000", get("/v2/"), ""), RequestError);
  CHECK(verify.transport->requests.size() == 1);

  Fixture remote(tls_fails(Failure::tls_not_spoken));
  CHECK_THROWS_AS(remote.client->send("r.example:5000", get("/v2/"), ""), RequestError);
  CHECK(remote.transport->requests.size() == 1);
}

TEST_CASE("call() retries 503 bursts and connection resets with backoff, not 404") {
  int calls = 0;
  Fixture f([&](const Request&) -> Response {
    ++calls;
    if (calls == 1) return respond(503);
    if (calls == 2) throw RequestError(wasme::ErrorKind::network, "reset", "", Failure::reset);
    if (calls == 3) return respond(429, "", {{"Retry-After", "2"}});
    return respond(200, "ok");
  });
  CHECK(f.client->call("r.example", get("/v2/"), "", {200}, "pinging").body == "ok");
  CHECK(calls == 4);
  REQUIRE(f.clock.sleeps.size() == 3);
  CHECK(f.clock.sleeps[2] == std::chrono::milliseconds(2000));

  Fixture missing([](const Request&) { return respond(404); });
  CHECK_THROWS_AS(missing.client->call("r.example", get("/v2/"), "", {200}, "x"), RequestError);
  CHECK(missing.transport->requests.size() == 1);
  CHECK(missing.clock.sleeps.empty());
}

TEST_CASE("parse_token_answer") {
  CHECK(parse_token_answer(R"({"token":"a","expires_in":120})").expires_in == std::chrono::seconds(120));
  CHECK(parse_token_answer(R"({"token":"a"})").expires_in == std::chrono::seconds(60));
  CHECK(parse_token_answer(R"({"token":"","access_token":"b"})").token == "b");
  CHECK(parse_token_answer(R"({"token":"a","refresh_token":"r"})").refresh_token == "r");
  for (const char* bad : {"", "[]", "{}", R"({"token":5})", "<html>"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_token_answer(bad), wasme::Error);
  }
}

TEST_CASE("progress reaches the observer once per percent, and always at the end") {
  std::vector<std::uint64_t> seen;
  Observer observer;
  observer.progress = [&](std::string_view, std::uint64_t done, std::uint64_t) { seen.push_back(done); };
  FakeClock clock;
  auto transport = std::make_shared<FakeTransport>([](const Request&) { return respond(200); });
  Client client({}, observer, {transport, &clock, nullptr});
  for (std::uint64_t done = 0; done <= 1000; done += 5) client.progress("blob", done, 1000);
  CHECK(seen.size() == 101);
  CHECK(seen.back() == 1000);
  client.progress("other", 0, 0);
  CHECK(seen.size() == 102);
}
