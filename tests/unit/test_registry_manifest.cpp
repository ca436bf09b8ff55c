#include <doctest/doctest.h>

#include "test_registry_fakes.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/registry/client.hpp"
#include "wasme/registry/download.hpp"
#include "wasme/registry/manifest_fetch.hpp"
#include "wasme/registry/tags.hpp"

using namespace wasme::registry;
using testing::respond;
namespace oci = wasme::oci;

namespace {

std::string wasm_manifest() {
  oci::RuntimeConfig config;
  config.abi_versions = {"v0.2.1"};
  return oci::make_wasm_manifest(config, oci::sha256_of(std::string_view("\0asm", 4)), 4).serialize();
}

struct Fixture {
  testing::FakeClock clock;
  std::shared_ptr<testing::FakeTransport> transport;
  std::unique_ptr<Client> client;
  explicit Fixture(std::function<Response(const Request&)> responder) {
    transport = std::make_shared<testing::FakeTransport>(std::move(responder));
    client = std::make_unique<Client>(RemoteOptions{}, Observer{}, ClientDeps{transport, &clock, nullptr});
  }
};

}  // namespace

TEST_CASE("resolve_manifest sends the Accept list and classifies the manifest") {
  std::string bytes = wasm_manifest();
  Fixture f([&](const Request&) { return respond(200, bytes); });
  ResolvedManifest m = resolve_manifest(*f.client, oci::Reference::parse("r.example/a:v1"));
  auto accept = f.transport->requests.at(0).headers.get("Accept").value_or("");
  for (auto type : {oci::media_type::oci_manifest, oci::media_type::oci_index, oci::media_type::docker_manifest,
                    oci::media_type::docker_manifest_list}) {
    CHECK(accept.find(std::string(type)) != std::string::npos);
  }
  CHECK(m.digest == oci::sha256_of(bytes));
  CHECK(m.layout.format == oci::ArtifactFormat::wasme);
  CHECK(m.media_type == oci::media_type::oci_manifest);
  CHECK(f.transport->requests.at(0).max_body == 4u << 20);
}

TEST_CASE("resolve_manifest verifies digests: the reference's, and the registry's claim") {
  std::string bytes = wasm_manifest();
  std::string other = oci::sha256_of("other").str();
  Fixture by_digest([&](const Request&) { return respond(200, bytes); });
  CHECK_THROWS_AS(resolve_manifest(*by_digest.client, oci::Reference::parse("r.example/a@" + other)), wasme::Error);
  CHECK_NOTHROW(
      resolve_manifest(*by_digest.client, oci::Reference::parse("r.example/a@" + oci::sha256_of(bytes).str())));
  Fixture lying([&](const Request&) { return respond(200, bytes, {{"Docker-Content-Digest", other}}); });
  try {
    resolve_manifest(*lying.client, oci::Reference::parse("r.example/a:v1"));
    FAIL("expected an error");
  } catch (const wasme::Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::integrity);
  }
}

TEST_CASE("resolve_manifest follows an index to its first manifest, fetched by digest") {
  std::string bytes = wasm_manifest();
  oci::Index index;
  index.media_type = oci::media_type::oci_index;
  index.manifests.push_back({std::string(oci::media_type::oci_manifest), oci::sha256_of(bytes), bytes.size(), {}});
  std::string index_bytes = index.serialize();
  Fixture f([&](const Request& r) {
    if (r.url.find("/manifests/v1") != std::string::npos) return respond(200, index_bytes);
    return respond(200, bytes);
  });
  ResolvedManifest m = resolve_manifest(*f.client, oci::Reference::parse("r.example/a:v1"));
  CHECK(m.from_index);
  CHECK(m.digest == oci::sha256_of(bytes));
  CHECK(f.transport->requests.at(1).url == "https://r.example/v2/a/manifests/" + oci::sha256_of(bytes).str());

  oci::Index empty;
  empty.media_type = oci::media_type::oci_index;
  std::string empty_bytes = empty.serialize();
  Fixture g([&](const Request&) { return respond(200, empty_bytes); });
  CHECK_THROWS_AS(resolve_manifest(*g.client, oci::Reference::parse("r.example/a:v1")), wasme::Error);
}

TEST_CASE("resolve_manifest refuses images without a wasm module") {
  oci::Manifest m;
  m.media_type = oci::media_type::oci_manifest;
  m.config = {std::string(oci::media_type::oci_image_config), oci::sha256_of("{}"), 2, {}};
  m.layers = {{"application/vnd.oci.image.layer.v1.tar", oci::sha256_of("x"), 1, {}}};
  std::string bytes = m.serialize();
  Fixture f([&](const Request&) { return respond(200, bytes); });
  try {
    resolve_manifest(*f.client, oci::Reference::parse("r.example/a:v1"));
    FAIL("expected an error");
  } catch (const wasme::Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::invalid_input);
  }
}

TEST_CASE("download_blob verifies size and digest while streaming") {
  std::string content = "module bytes";
  oci::Descriptor d{std::string(oci::media_type::wasm_layer), oci::sha256_of(content), content.size(), {}};
  struct Case {
    std::string served;
    bool ok;
  };
  for (const Case& c :
       {Case{content, true}, Case{"module bytez", false}, Case{"module", false}, Case{content + "!", false}}) {
    CAPTURE(c.served);
    Fixture f([&](const Request&) { return respond(200, c.served); });
    std::string sunk;
    auto run = [&] {
      download_blob(
          *f.client, "r.example", "a", d, 1000,
          [&]() -> BlobSink {
            sunk.clear();
            return [&](std::string_view b) { sunk.append(b); };
          },
          "module");
    };
    if (c.ok) {
      CHECK_NOTHROW(run());
      CHECK(sunk == content);
    } else {
      try {
        run();
        FAIL("expected an error");
      } catch (const wasme::Error& e) {
        CHECK(e.kind() == wasme::ErrorKind::integrity);
      }
      CHECK(f.transport->requests.size() == 1);  // integrity failures are not retried
    }
  }
}

TEST_CASE("download_blob refuses blobs over the limit before fetching, and stops on cancel") {
  oci::Descriptor d{std::string(oci::media_type::wasm_layer), oci::sha256_of("x"), 2000, {}};
  Fixture f([](const Request&) { return respond(200, "x"); });
  auto no_sink = []() -> BlobSink { return [](std::string_view) {}; };
  try {
    download_blob(*f.client, "r.example", "a", d, 1000, no_sink, "module");
    FAIL("expected an error");
  } catch (const wasme::Error& e) {
    CHECK(std::string(e.what()).find("larger than the limit") != std::string::npos);
    CHECK(e.hint().find("--max-size") != std::string::npos);
  }
  CHECK(f.transport->requests.empty());
  std::atomic<bool> cancel{true};
  d.size = 1;
  CHECK_THROWS_AS(download_blob(*f.client, "r.example", "a", d, 1000, no_sink, "module", &cancel), wasme::Error);
  CHECK(f.transport->requests.empty());
}

TEST_CASE("next_link finds rel=next") {
  CHECK(next_link(R"(</v2/a/tags/list?n=2&last=b>; rel="next")") == "/v2/a/tags/list?n=2&last=b");
  CHECK(next_link(R"(<https://x/prev>; rel="prev", <https://x/next>; rel="next")") == "https://x/next");
  CHECK(next_link(R"(<https://x/next>;rel=next)") == "https://x/next");
  CHECK(next_link(R"(<https://x/p>; rel="prev")").empty());
  CHECK(next_link("").empty());
  CHECK(next_link("garbage <").empty());
}

TEST_CASE("list_tags follows pagination, treats null as empty, sorts") {
  Fixture f([](const Request& r) {
    if (r.url.find("last=b") != std::string::npos) return respond(200, R"({"name":"a","tags":["a0"]})");
    return respond(200, R"({"name":"a","tags":["c","b"]})", {{"Link", R"(</v2/a/tags/list?n=2&last=b>; rel="next")"}});
  });
  CHECK(list_tags(*f.client, oci::Reference::parse("r.example/a")) == std::vector<std::string>{"a0", "b", "c"});
  CHECK(f.transport->requests.at(1).url == "https://r.example/v2/a/tags/list?n=2&last=b");
  Fixture none([](const Request&) { return respond(200, R"({"name":"a","tags":null})"); });
  CHECK(list_tags(*none.client, oci::Reference::parse("r.example/a")).empty());
  Fixture bad([](const Request&) { return respond(200, R"({"tags":[1]})"); });
  CHECK_THROWS_AS(list_tags(*bad.client, oci::Reference::parse("r.example/a")), wasme::Error);
}

TEST_CASE("a tag list whose next link loops back stops at once, whichever page it points to") {
  for (const char* target :
       {"/v2/a/tags/list?n=1000", "/v2/a/tags/list?n=2&last=b", "https://r.example/v2/a/tags/list?n=2&last=b"}) {
    CAPTURE(target);
    std::string link = std::string("<") + target + R"(>; rel="next")";
    Fixture loop([link](const Request& r) {
      if (r.url.find("last=b") != std::string::npos) return respond(200, R"({"tags":["x"]})", {{"Link", link}});
      return respond(200, R"({"tags":["a"]})", {{"Link", R"(</v2/a/tags/list?n=2&last=b>; rel="next")"}});
    });
    CHECK_THROWS_WITH_AS(list_tags(*loop.client, oci::Reference::parse("r.example/a")),
                         doctest::Contains("leads back to a page already read"), wasme::Error);
    CHECK(loop.transport->requests.size() <= 3);
  }
  // Tag lists nested absurdly deep are refused, not parsed.
  std::string deep = R"({"tags":)" + std::string(10000, '[') + std::string(10000, ']') + "}";
  Fixture nested([deep](const Request&) { return respond(200, deep); });
  CHECK_THROWS_WITH_AS(list_tags(*nested.client, oci::Reference::parse("r.example/a")),
                       doctest::Contains("nested deeper than"), wasme::Error);
}
