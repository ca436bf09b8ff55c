#include <doctest/doctest.h>

#include <string>

#include "test_build_support.hpp"
#include "test_support.hpp"
#include "wasme/build/cpp.hpp"
#include "wasme/core/error.hpp"
#include "wasme/store/store.hpp"

using namespace build_test;
using test_support::ScopedEnv;
using wasme::Error;
using wasme::ErrorKind;
using wasme::build::build_cpp;
using wasme::build::CppBuildRequest;

namespace {

// A workspace with a runtime-config.json, a fake bazel in WASME_BAZEL, and a request for it.
struct Fixture {
  fs::path bazel = fake_tool("bin/bazel");
  ScopedEnv env{"WASME_BAZEL", bazel.string()};
  ScopedEnv startup{"WASME_BAZEL_STARTUP_OPTS", "--output_user_root=/tmp/root"};
  wasme::store::Store store{fs::absolute("store")};
  FakeBazel runner;
  CppBuildRequest request;

  Fixture() {
    fs::create_directories("ws");
    std::ofstream("ws/WORKSPACE") << "workspace(name = \"ws\")\n";
    std::ofstream("ws/runtime-config.json")
        << R"({"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["add_header_root_id"]}})";
    request.source_dir = "ws";
    request.reference = wasme::oci::Reference::parse("localhost:5000/me/filter:v1");
    runner.build_output = fixture("abi_0_2_1.wasm");
  }

  Error expect_error() {
    return test_support::expect_error([&] { build_cpp(store, request, runner); });
  }
};

}  // namespace

TEST_CASE("build cpp runs bazel build in the workspace and stores the module with its config") {
  Fixture f;
  f.request.startup_options = {"--batch"};
  f.request.bazel_options = {"--spawn_strategy=local", "-c", "opt"};
  std::vector<std::string> logged;
  auto result = build_cpp(f.store, f.request, f.runner, [&](std::string_view line) { logged.emplace_back(line); });

  REQUIRE(f.runner.requests.size() == 1);
  const auto& run = f.runner.requests[0];
  CHECK(run.argv == std::vector<std::string>{f.bazel.string(), "--output_user_root=/tmp/root", "--batch", "build",
                                             ":filter.wasm", "--spawn_strategy=local", "-c", "opt"});
  CHECK(run.cwd == fs::path("ws"));
  CHECK(run.out == wasme::OutputMode::to_stderr);  // stdout stays clean for -o json
  CHECK(run.err == wasme::OutputMode::inherit);
  CHECK(result.command == run.argv);
  CHECK(result.bazel_found_by == "WASME_BAZEL");
  CHECK(result.module_file == fs::path("ws/bazel-bin/filter.wasm"));
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("running: ") == 0);
  CHECK(logged[0].find(" build :filter.wasm --spawn_strategy=local -c opt (in ws)") != std::string::npos);

  const auto& image = result.package.image;
  CHECK(image.reference.str() == "localhost:5000/me/filter:v1");
  CHECK(image.module_abi == wasme::wasm::ProxyAbi::v0_2_1);
  CHECK(image.config.root_ids == std::vector<std::string>{"add_header_root_id"});
  CHECK(image.config.abi_versions == std::vector<std::string>{"v0.2.1"});
  CHECK(result.package.warnings.empty());
  CHECK(f.store.find(image.reference).has_value());
}

TEST_CASE("a failing build carries Bazel's exit status and stores nothing") {
  Fixture f;
  f.runner.build_status = 3;
  f.runner.build_output.reset();
  Error e = f.expect_error();
  CHECK(e.kind() == ErrorKind::external);
  CHECK(e.exit_status() == 3);
  CHECK(std::string(e.what()) == "building ws: bazel build :filter.wasm failed: exit status 3");
  CHECK(e.hint().find("Bazel's messages are above") != std::string::npos);
  CHECK(f.store.images().empty());
}

TEST_CASE("the output is found through bazel info when the bazel-bin link is missing") {
  Fixture f;
  f.runner.build_output.reset();  // the build writes nothing under ws/bazel-bin
  fs::create_directories("elsewhere/bin");
  fs::copy_file(fixture("abi_0_2_1.wasm"), "elsewhere/bin/filter.wasm");
  f.runner.info_status = 0;
  f.runner.info_out = fs::absolute("elsewhere/bin").string() + "\n";
  auto result = build_cpp(f.store, f.request, f.runner);
  REQUIRE(f.runner.requests.size() == 2);
  CHECK(f.runner.requests[1].argv ==
        std::vector<std::string>{f.bazel.string(), "--output_user_root=/tmp/root", "info", "bazel-bin"});
  CHECK(result.module_file == fs::absolute("elsewhere/bin/filter.wasm"));
}

TEST_CASE("a missing output names the file and how to find the right one") {
  Fixture f;
  f.runner.build_output.reset();
  f.request.output = "sub/other.wasm";
  Error e = f.expect_error();
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()) == "building ws: Bazel built :filter.wasm but bazel-bin/sub/other.wasm does not exist");
  CHECK(e.hint().find("--bazel-output") != std::string::npos);
  CHECK(f.store.images().empty());
}

TEST_CASE("what Bazel built must be a proxy-wasm module") {
  struct Case {
    std::string fixture;
    std::string message;
  };
  const Case cases[] = {
      {"plain.wasm", "is a wasm module but not a proxy-wasm filter"},
      {"not_wasm.txt", "checking what Bazel built"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.fixture);
    Fixture f;
    f.runner.build_output = fixture(c.fixture);
    Error e = f.expect_error();
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK(std::string(e.what()).find(c.message) != std::string::npos);
    CHECK(f.store.images().empty());
    fs::remove_all("ws");
    fs::remove_all("store");
  }
}

TEST_CASE("inputs are checked before Bazel runs") {
  struct Case {
    std::function<void(Fixture&)> setup;
    ErrorKind kind;
    std::string message;
  };
  const Case cases[] = {
      {[](Fixture& f) { f.request.source_dir = "missing"; }, ErrorKind::not_found, "directory missing does not exist"},
      {[](Fixture&) { fs::remove("ws/WORKSPACE"); }, ErrorKind::invalid_input, "ws is not a Bazel workspace"},
      {[](Fixture& f) { f.request.source_dir = "ws/WORKSPACE"; }, ErrorKind::invalid_input, "is not a directory"},
      {[](Fixture& f) { f.request.output = "../escape.wasm"; }, ErrorKind::usage, "must be a path under bazel-bin/"},
      {[](Fixture& f) { f.request.output = "/abs.wasm"; }, ErrorKind::usage, "must be a path under bazel-bin/"},
      {[](Fixture&) { std::ofstream("ws/runtime-config.json") << "{\"abiVersion\": \"x\"}"; }, ErrorKind::invalid_input,
       "ws/runtime-config.json"},
      {[](Fixture& f) { f.request.config_file = "nope.json"; }, ErrorKind::not_found, "nope.json"},
      {[](Fixture& f) { f.request.bazel = fs::path("/no/such/bazel"); }, ErrorKind::not_found, "--bazel names"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    {
      Fixture f;
      c.setup(f);
      Error e = f.expect_error();
      CHECK(e.kind() == c.kind);
      CHECK(std::string(e.what()).find(c.message) != std::string::npos);
      CHECK(f.runner.requests.empty());
    }
    fs::remove_all("ws");
  }
}

TEST_CASE("a config whose ABI disagrees with the module is stored with a warning") {
  Fixture f;
  std::ofstream("istio14.json")
      << R"({"type":"envoy_proxy","abiVersions":["v0-6d525c67f39b36cdff9d688697f266c1b55e9cb7"],"config":{"rootIds":["r"]}})";
  f.request.config_file = "istio14.json";  // an explicit config wins over ws/runtime-config.json
  auto result = build_cpp(f.store, f.request, f.runner);
  CHECK(result.package.image.config.root_ids == std::vector<std::string>{"r"});
  REQUIRE(result.package.warnings.size() == 1);
  CHECK(result.package.warnings[0].find("0.2.1") != std::string::npos);
}

TEST_CASE("without a runtime-config.json the ABI is read from the module") {
  Fixture f;
  fs::remove("ws/runtime-config.json");
  auto result = build_cpp(f.store, f.request, f.runner);
  CHECK(result.package.image.config.abi_versions == std::vector<std::string>{"v0.2.1"});
  CHECK(result.package.image.config.root_ids.empty());
}
