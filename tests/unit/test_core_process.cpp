#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/core/process.hpp"

using namespace wasme;
using test_support::expect_error;
using test_support::ScopedEnv;

namespace {

ProcessResult sh(const std::string& script, ProcessRequest request = {}) {
  request.argv = {"sh", "-c", script};
  return system_process_runner().run(request);
}

void write_script(const std::filesystem::path& path, const std::string& body, unsigned mode) {
  write_file_atomic(path, "#!/bin/sh\n" + body + "\n", mode, Durability::no_fsync);
}

}  // namespace

TEST_CASE("run captures stdout, stderr and the exit status") {
  auto r = sh("echo out; echo err >&2; exit 3");
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK(r.exit_code == 3);
  CHECK(r.signal == 0);
  CHECK_FALSE(r.ok());
  CHECK(r.describe() == "exit status 3");
  CHECK(sh("true").ok());
}

TEST_CASE("run feeds stdin and survives large input and output without deadlock") {
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = '\n';
  ProcessRequest request;
  request.input = big;
  auto r = sh("cat; cat /dev/null >&2", request);
  REQUIRE(r.ok());
  CHECK(r.out == big);
}

TEST_CASE("stdin is /dev/null unless input is given") {
  auto r = sh("cat");
  CHECK(r.ok());
  CHECK(r.out.empty());
}

TEST_CASE("a child that exits without reading its input does not kill us") {
  ProcessRequest request;
  request.input = std::string(8 << 20, 'y');
  auto r = sh("exit 0", request);
  CHECK(r.ok());
}

TEST_CASE("discard and to_stderr routes") {
  ProcessRequest request;
  request.out = OutputMode::discard;
  request.err = OutputMode::discard;
  auto r = sh("echo hidden; echo hidden >&2", request);
  CHECK(r.ok());
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("cwd and environment overrides reach the child") {
  std::filesystem::create_directory("sub");
  ScopedEnv drop("WASME_TEST_DROP", "present");
  ProcessRequest request;
  request.cwd = std::filesystem::current_path() / "sub";
  request.env["WASME_TEST_VAR"] = "a b'c";
  request.unset_env = {"WASME_TEST_DROP"};
  auto r = sh("pwd; echo \"$WASME_TEST_VAR\"; echo \"${WASME_TEST_DROP:-gone}\"", request);
  REQUIRE(r.ok());
  std::string expected = request.cwd->string() + "\na b'c\ngone\n";
  CHECK(r.out == expected);
}

TEST_CASE("a signal and a timeout are reported, not thrown") {
  auto killed = sh("kill -9 $$");
  CHECK(killed.signal == 9);
  CHECK(killed.describe() == "killed by signal 9");

  ProcessRequest request;
  request.timeout = std::chrono::milliseconds(200);
  auto slow = sh("exec sleep 30", request);
  CHECK(slow.timed_out);
  CHECK_FALSE(slow.ok());
  CHECK(slow.describe() == "timed out");
}

TEST_CASE("a missing program is not_found with a hint; an empty argv is a usage error") {
  ProcessRequest request;
  request.argv = {"wasme-no-such-program-xyz"};
  Error e = expect_error([&] { system_process_runner().run(request); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()).find("wasme-no-such-program-xyz") != std::string::npos);
  CHECK(e.hint().find("PATH") != std::string::npos);
  CHECK_THROWS_AS(system_process_runner().run(ProcessRequest{}), Error);
}

TEST_CASE("find_executable searches PATH in order and skips non-executables") {
  auto cwd = std::filesystem::current_path();
  std::filesystem::create_directories("a");
  std::filesystem::create_directories("b");
  write_script(cwd / "a/tool", "echo a", 0644);  // not executable: skipped
  write_script(cwd / "b/tool", "echo b", 0755);
  std::filesystem::create_directories("a/dir-tool");  // a directory: skipped
  ScopedEnv path("PATH", (cwd / "a").string() + ":" + (cwd / "b").string());
  CHECK(find_executable("tool") == cwd / "b/tool");
  CHECK_FALSE(find_executable("dir-tool"));
  CHECK_FALSE(find_executable("missing"));
  CHECK_FALSE(find_executable(""));
  CHECK(find_executable((cwd / "b/tool").string()) == cwd / "b/tool");
  CHECK_FALSE(find_executable((cwd / "a/tool").string()));
  ProcessRequest request;
  request.argv = {"tool"};
  CHECK(system_process_runner().run(request).out == "b\n");
}

TEST_CASE("check_process names the step, the command and the stderr") {
  ProcessRequest request;
  request.argv = {"sh", "-c", "echo 'no such thing' >&2; exit 4"};
  auto r = system_process_runner().run(request);
  try {
    check_process(r, request, "applying the cache");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::external);
    CHECK(std::string(e.what()) ==
          "applying the cache: `sh -c 'echo '\\''no such thing'\\'' >&2; exit 4'` failed: "
          "exit status 4: no such thing");
  }
  CHECK_NOTHROW(check_process(sh("true"), request, "x"));
}

TEST_CASE("shell_quote leaves plain words alone and quotes the rest") {
  struct Case {
    std::vector<std::string> argv;
    std::string expected;
  };
  Case cases[] = {
      {{"kubectl", "-n", "default", "get", "deploy/x"}, "kubectl -n default get deploy/x"},
      {{"a b"}, "'a b'"},
      {{""}, "''"},
      {{"it's"}, "'it'\\''s'"},
      {{"-p={\"a\":1}"}, "'-p={\"a\":1}'"},
      {{"$(rm -rf /)"}, "'$(rm -rf /)'"},
  };
  for (const auto& c : cases) CHECK(shell_quote(c.argv) == c.expected);
}
