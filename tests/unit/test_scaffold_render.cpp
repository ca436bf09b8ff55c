#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "wasme/core/error.hpp"
#include "wasme/scaffold/catalog.hpp"
#include "wasme/scaffold/render.hpp"

using namespace wasme::scaffold;
using wasme::Error;
using wasme::ErrorKind;

TEST_CASE("placeholders are replaced; text that only looks similar is left alone") {
  Values values{{"NAME", "demo"}, {"ROOT_ID", "rid"}};
  CHECK(render_text("{{NAME}}/{{ROOT_ID}}", values, "f") == "demo/rid");
  CHECK(render_text("x{{NAME}}{{NAME}}y", values, "f") == "xdemodemoy");
  // C++ brace initialisers, lowercase and incomplete markers are not placeholders.
  const std::string untouched[] = {"int a[1][1] = {{0}};", "{{name}}", "{{NAME", "{{ NAME }}", "{{}}", "{NAME}",
                                   "{{{NAME}}}x"};
  for (const auto& text : untouched) {
    CAPTURE(text);
    if (text == "{{{NAME}}}x") {
      CHECK(render_text(text, values, "f") == "{demo}x");
    } else {
      CHECK(render_text(text, values, "f") == text);
    }
  }
}

TEST_CASE("a placeholder without a value names the file and the key") {
  try {
    render_text("a {{MISSING}} b", {{"NAME", "x"}}, "cpp/BUILD");
    FAIL("rendered with a missing value");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK(std::string(e.what()) == "template file cpp/BUILD: no value for {{MISSING}}");
  }
}

TEST_CASE("find_placeholders lists what is left") {
  CHECK(find_placeholders("none here {{ x }} {{lower}}").empty());
  CHECK(find_placeholders("{{A}} and {{B_2}}") == std::vector<std::string>{"A", "B_2"});
}

TEST_CASE("template paths must stay inside the project") {
  CHECK(safe_relative_path("BUILD") == "BUILD");
  CHECK(safe_relative_path("toolchain/emcc.sh") == "toolchain/emcc.sh");
  CHECK(safe_relative_path(".bazelrc") == ".bazelrc");
  struct Bad {
    std::string path;
    std::string message;
  };
  const Bad cases[] = {
      {"", "is empty"},
      {"/etc/passwd", "is absolute"},
      {"../x", "has a \"..\" component"},
      {"a/../../x", "has a \"..\" component"},
      {"a/./b", "has a \".\" component"},
      {".", "has a \".\" component"},
      {"a//b", "has an empty component"},
      {"a/", "has an empty component"},
      {"a\\..\\b", "contains a backslash"},
      {std::string("a\0b", 3), "contains a NUL byte"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    try {
      safe_relative_path(c.path);
      FAIL("accepted an unsafe path");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK(std::string(e.what()).find(c.message) != std::string::npos);
    }
  }
}

TEST_CASE("project values come from the directory name and the root id") {
  struct Case {
    std::string dir;
    std::string name;
    std::string workspace;
  };
  const Case cases[] = {
      {"my-filter", "my-filter", "my_filter"},
      {"/tmp/x/My_Filter.v2", "my-filter-v2", "my_filter_v2"},
      {"a/b/", "b", "b"},
      {"2fast", "2fast", "filter_2fast"},
      {"---", "filter", "filter"},
      {"héllo wörld", "h-llo-w-rld", "h_llo_w_rld"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.dir);
    Values v = project_values(c.dir, "add_header_root_id");
    CHECK(v.at("NAME") == c.name);
    CHECK(v.at("WORKSPACE_NAME") == c.workspace);
    CHECK(v.at("ROOT_ID") == "add_header_root_id");
  }
  for (const std::string& bad : std::vector<std::string>{"", "a\"b", "a b", "x\\y", "a{{B}}", std::string(129, 'r')}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(project_values("d", bad), Error);
  }
  CHECK(project_values("d", "my.root:id-1").at("ROOT_ID") == "my.root:id-1");
}

TEST_CASE("every template renders completely, with a valid runtime-config.json") {
  for (const auto& info : templates()) {
    CAPTURE(info.name);
    Values values = project_values("demo-filter", "custom_root");
    auto files = render_template(info, values);
    REQUIRE(files.size() >= 5);
    bool have_build = false, have_workspace = false, have_config = false, have_readme = false;
    for (const auto& f : files) {
      CAPTURE(f.path);
      CHECK(f.path != "template.json");
      CHECK(find_placeholders(f.content).empty());
      CHECK(f.mode == (f.path.extension() == ".sh" ? 0755u : 0644u));
      if (f.path == "BUILD") {
        have_build = true;
        // `wasme build cpp` builds :filter.wasm and reads bazel-bin/filter.wasm by default.
        bool target = f.content.find("name = \"filter.wasm\"") != std::string::npos ||
                      f.content.find("outs = [\"filter.wasm\"]") != std::string::npos;
        CHECK(target);
      }
      if (f.path == "WORKSPACE") {
        have_workspace = true;
        CHECK(f.content.find("workspace(name = \"demo_filter\")") != std::string::npos);
      }
      if (f.path == "README.md") {
        have_readme = true;
        CHECK(f.content.find("# demo-filter\n") == 0);
      }
      if (f.path == "runtime-config.json") {
        have_config = true;
        auto j = nlohmann::json::parse(f.content);
        CHECK(j.at("type") == "envoy_proxy");
        CHECK(j.at("abiVersions") == nlohmann::json::array({info.abi}));
        CHECK(j.at("config").at("rootIds") == nlohmann::json::array({"custom_root"}));
        CHECK(j.size() == 3);
      }
      if (f.path.extension() == ".cc") {
        CHECK(f.content.find("\"custom_root\"") != std::string::npos);
      }
    }
    if (info.language == "cpp") {  // Bazel projects
      CHECK(have_build);
      CHECK(have_workspace);
    } else {  // npm projects: package.json and its lock name the project
      bool have_package = false, have_lock = false;
      for (const auto& f : files) {
        if (f.path == "package.json") have_package = nlohmann::json::parse(f.content).at("name") == "demo-filter";
        if (f.path == "package-lock.json") have_lock = nlohmann::json::parse(f.content).at("name") == "demo-filter";
        if (f.path.extension() == ".ts" && f.path.filename() == "index.ts") {
          CHECK(f.content.find("\"custom_root\")") != std::string::npos);
        }
      }
      CHECK(have_package);
      CHECK(have_lock);
    }
    CHECK(have_config);
    CHECK(have_readme);
  }
}

TEST_CASE("the two copies of the configuration reader are identical") {
  auto find = [](const std::string& tmpl) {
    for (const auto& info : templates()) {
      if (info.name != tmpl) continue;
      for (auto& f : render_template(info, project_values("x", "r"))) {
        if (f.path == "add_header_config.h") return f.content;
      }
    }
    return std::string();
  };
  std::string offline = find("cpp-offline");
  REQUIRE(!offline.empty());
  CHECK(offline == find("cpp"));
}
