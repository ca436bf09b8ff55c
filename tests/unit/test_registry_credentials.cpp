#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/registry/base64.hpp"
#include "wasme/registry/credentials.hpp"

namespace fs = std::filesystem;
using namespace wasme::registry;
using nlohmann::json;
using test_support::error_of;
using test_support::ScopedEnv;

namespace {

// Every credentials location points into the test's temp dir, and nothing is set.
struct CleanEnv {
  ScopedEnv auth_file{"REGISTRY_AUTH_FILE", std::nullopt};
  ScopedEnv runtime{"XDG_RUNTIME_DIR", std::nullopt};
};

std::string auth(const std::string& user, const std::string& pass) { return base64_encode(user + ":" + pass); }

void write_json(const fs::path& path, const json& doc) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  wasme::write_file_atomic(path, doc.dump());
}

json auths(const std::string& key, const std::string& user, const std::string& pass) {
  return {{"auths", {{key, {{"auth", auth(user, pass)}}}}}};
}

// A fake docker-credential-test on PATH: knows Docker Hub and tok.example, logs its calls.
struct FakeHelper {
  fs::path bin = fs::absolute("bin");
  ScopedEnv path;
  FakeHelper() : path("PATH", fs::absolute("bin").string() + ":" + std::getenv("PATH")) {
    fs::create_directories(bin);
    wasme::write_file_atomic(bin / "docker-credential-test", R"(#!/bin/sh
read url
echo "$1 $url" >> "$(dirname "$0")/calls.log"
case "$url" in
  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"hubuser","Secret":"hubpass"}' ;;
  tok.example) echo '{"ServerURL":"tok.example","Username":"<token>","Secret":"refresh-123"}' ;;
  broken.example) echo 'keychain exploded' >&2; exit 3 ;;
  leaky.example) echo '{"Username":"u","Secret":"leaked-secret-42"}'; exit 1 ;;
  says.example) echo 'keychain is locked'; exit 1 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
)",
                             0755);
  }
  std::string calls() const { return wasme::read_file(bin / "calls.log"); }
};

}  // namespace

TEST_CASE("registry keys normalize with and without scheme, Docker Hub aliases") {
  struct Case {
    const char* key;
    const char* normalized;
  };
  for (Case c : {Case{"https://index.docker.io/v1/", "docker.io"}, Case{"index.docker.io", "docker.io"},
                 Case{"registry-1.docker.io", "docker.io"}, Case{"docker.io", "docker.io"},
                 Case{"http://127.0.0.1:5000/v2/", "127.0.0.1:5000"}, Case{"GHCR.io", "ghcr.io"},
                 Case{"quay.io/team/repo", "quay.io"}, Case{"localhost:5000", "localhost:5000"}}) {
    CAPTURE(c.key);
    CHECK(normalize_registry(c.key) == c.normalized);
  }
  CHECK(docker_config_key("docker.io") == "https://index.docker.io/v1/");
  CHECK(docker_config_key("https://ghcr.io") == "ghcr.io");
}

TEST_CASE("-u/-p win over every file; -u alone is a usage error") {
  CleanEnv env;
  write_json(login_file(), auths("r.example", "fileuser", "filepass"));
  RemoteOptions options;
  options.username = "flaguser";
  options.password = "flagpass";
  auto cred = find_credential("r.example", options);
  REQUIRE(cred);
  CHECK(cred->username == "flaguser");
  CHECK(cred->password == "flagpass");
  options.password.reset();
  try {
    find_credential("r.example", options);
    FAIL("expected a usage error");
  } catch (const wasme::Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::usage);
  }
}

TEST_CASE("-c files are tried in order before the defaults; a missing one is an error") {
  CleanEnv env;
  write_json("one.json", auths("other.example", "u1", "p1"));
  write_json("two.json", auths("https://r.example:5000/", "u2", "p2"));
  write_json(login_file(), auths("r.example:5000", "u3", "p3"));
  RemoteOptions options;
  options.credential_files = {"one.json", "two.json"};
  auto cred = find_credential("r.example:5000", options);
  REQUIRE(cred);
  CHECK(cred->username == "u2");
  CHECK(cred->source == "two.json");
  options.credential_files = {"absent.json"};
  CHECK_THROWS_AS(find_credential("r.example:5000", options), wasme::Error);
}

TEST_CASE("the default chain: wasme login file, docker config, then podman's auth.json") {
  CleanEnv env;
  RemoteOptions options;
  CHECK_FALSE(find_credential("r.example", options));

  // podman's file in the home directory, read whether or not XDG_RUNTIME_DIR is set
  write_json(wasme::home_dir() / ".config/containers/auth.json", auths("r.example", "podman-home", "ph"));
  CHECK(find_credential("r.example", options)->username == "podman-home");
  write_json("run/containers/auth.json", auths("r.example", "podman", "pp"));
  ScopedEnv runtime("XDG_RUNTIME_DIR", fs::absolute("run").string());
  CHECK(find_credential("r.example", options)->username == "podman");

  write_json("custom-auth.json", auths("r.example", "authfile", "ap"));
  {
    ScopedEnv auth_file("REGISTRY_AUTH_FILE", fs::absolute("custom-auth.json").string());
    CHECK(find_credential("r.example", options)->username == "authfile");
  }

  write_json(fs::path(std::getenv("DOCKER_CONFIG")) / "config.json", auths("r.example", "docker", "dp"));
  CHECK(find_credential("r.example", options)->username == "docker");

  write_json(login_file(), auths("r.example", "wasme", "wp"));
  CHECK(find_credential("r.example", options)->username == "wasme");
  CHECK_FALSE(find_credential("r.example:5000", options));  // the port is part of the name
}

TEST_CASE("without DOCKER_CONFIG, ~/.docker/config.json is read") {
  CleanEnv env;
  ScopedEnv docker("DOCKER_CONFIG", std::nullopt);
  write_json(wasme::home_dir() / ".docker/config.json", auths("https://index.docker.io/v1/", "hub", "hp"));
  auto cred = find_credential("docker.io", {});
  REQUIRE(cred);
  CHECK(cred->username == "hub");
  CHECK(cred->password == "hp");
}

TEST_CASE("entries may hold identity tokens, registry tokens or plain username/password") {
  CleanEnv env;
  write_json("c.json", {{"auths",
                         {{"id.example", {{"auth", auth("u", "")}, {"identitytoken", "refresh-1"}}},
                          {"rt.example", {{"registrytoken", "bearer-1"}}},
                          {"plain.example", {{"username", "pu"}, {"password", "pp"}}},
                          {"empty.example", json::object()},
                          {"colon.example", {{"auth", auth("u", "pa:ss")}}}}}});
  RemoteOptions options;
  options.credential_files = {"c.json"};
  CHECK(find_credential("id.example", options)->identity_token == "refresh-1");
  CHECK(find_credential("rt.example", options)->registry_token == "bearer-1");
  CHECK(find_credential("plain.example", options)->password == "pp");
  CHECK_FALSE(find_credential("empty.example", options));
  CHECK(find_credential("colon.example", options)->password == "pa:ss");
}

TEST_CASE("malformed files are errors that name the file") {
  CleanEnv env;
  wasme::write_file_atomic("bad.json", "{not json");
  write_json("badauth.json", {{"auths", {{"r.example", {{"auth", "!!!"}}}}}});
  RemoteOptions options;
  for (const char* file : {"bad.json", "badauth.json"}) {
    CAPTURE(file);
    options.credential_files = {file};
    try {
      find_credential("r.example", options);
      FAIL("expected an error");
    } catch (const wasme::Error& e) {
      CHECK(e.kind() == wasme::ErrorKind::invalid_input);
      CHECK(std::string(e.what()).find(file) != std::string::npos);
    }
  }
}

TEST_CASE("credsStore and credHelpers run docker-credential-<name> get with the server on stdin") {
  CleanEnv env;
  FakeHelper helper;
  write_json("c.json", {{"credsStore", "test"},
                        {"credHelpers", {{"tok.example", "test"}}},
                        {"auths", {{"fallback.example", {{"auth", auth("fb", "fp")}}}}}});
  RemoteOptions options;
  options.credential_files = {"c.json"};
  auto hub = find_credential("docker.io", options);
  REQUIRE(hub);
  CHECK(hub->username == "hubuser");
  CHECK(hub->password == "hubpass");
  CHECK(hub->source == "docker-credential-test");
  auto token = find_credential("tok.example", options);
  REQUIRE(token);
  CHECK(token->identity_token == "refresh-123");
  CHECK(token->username.empty());
  // The store has nothing: the file's own auths entry answers.
  CHECK(find_credential("fallback.example", options)->username == "fb");
  CHECK_FALSE(find_credential("nothing.example", options));
  CHECK(helper.calls() ==
        "get https://index.docker.io/v1/\nget tok.example\nget fallback.example\nget nothing.example\n");
}

TEST_CASE("a failing or missing helper is an auth error, never silently anonymous") {
  CleanEnv env;
  FakeHelper helper;
  write_json("c.json", {{"credHelpers", {{"broken.example", "test"}, {"gone.example", "absent"}}}});
  RemoteOptions options;
  options.credential_files = {"c.json"};
  for (const char* host : {"broken.example", "gone.example"}) {
    CAPTURE(host);
    try {
      find_credential(host, options);
      FAIL("expected an error");
    } catch (const wasme::Error& e) {
      CHECK(e.kind() == wasme::ErrorKind::auth);
    }
  }
}

TEST_CASE("a failing helper's message is shown, but never output that may hold its secret") {
  CleanEnv env;
  FakeHelper helper;
  write_json("c.json",
             {{"credHelpers", {{"broken.example", "test"}, {"leaky.example", "test"}, {"says.example", "test"}}}});
  RemoteOptions options;
  options.credential_files = {"c.json"};
  auto message_for = [&](const char* host) { return error_of([&] { find_credential(host, options); }); };
  CHECK(message_for("broken.example").find("keychain exploded") != std::string::npos);  // stderr
  CHECK(message_for("says.example").find("keychain is locked") != std::string::npos);   // stdout, plain text
  std::string leaky = message_for("leaky.example");
  CHECK(leaky.find("docker-credential-test get for leaky.example") != std::string::npos);
  CHECK(leaky.find("leaked-secret-42") == std::string::npos);
}

TEST_CASE("save_login merges into credentials.json with mode 0600; remove_login edits it") {
  CleanEnv env;
  write_json(
      login_file(),
      {{"auths",
        {{"keep.example", {{"auth", auth("k", "kp")}}}, {"https://r.example:5000/v2/", {{"auth", auth("old", "op")}}}}},
       {"HttpHeaders", {{"X-Keep", "1"}}}});
  save_login("r.example:5000", "new", "np");
  json doc = json::parse(wasme::read_file(login_file()));
  CHECK(doc["auths"].size() == 2);
  CHECK(doc["auths"]["keep.example"]["auth"] == auth("k", "kp"));
  CHECK(doc["auths"]["r.example:5000"]["auth"] == auth("new", "np"));
  CHECK(doc["HttpHeaders"]["X-Keep"] == "1");
  struct stat st {};
  REQUIRE(::stat(login_file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(find_credential("r.example:5000", {})->username == "new");

  save_login("docker.io", "hub", "hp");
  doc = json::parse(wasme::read_file(login_file()));
  CHECK(doc["auths"].contains("https://index.docker.io/v1/"));

  CHECK(remove_login("r.example:5000"));
  CHECK_FALSE(remove_login("r.example:5000"));
  doc = json::parse(wasme::read_file(login_file()));
  CHECK(doc["auths"].size() == 2);
  CHECK(doc["auths"].contains("keep.example"));
}

TEST_CASE("save_login creates the file and refuses to clobber a malformed one") {
  CleanEnv env;
  CHECK_FALSE(remove_login("r.example"));
  save_login("r.example", "u", "p");
  CHECK(fs::exists(login_file()));
  wasme::write_file_atomic(login_file(), "[1,2");
  CHECK_THROWS_AS(save_login("r.example", "u", "p"), wasme::Error);
  CHECK(wasme::read_file(login_file()) == "[1,2");
}

TEST_CASE("base64 round trips and rejects garbage") {
  for (const std::string& text :
       std::vector<std::string>{"", "a", "ab", "abc", "user:pass", std::string("\0\xff\x10", 3)}) {
    CHECK(base64_decode(base64_encode(text)) == text);
  }
  CHECK(base64_encode("user:pass") == "dXNlcjpwYXNz");
  CHECK_FALSE(base64_decode("a"));
  CHECK_FALSE(base64_decode("ab$d"));
}
