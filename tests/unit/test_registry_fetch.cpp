#include <doctest/doctest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "test_registry_fakes.hpp"
#include "test_support.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/registry/fetch.hpp"
#include "wasme/registry/pull.hpp"
#include "wasme/store/store.hpp"

using namespace wasme::registry;
using test_support::contains;
using test_support::expect_error;
using test_support::snapshot;
using testing::respond;
namespace fs = std::filesystem;
namespace oci = wasme::oci;

namespace {

// A valid module: the header, then a custom section "pad" holding payload.
std::string wasm_module(const std::string& payload) {
  std::string bytes("\0asm\x01\0\0\0", 8);
  bytes += '\0';                         // custom section id
  size_t size = 1 + 3 + payload.size();  // name length, "pad", payload
  do {
    unsigned char b = size & 0x7f;
    size >>= 7;
    bytes += static_cast<char>(size ? (b | 0x80) : b);
  } while (size);
  bytes += "\3pad";
  return bytes + payload;
}

const std::string module_bytes = wasm_module(" a tiny module");

// A registry in memory: manifests by tag and digest, blobs by digest; `tamper` flips a byte
// of the named blob as it is served.
struct MemoryRegistry {
  std::map<std::string, std::string> manifests;
  std::map<std::string, std::string> blobs;
  std::string tamper;
  Response operator()(const Request& r) {
    auto slash = r.url.rfind('/');
    std::string key = r.url.substr(slash + 1);
    if (r.url.find("/manifests/") != std::string::npos && manifests.count(key)) {
      return respond(200, manifests.at(key));
    }
    if (r.url.find("/blobs/") != std::string::npos && blobs.count(key)) {
      std::string body = blobs.at(key);
      if (key == tamper) body.back() ^= 1;
      return respond(200, body);
    }
    return respond(404);
  }
  void add_manifest(const std::string& tag, const std::string& bytes) {
    manifests[tag] = bytes;
    manifests[oci::sha256_of(bytes).str()] = bytes;
  }
  void add_blob(const std::string& bytes) { blobs[oci::sha256_of(bytes).str()] = bytes; }
};

struct Fixture {
  MemoryRegistry registry;
  testing::FakeClock clock;
  std::shared_ptr<testing::FakeTransport> transport;
  std::unique_ptr<Client> client;
  Fixture() {
    transport = std::make_shared<testing::FakeTransport>(std::ref(registry));
    client = std::make_unique<Client>(RemoteOptions{}, Observer{}, ClientDeps{transport, &clock, nullptr});
  }
  void add_wasme_image(const std::string& tag) {
    oci::RuntimeConfig config;
    registry.add_blob(config.serialize());
    registry.add_blob(module_bytes);
    registry.add_manifest(
        tag, oci::make_wasm_manifest(config, oci::sha256_of(module_bytes), module_bytes.size()).serialize());
  }
};

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("fetch_module writes dest/<sha256 hex> and nothing else") {
  Fixture f;
  f.add_wasme_image("v1");
  fs::create_directories("cache");
  FetchedFile got = fetch_module(*f.client, oci::Reference::parse("r.example/team/filter:v1"), "cache");
  std::string hex = oci::sha256_of(module_bytes).hex();
  CHECK(got.digest.hex() == hex);
  CHECK(got.size == module_bytes.size());
  CHECK(got.path == fs::path("cache") / hex);
  CHECK(wasme::read_file(got.path) == module_bytes);
  CHECK(names_in("cache") == std::vector<std::string>{hex});
}

TEST_CASE("fetch_module: a tampered module leaves no file, not even a temp file") {
  Fixture f;
  f.add_wasme_image("v1");
  f.registry.tamper = oci::sha256_of(module_bytes).str();
  fs::create_directories("cache");
  try {
    fetch_module(*f.client, oci::Reference::parse("r.example/team/filter:v1"), "cache");
    FAIL("expected an error");
  } catch (const wasme::Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::integrity);
    CHECK(std::string(e.what()).find("fetching the module of \"r.example/team/filter:v1\"") == 0);
  }
  CHECK(names_in("cache").empty());
}

TEST_CASE("fetch_module: compat images give plugin.wasm under its own digest") {
  Fixture f;
  wasme::write_file_atomic("plugin.wasm", module_bytes);
  fs::create_directories("work");
  wasme::image::CompatImage compat = wasme::image::make_compat_image("plugin.wasm", oci::RuntimeConfig{}, "work");
  f.registry.add_blob(wasme::read_file(compat.config_file));
  f.registry.add_blob(wasme::read_file(compat.layer_file));
  f.registry.add_manifest("compat", compat.manifest_bytes);
  fs::create_directories("cache");
  FetchedFile got = fetch_module(*f.client, oci::Reference::parse("r.example/team/filter:compat"), "cache");
  CHECK(got.digest == oci::sha256_of(module_bytes));
  CHECK(wasme::read_file(got.path) == module_bytes);
  CHECK(names_in("cache") == std::vector<std::string>{got.digest.hex()});

  f.registry.tamper = compat.manifest.layers.back().digest.str();
  fs::remove_all("cache");
  fs::create_directories("cache");
  CHECK_THROWS_AS(fetch_module(*f.client, oci::Reference::parse("r.example/team/filter:compat"), "cache"),
                  wasme::Error);
  CHECK(names_in("cache").empty());
}

TEST_CASE("fetch_module stops when cancelled") {
  Fixture f;
  f.add_wasme_image("v1");
  fs::create_directories("cache");
  std::atomic<bool> cancel{true};
  CHECK_THROWS_AS(fetch_module(*f.client, oci::Reference::parse("r.example/team/filter:v1"), "cache", &cancel),
                  wasme::Error);
  CHECK(names_in("cache").empty());
}

TEST_CASE("fetch_module: concurrent fetches of one compat image into one directory all succeed") {
  // The cache daemon may fetch two refs naming the same compat layer at once; their scratch
  // files must not share a name. A barrier holds every fetch at the layer download so all of
  // them extract at the same moment, which is when shared names would collide.
  constexpr int fetchers = 6;
  const std::string big_module = wasm_module(std::string(2u << 20, 'x'));
  wasme::write_file_atomic("plugin.wasm", big_module);
  fs::create_directories("work");
  wasme::image::CompatImage compat = wasme::image::make_compat_image("plugin.wasm", oci::RuntimeConfig{}, "work");
  MemoryRegistry registry;
  registry.add_blob(wasme::read_file(compat.config_file));
  registry.add_blob(wasme::read_file(compat.layer_file));
  registry.add_manifest("compat", compat.manifest_bytes);
  const std::string layer_key = compat.manifest.layers.back().digest.str();

  std::mutex mutex;
  std::condition_variable all_arrived;
  int arrived = 0;
  auto responder = [&](const Request& r) {
    if (r.url.find("/blobs/" + layer_key) != std::string::npos) {
      std::unique_lock<std::mutex> lock(mutex);
      ++arrived;
      all_arrived.notify_all();
      all_arrived.wait_for(lock, std::chrono::seconds(10), [&] { return arrived >= fetchers; });
    }
    return registry(r);
  };
  fs::create_directories("cache");
  std::vector<std::string> errors(fetchers);
  std::vector<std::thread> threads;
  for (int i = 0; i < fetchers; ++i) {
    threads.emplace_back([&, i] {
      testing::FakeClock clock;
      auto transport = std::make_shared<testing::FakeTransport>(responder);
      Client client(RemoteOptions{}, Observer{}, ClientDeps{transport, &clock, nullptr});
      try {
        fetch_module(client, oci::Reference::parse("r.example/team/filter:compat"), "cache");
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) CHECK(e == "");
  std::string hex = oci::sha256_of(big_module).hex();
  CHECK(names_in("cache") == std::vector<std::string>{hex});
  CHECK(oci::sha256_of(wasme::read_file(fs::path("cache") / hex)).hex() == hex);
}

TEST_CASE("a cancel set while a manifest request hangs aborts that request") {
  // The transport stands for libcurl waiting on a registry that never answers: it calls the
  // request's progress callback (as curl does about once a second) until it throws.
  Fixture f;
  f.add_wasme_image("v1");
  std::atomic<bool> cancel{false};
  int idle_calls = 0;
  auto hanging = std::make_shared<testing::FakeTransport>([&](const Request& r) {
    for (int i = 0; i < 1000 && r.progress; ++i) {
      if (i == 3) cancel = true;
      ++idle_calls;
      r.progress(0);
    }
    return f.registry(r);
  });
  Client client(RemoteOptions{}, Observer{}, ClientDeps{hanging, &f.clock, nullptr});
  client.set_cancel(&cancel);
  fs::create_directories("cache");
  try {
    fetch_module(client, oci::Reference::parse("r.example/team/filter:v1"), "cache", &cancel);
    FAIL("expected the fetch to be cancelled");
  } catch (const wasme::Error& e) {
    CHECK(std::string(e.what()).find("cancelled") != std::string::npos);
  }
  CHECK(idle_calls == 4);
  CHECK(hanging->requests.size() == 1);  // the manifest request, not retried
  CHECK(names_in("cache").empty());
}

// --- Issue 14: what pull and fetch accept is what `build precompiled` accepts, checked
// before anything is committed; pull repairs a damaged blob; a pull holds its blobs against
// a concurrent remove.

namespace {

const std::string good_config = R"({"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["r"]}})";

oci::Descriptor describe(const std::string& bytes, std::string_view media_type) {
  return {std::string(media_type), oci::sha256_of(bytes), bytes.size(), {}};
}

// A wasme-shaped image (config, then config and module as layers) with any config and module.
std::string add_image(MemoryRegistry& registry, const std::string& tag, const std::string& config,
                      const std::string& module) {
  registry.add_blob(config);
  registry.add_blob(module);
  oci::Manifest m;
  m.media_type = std::string(oci::media_type::oci_manifest);
  m.config = describe(config, oci::media_type::wasm_config);
  m.layers = {m.config, describe(module, oci::media_type::wasm_layer)};
  std::string bytes = m.serialize();
  registry.add_manifest(tag, bytes);
  return bytes;
}

// A compat image whose plugin.wasm holds `plugin`.
void add_compat_image(MemoryRegistry& registry, const std::string& tag, const std::string& plugin) {
  wasme::write_file_atomic("plugin-src.wasm", plugin);
  fs::create_directories("compat-work");
  auto compat = wasme::image::make_compat_image("plugin-src.wasm", oci::RuntimeConfig{}, "compat-work");
  registry.add_blob(wasme::read_file(compat.config_file));
  registry.add_blob(wasme::read_file(compat.layer_file, 256u << 20));
  registry.add_manifest(tag, compat.manifest_bytes);
}

void flip_byte(const fs::path& path, std::streamoff offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  REQUIRE(f);
  f.seekg(offset);
  char c = 0;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x01));
}

size_t blob_requests(const testing::FakeTransport& transport) {
  size_t n = 0;
  for (const auto& r : transport.requests) n += r.url.find("/blobs/") != std::string::npos;
  return n;
}

struct Hostile {
  std::string what;
  std::string fragment;
  std::function<void(MemoryRegistry&, const std::string& tag)> add;
};

// The kinds of image `build precompiled` would refuse to make.
std::vector<Hostile> hostile_images() {
  std::string big_config = R"({"type":"envoy_proxy","config":{"rootIds":[")" + std::string(2u << 20, 'r') + "\"]}}";
  return {
      {"a text module", "not a wasm module",
       [](MemoryRegistry& r, const std::string& t) { add_image(r, t, good_config, "{\"not\": \"wasm\"}"); }},
      {"an empty module", "the input is empty",
       [](MemoryRegistry& r, const std::string& t) { add_image(r, t, good_config, ""); }},
      {"a config that is not JSON", "not valid JSON",
       [](MemoryRegistry& r, const std::string& t) { add_image(r, t, "type=envoy_proxy", module_bytes); }},
      {"a config that is not UTF-8", "not valid JSON",
       [](MemoryRegistry& r, const std::string& t) {
         add_image(r, t, "{\"type\":\"envoy_proxy\",\"config\":{\"rootIds\":[\"\xff\"]}}", module_bytes);
       }},
      {"a 2 MiB config", "over the 1 MiB limit",
       [big_config](MemoryRegistry& r, const std::string& t) { add_image(r, t, big_config, module_bytes); }},
      {"zeros in a compat layer", "bad magic",
       [](MemoryRegistry& r, const std::string& t) { add_compat_image(r, t, std::string(8u << 20, '\0')); }},
  };
}

}  // namespace

TEST_CASE("fetch_module refuses what build refuses, and writes nothing into the directory") {
  for (const Hostile& h : hostile_images()) {
    CAPTURE(h.what);
    Fixture f;
    h.add(f.registry, "bad");
    fs::remove_all("cache");
    fs::create_directories("cache");
    try {
      fetch_module(*f.client, oci::Reference::parse("r.example/team/filter:bad"), "cache");
      FAIL("fetched");
    } catch (const wasme::Error& e) {
      CHECK(e.kind() == wasme::ErrorKind::invalid_input);
      CHECK(contains(e.what(), h.fragment));
    }
    CHECK(names_in("cache").empty());
  }
}

TEST_CASE("fetch_module: a config declared over 1 MiB is refused before any blob is downloaded") {
  Fixture f;
  oci::Manifest m;
  m.media_type = std::string(oci::media_type::oci_manifest);
  m.config = {std::string(oci::media_type::wasm_config), oci::sha256_of("x"), 2u << 20, {}};
  m.layers = {m.config, describe(module_bytes, oci::media_type::wasm_layer)};
  f.registry.add_blob(module_bytes);
  f.registry.add_manifest("v1", m.serialize());
  fs::create_directories("cache");
  CHECK_THROWS_AS(fetch_module(*f.client, oci::Reference::parse("r.example/team/filter:v1"), "cache"), wasme::Error);
  CHECK(blob_requests(*f.transport) == 0);
  CHECK(names_in("cache").empty());
}

TEST_CASE("pull refuses what build refuses, and leaves the store as it was") {
  Fixture f;
  f.add_wasme_image("good");
  wasme::store::Store store("store");
  pull(*f.client, store, oci::Reference::parse("r.example/team/filter:good"));
  const auto before = snapshot("store");
  for (const Hostile& h : hostile_images()) {
    CAPTURE(h.what);
    h.add(f.registry, "bad");
    const wasme::Error e =
        expect_error([&] { pull(*f.client, store, oci::Reference::parse("r.example/team/filter:bad")); });
    CHECK(e.kind() == wasme::ErrorKind::invalid_input);
    CHECK(contains(e.what(), h.fragment));
    CHECK(contains(e.what(), "pulling \"r.example/team/filter:bad\""));
    CHECK(snapshot("store") == before);
    CHECK(store.images().size() == 1);
  }
}

TEST_CASE("pull repairs a damaged blob instead of skipping it as present") {
  Fixture f;
  f.add_wasme_image("v1");
  wasme::store::Store store("store");
  auto ref = oci::Reference::parse("r.example/team/filter:v1");
  auto first = pull(*f.client, store, ref);
  CHECK(first.blobs_downloaded == 2);
  const oci::Digest module = oci::sha256_of(module_bytes);
  CHECK(pull(*f.client, store, ref).blobs_present == 2);  // intact: nothing fetched again

  flip_byte(store.blob_path(module), 12);
  CHECK_FALSE(store.blob_intact(module));
  auto repaired = pull(*f.client, store, ref);
  CHECK(repaired.blobs_downloaded == 1);
  CHECK(repaired.blobs_present == 1);
  CHECK(repaired.blobs_repaired == 1);
  CHECK(store.blob_intact(module));
  CHECK(wasme::read_file(store.blob_path(module)) == module_bytes);

  // A damaged manifest blob is replaced too.
  flip_byte(store.blob_path(first.manifest_digest), 5);
  pull(*f.client, store, ref);
  CHECK(store.blob_intact(first.manifest_digest));

  // When the registry's copy is bad as well, nothing changes: the damage stays visible.
  flip_byte(store.blob_path(module), 12);
  const auto damaged = snapshot("store");
  f.registry.tamper = module.str();
  CHECK_THROWS_AS(pull(*f.client, store, ref), wasme::Error);
  CHECK(snapshot("store") == damaged);
}

TEST_CASE("a remove during a pull does not collect the blobs the pull found present") {
  // v1 (in the store) and v2 (pulled) share their config; while v2's module downloads, v1 is
  // removed, which would collect the shared config if the pull did not pin it.
  Fixture f;
  add_image(f.registry, "v1", good_config, module_bytes);
  const std::string other = wasm_module(" another module");
  add_image(f.registry, "v2", good_config, other);
  wasme::store::Store store("store");
  pull(*f.client, store, oci::Reference::parse("r.example/team/filter:v1"));

  int removes = 0;
  auto transport = std::make_shared<testing::FakeTransport>([&](const Request& r) {
    if (r.url.find("/blobs/" + oci::sha256_of(other).str()) != std::string::npos && removes++ == 0) {
      wasme::store::Store("store").remove(oci::Reference::parse("r.example/team/filter:v1"));
    }
    return f.registry(r);
  });
  Client client(RemoteOptions{}, Observer{}, ClientDeps{transport, &f.clock, nullptr});
  auto result = pull(client, store, oci::Reference::parse("r.example/team/filter:v2"));
  CHECK(removes == 1);
  CHECK(result.blobs_present == 1);  // the shared config
  auto images = store.images();
  REQUIRE(images.size() == 1);
  CHECK(images[0].reference.str() == "r.example/team/filter:v2");
  CHECK(store.blob_intact(oci::sha256_of(good_config)));
  CHECK_FALSE(store.has_blob(oci::sha256_of(module_bytes)));  // v1's own module was collected
  CHECK(fs::is_empty("store/pins"));
}
