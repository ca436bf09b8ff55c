#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "wasme/core/error.hpp"
#include "wasme/scaffold/init.hpp"

namespace fs = std::filesystem;
using namespace wasme::scaffold;
using wasme::Error;
using wasme::ErrorKind;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

InitRequest offline(const fs::path& dir) {
  InitRequest r;
  r.dir = dir;
  r.query.name = "cpp-offline";
  return r;
}

}  // namespace

TEST_CASE("init writes the template into a new directory and says what to run next") {
  InitResult result = init_project(offline("proj/my-filter"));
  CHECK(result.info.name == "cpp-offline");
  CHECK(result.values.at("NAME") == "my-filter");
  REQUIRE(fs::is_regular_file("proj/my-filter/BUILD"));
  CHECK(fs::is_regular_file("proj/my-filter/.bazelrc"));
  CHECK(!fs::exists("proj/my-filter/template.json"));
  CHECK(!fs::exists("proj/my-filter/.bazelversion"));
  CHECK(slurp("proj/my-filter/filter.cc").find("\"add_header_root_id\"") != std::string::npos);
  CHECK(result.files.size() == 9);
  for (const auto& f : result.files) CHECK(fs::is_regular_file("proj/my-filter" / f));
  CHECK(result.next_steps ==
        std::vector<std::string>{"wasme build cpp proj/my-filter -t localhost:5000/my-filter:v0.1",
                                 "wasme inspect localhost:5000/my-filter:v0.1",
                                 "wasme test localhost:5000/my-filter:v0.1 proj/my-filter/cases.yaml"});
  CHECK(result.notes.empty());
  // Nothing but the template's files: no temp files left behind.
  size_t count = 0;
  for (const auto& e : fs::recursive_directory_iterator("proj/my-filter")) count += e.is_regular_file();
  CHECK(count == result.files.size());
}

TEST_CASE("scripts are executable and the network note comes with templates that download") {
  InitRequest r;
  r.dir = "old";
  r.query.platform = "istio";
  r.query.platform_version = "1.4.x";
  InitResult result = init_project(r);
  CHECK(result.info.name == "cpp-istio-1.4");
  auto perms = fs::status("old/toolchain/emcc.sh").permissions();
  CHECK((perms & fs::perms::owner_exec) != fs::perms::none);
  CHECK((fs::status("old/BUILD").permissions() & fs::perms::owner_exec) == fs::perms::none);
  REQUIRE(result.notes.size() == 1);
  CHECK(result.notes[0].find("network") != std::string::npos);
}

TEST_CASE("a non-empty directory is refused unless overwriting is asked for") {
  fs::create_directories("busy");
  std::ofstream("busy/notes.txt") << "mine";
  std::ofstream("busy/BUILD") << "old";
  try {
    init_project(offline("busy"));
    FAIL("wrote into a non-empty directory");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK(std::string(e.what()).find("busy is not empty") != std::string::npos);
    CHECK(e.hint().find("--force") != std::string::npos);
  }
  CHECK(slurp("busy/BUILD") == "old");
  CHECK(!fs::exists("busy/filter.cc"));

  InitRequest r = offline("busy");
  r.existing = ExistingFiles::overwrite;
  init_project(r);
  CHECK(slurp("busy/notes.txt") == "mine");  // files the template does not have stay
  CHECK(slurp("busy/BUILD").find("genrule(") != std::string::npos);

  // An empty directory is fine without --force; a file in the way is not.
  fs::create_directory("empty");
  CHECK_NOTHROW(init_project(offline("empty")));
  std::ofstream("plain-file") << "x";
  CHECK_THROWS_WITH_AS(init_project(offline("plain-file")), doctest::Contains("not a directory"), Error);
}

TEST_CASE("init never writes through a symlink inside the project directory") {
  fs::create_directories("outside");
  fs::create_directories("proj");
  fs::create_directory_symlink(fs::absolute("outside"), "proj/toolchain");
  InitRequest r;
  r.dir = "proj";
  r.query.name = "cpp-istio-1.4";
  r.existing = ExistingFiles::overwrite;
  CHECK_THROWS_WITH_AS(init_project(r), doctest::Contains("proj/toolchain is a symbolic link"), Error);
  CHECK(fs::is_empty("outside"));
  CHECK(!fs::exists("proj/BUILD"));  // checked before anything was written

  // A symlinked file is replaced, not followed.
  fs::remove("proj/toolchain");
  std::ofstream("outside/target") << "keep";
  fs::create_symlink(fs::absolute("outside/target"), "proj/BUILD");
  init_project(r);
  CHECK(slurp("outside/target") == "keep");
  CHECK(!fs::is_symlink("proj/BUILD"));
}

TEST_CASE("several matching templates: ask when possible, else list the choices") {
  InitRequest r;
  r.dir = "p";
  try {
    init_project(r);
    FAIL("chose without asking");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(std::string(e.what()).find("no template chosen") != std::string::npos);
    CHECK(e.hint().find("--template") != std::string::npos);
    CHECK(e.hint().find("cpp-offline (cpp;") != std::string::npos);
  }
  CHECK(!fs::exists("p"));

  std::vector<std::string> seen;
  std::string question;
  Chooser pick_last = [&](const std::string& q, const std::vector<std::string>& options) {
    question = q;
    seen = options;
    return options.size() - 1;
  };
  r.query.platform = "envoy";
  InitResult result = init_project(r, pick_last);
  CHECK(question.find("template") != std::string::npos);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].find("assemblyscript: ") == 0);
  CHECK(seen[1].find("cpp: ") == 0);
  CHECK(seen[2].find("cpp-offline: ") == 0);
  CHECK(result.info.name == "cpp-offline");

  Chooser out_of_range = [](const std::string&, const std::vector<std::string>&) { return size_t(9); };
  CHECK_NOTHROW(init_project(offline("q"), out_of_range));  // one match: never asks
  r.dir = "q2";
  CHECK_THROWS_WITH_AS(init_project(r, out_of_range), doctest::Contains("no template chosen"), Error);
}

TEST_CASE("nothing fits: the error lists every template") {
  InitRequest r;
  r.dir = "p";
  r.query.platform = "istio";
  r.query.platform_version = "1.6";
  try {
    init_project(r);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(e.hint().find("cpp-istio-1.4") != std::string::npos);
  }
}
