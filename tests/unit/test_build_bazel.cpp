#include <doctest/doctest.h>

#include <string>

#include "test_build_support.hpp"
#include "test_support.hpp"
#include "wasme/build/bazel.hpp"
#include "wasme/core/error.hpp"

using namespace build_test;
using test_support::ScopedEnv;
using wasme::Error;
using wasme::ErrorKind;
using wasme::build::find_bazel;

TEST_CASE("the build tool is found by --bazel, WASME_BAZEL, bazelisk, then bazel") {
  fs::path both = fs::absolute("both");
  fake_tool(both / "bazelisk");
  fake_tool(both / "bazel");
  fs::path only_bazel = fs::absolute("only");
  fake_tool(only_bazel / "bazel");
  fs::path mine = fake_tool("tools/my-bazel");

  ScopedEnv no_env("WASME_BAZEL", std::nullopt);
  {
    ScopedEnv path("PATH", both.string());
    auto tool = find_bazel(std::nullopt);
    CHECK(tool.path == both / "bazelisk");
    CHECK(tool.found_by == "bazelisk on PATH");
    CHECK(find_bazel(fs::path("bazel")).path == both / "bazel");  // a name is looked up on PATH
    CHECK(find_bazel(fs::path("bazel")).found_by == "--bazel");
    CHECK(find_bazel(mine).path == mine);
    ScopedEnv env("WASME_BAZEL", mine.string());
    CHECK(find_bazel(std::nullopt).path == mine);
    CHECK(find_bazel(std::nullopt).found_by == "WASME_BAZEL");
    CHECK(find_bazel(both / "bazel").path == both / "bazel");  // the flag wins over the variable
  }
  {
    ScopedEnv path("PATH", only_bazel.string());
    auto tool = find_bazel(std::nullopt);
    CHECK(tool.path == only_bazel / "bazel");
    CHECK(tool.found_by == "bazel on PATH");
  }
}

TEST_CASE("no Bazel, or a setting naming nothing, says so and how to install it") {
  fs::create_directories("empty-bin");
  std::ofstream("not-executable") << "x";
  ScopedEnv path("PATH", fs::absolute("empty-bin").string());
  ScopedEnv no_env("WASME_BAZEL", std::nullopt);
  struct Case {
    std::optional<fs::path> flag;
    std::optional<std::string> env;
    std::string message;
  };
  const Case cases[] = {
      {std::nullopt, std::nullopt, "Bazel is not installed: neither bazelisk nor bazel is on PATH"},
      {fs::path("/nonexistent/bazel"), std::nullopt,
       "--bazel names /nonexistent/bazel, which is not an executable file"},
      {fs::path("./not-executable"), std::nullopt, "--bazel names ./not-executable, which is not an executable file"},
      {fs::path("bazel7"), std::nullopt, "--bazel names bazel7, which is not on PATH"},
      {std::nullopt, std::string("/nope/bazelisk"),
       "WASME_BAZEL names /nope/bazelisk, which is not an executable file"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    ScopedEnv env("WASME_BAZEL", c.env);
    try {
      find_bazel(c.flag);
      FAIL("found a tool that does not exist");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::not_found);
      CHECK(std::string(e.what()) == c.message);
      CHECK(e.hint().find("apt-get install bazel-bootstrap") != std::string::npos);
      CHECK(e.hint().find("bazelisk") != std::string::npos);
    }
  }
}

TEST_CASE("startup options come from WASME_BAZEL_STARTUP_OPTS, split on whitespace") {
  {
    ScopedEnv env("WASME_BAZEL_STARTUP_OPTS", std::nullopt);
    CHECK(wasme::build::startup_options_from_env().empty());
  }
  ScopedEnv env("WASME_BAZEL_STARTUP_OPTS", "  --output_user_root=/tmp/b \t --batch\n");
  CHECK(wasme::build::startup_options_from_env() == std::vector<std::string>{"--output_user_root=/tmp/b", "--batch"});
  wasme::build::BazelTool tool{"/usr/bin/bazel", "bazel on PATH"};
  CHECK(wasme::build::bazel_command(tool, {"--batch"}, "build", {":filter.wasm", "-c", "opt"}) ==
        std::vector<std::string>{"/usr/bin/bazel", "--batch", "build", ":filter.wasm", "-c", "opt"});
}
