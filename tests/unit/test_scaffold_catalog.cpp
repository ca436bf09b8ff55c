#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "wasme/core/error.hpp"
#include "wasme/scaffold/catalog.hpp"

using namespace wasme::scaffold;

namespace {

std::vector<std::string> names(const std::vector<TemplateInfo>& infos) {
  std::vector<std::string> out;
  for (const auto& t : infos) out.push_back(t.name);
  return out;
}

}  // namespace

TEST_CASE("the embedded catalog lists the C++ and AssemblyScript templates with their ABIs") {
  const auto& all = templates();
  REQUIRE(names(all) == std::vector<std::string>{"assemblyscript", "cpp", "cpp-istio-1.4", "cpp-offline"});
  for (const auto& t : all) {
    CAPTURE(t.name);
    CHECK(t.language == (t.name == "assemblyscript" ? "assemblyscript" : "cpp"));
    CHECK(!t.description.empty());
    CHECK(!t.platforms.empty());
  }
  CHECK(all[0].abi == "v0.2.0");
  CHECK(all[1].abi == "v0.2.1");
  CHECK(all[2].abi == "v0-6d525c67f39b36cdff9d688697f266c1b55e9cb7");
  CHECK(all[3].abi == "v0.2.1");
  CHECK(all[0].network == Network::first_build);  // npm fetches the compiler
  CHECK(all[2].network == Network::first_build);
  CHECK(all[3].network == Network::not_needed);
  CHECK(describe_platforms(all[0]) == "istio 1.7+, envoy 1.15+");
  CHECK(describe_platforms(all[2]) == "istio 1.4");
  CHECK(describe_platforms(all[3]) == "istio 1.9+, envoy 1.17+, gloo 1.6+");
}

TEST_CASE("queries select templates by name, language, platform and version") {
  struct Case {
    TemplateQuery query;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {{}, {"assemblyscript", "cpp", "cpp-istio-1.4", "cpp-offline"}},
      {{"cpp-offline", "", "", ""}, {"cpp-offline"}},
      {{"", "cpp", "", ""}, {"cpp", "cpp-istio-1.4", "cpp-offline"}},
      {{"", "assemblyscript", "", ""}, {"assemblyscript"}},
      {{"", "", "istio", ""}, {"assemblyscript", "cpp", "cpp-istio-1.4", "cpp-offline"}},
      {{"", "", "istio", "1.4.x"}, {"cpp-istio-1.4"}},
      {{"", "", "istio", "1.4"}, {"cpp-istio-1.4"}},
      {{"", "", "istio", "1.4.2"}, {"cpp-istio-1.4"}},
      {{"", "", "istio", "v1.4"}, {"cpp-istio-1.4"}},
      {{"", "", "istio", "1.5.x"}, {}},
      {{"", "", "istio", "1.7"}, {"assemblyscript"}},
      {{"", "", "istio", "1.9.x"}, {"assemblyscript", "cpp", "cpp-offline"}},
      {{"", "", "istio", "1.22"}, {"assemblyscript", "cpp", "cpp-offline"}},
      {{"", "", "envoy", "1.14"}, {}},
      {{"", "", "envoy", "1.16"}, {"assemblyscript"}},
      {{"", "", "envoy", "1.30.1"}, {"assemblyscript", "cpp", "cpp-offline"}},
      {{"", "", "", "1.4"}, {"cpp-istio-1.4"}},  // any platform at that version
      {{"cpp", "", "istio", "1.4"}, {}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.query.name);
    CAPTURE(c.query.platform);
    CAPTURE(c.query.platform_version);
    CHECK(names(matching_templates(c.query)) == c.expected);
  }
}

TEST_CASE("unknown names and malformed versions are usage errors that list the choices") {
  struct Bad {
    TemplateQuery query;
    std::string message;
    std::string hint;
  };
  const Bad cases[] = {
      {{"cpp-offlin", "", "", ""}, "unknown template \"cpp-offlin\"", "cpp, cpp-istio-1.4, cpp-offline"},
      {{"", "rust", "", ""}, "unknown language \"rust\"", "cpp"},
      {{"", "", "nginx", ""}, "unknown platform \"nginx\"", "envoy, gloo, istio"},
      {{"", "", "istio", "latest"}, "\"latest\" is not a version", ""},
      {{"", "", "istio", "1"}, "\"1\" is not a version", ""},
      {{"", "", "istio", "1.9."}, "\"1.9.\" is not a version", ""},
      {{"", "", "istio", "1.9.y"}, "\"1.9.y\" is not a version", ""},
      {{"", "", "istio", "x.9"}, "\"x.9\" is not a version", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    try {
      matching_templates(c.query);
      FAIL("accepted a bad query");
    } catch (const wasme::Error& e) {
      CHECK(e.kind() == wasme::ErrorKind::usage);
      CHECK(std::string(e.what()).find(c.message) != std::string::npos);
      CHECK(e.hint().find(c.hint) != std::string::npos);
    }
  }
}

TEST_CASE("platform ranges read as people write them") {
  CHECK(describe(PlatformRange{"istio", "1.9", ""}) == "istio 1.9+");
  CHECK(describe(PlatformRange{"istio", "1.4", "1.4"}) == "istio 1.4");
  CHECK(describe(PlatformRange{"envoy", "1.17", "1.20"}) == "envoy 1.17-1.20");
  std::string listed = list_choices(templates());
  CHECK(listed.find("\n  cpp-istio-1.4 (cpp; istio 1.4; ABI v0-6d525c67f39b36cdff9d688697f266c1b55e9cb7)") !=
        std::string::npos);
}
