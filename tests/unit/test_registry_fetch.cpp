#include <doctest/doctest.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "test_registry_fakes.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/registry/fetch.hpp"

using namespace wasme::registry;
using testing::respond;
namespace fs = std::filesystem;
namespace oci = wasme::oci;

namespace {

const std::string module_bytes("\0asm\x01\0\0\0 a tiny module", 22);

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
    registry.add_manifest(tag, oci::make_wasm_manifest(config, oci::sha256_of(module_bytes), module_bytes.size()).serialize());
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
  CHECK_THROWS_AS(fetch_module(*f.client, oci::Reference::parse("r.example/team/filter:compat"), "cache"), wasme::Error);
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
  const std::string big_module = module_bytes + std::string(2u << 20, 'x');
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
