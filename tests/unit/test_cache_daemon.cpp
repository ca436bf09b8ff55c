#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_cache_fake.hpp"
#include "wasme/cache/daemon.hpp"
#include "wasme/core/fs.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cache_test::eventually;
using cache_test::FakeRegistry;
using wasme::cache::Daemon;
using wasme::cache::DaemonConfig;
using wasme::cache::Millis;
using wasme::cache::RefState;
using wasme::oci::sha256_of;

namespace {

// A daemon on a fake registry, running its watch loop on a thread; lines it logs are kept.
struct Running {
  FakeRegistry registry;
  std::mutex log_mutex;
  std::vector<std::string> lines;
  std::unique_ptr<Daemon> daemon;
  std::thread loop;
  wasme::cache::StopResult result;

  explicit Running(DaemonConfig config = base_config()) {
    daemon = std::make_unique<Daemon>(config, registry.fetcher(), [this](const std::string& l) {
      std::lock_guard lock(log_mutex);
      lines.push_back(l);
    });
  }
  ~Running() { stop(); }
  static DaemonConfig base_config() {
    DaemonConfig c;
    c.directory = "cache";
    c.port = std::nullopt;
    c.interval = Millis{10};
    c.backoff = {Millis{5}, Millis{20}};
    c.shutdown_grace = Millis{5000};
    return c;
  }
  // base_config reading refs from images.txt (written with `refs`), pruning after `grace`.
  static DaemonConfig pruning_config(const std::string& refs, Millis grace) {
    std::ofstream("images.txt") << refs;
    DaemonConfig c = base_config();
    c.ref_file = "images.txt";
    c.prune = wasme::cache::Prune::remove_unlisted;
    c.prune_grace = grace;
    return c;
  }
  void start() {
    daemon->start();
    loop = std::thread([this] { result = daemon->run(); });
  }
  void stop() {
    if (!loop.joinable()) return;
    daemon->stop();
    loop.join();
  }
  const wasme::cache::RefStatus status(const std::string& ref) {
    for (const auto& s : daemon->statuses()) {
      if (s.ref == ref) return s;
    }
    return {};
  }
  bool cached(const std::string& ref) { return status(ref).state == RefState::cached; }
  int log_count(const std::string& needle) {
    std::lock_guard lock(log_mutex);
    return static_cast<int>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find(needle) != std::string::npos;
    }));
  }
};

std::string module_bytes(const std::string& name) { return std::string("\0asm\1\0\0\0", 8) + name; }

}  // namespace

TEST_CASE("listed refs land as DIR/<sha256> files, mode 0644, indexed") {
  auto config = Running::base_config();
  config.refs = {"r/a:1", "r/b:1"};
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.start();
  REQUIRE(eventually([&] { return r.cached("r/a:1") && r.cached("r/b:1"); }));
  auto digest = sha256_of(module_bytes("a"));
  CHECK(r.status("r/a:1").digest == digest);
  auto path = fs::path("cache") / digest.hex();
  CHECK(wasme::oci::sha256_of_file(path).digest == digest);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(r.daemon->missing(nullptr).empty());
  REQUIRE(eventually([] {
    return wasme::cache::ModuleDir("cache").load_index().size() == 2;
  }));
  CHECK(r.log_count("cached \"r/a:1\" as " + digest.hex()) == 1);
}

TEST_CASE("refs added to the ref file are pulled without a restart") {
  std::ofstream("images.txt") << "r/a:1\n";
  auto config = Running::base_config();
  config.ref_file = "images.txt";
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.start();
  REQUIRE(eventually([&] { return r.cached("r/a:1"); }));
  std::ofstream("images.txt", std::ios::app) << "r/b:1\n";
  REQUIRE(eventually([&] { return r.cached("r/b:1"); }));
  CHECK(fs::exists(fs::path("cache") / sha256_of(module_bytes("b")).hex()));
  CHECK(r.log_count("ref list changed") == 1);
  CHECK(r.log_count("+r/b:1") == 1);
}

TEST_CASE("pulls run at most --concurrency at a time") {
  auto config = Running::base_config();
  config.concurrency = 3;
  for (int i = 0; i < 20; ++i) config.refs.push_back("r/m:" + std::to_string(i));
  Running r(config);
  r.registry.delay = 5ms;
  for (const auto& ref : config.refs) r.registry.put(ref, module_bytes(ref));
  r.start();
  REQUIRE(eventually([&] { return r.daemon->missing(nullptr).empty(); }));
  CHECK(r.registry.max_in_flight <= 3);
  CHECK(r.registry.max_in_flight >= 1);
  for (const auto& ref : config.refs) CHECK(r.registry.calls(ref) == 1);
}

TEST_CASE("a failing ref is retried with backoff and logged once, then arrives") {
  auto config = Running::base_config();
  config.refs = {"r/a:1", "r/down:1"};
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/down:1", module_bytes("down"));
  r.registry.set(r.registry.down, "r/down:1", true);
  r.start();
  REQUIRE(eventually([&] { return r.cached("r/a:1") && r.registry.calls("r/down:1") >= 4; }));
  auto s = r.status("r/down:1");
  CHECK(s.state != RefState::cached);
  CHECK(r.daemon->missing(nullptr) == std::vector<std::string>{"r/down:1"});
  CHECK(r.log_count("cannot pull \"r/down:1\": connecting to fake: refused") == 1);
  r.registry.set(r.registry.down, "r/down:1", false);
  REQUIRE(eventually([&] { return r.cached("r/down:1"); }));
  CHECK(r.log_count("failed attempt(s)") == 1);
}

TEST_CASE("a module whose bytes do not match its digest is never kept") {
  auto config = Running::base_config();
  config.refs = {"r/bad:1"};
  Running r(config);
  r.registry.put("r/bad:1", module_bytes("bad"));
  r.registry.set(r.registry.lying, "r/bad:1", true);
  r.start();
  REQUIRE(eventually([&] { return r.status("r/bad:1").failures >= 2; }));
  CHECK(r.status("r/bad:1").last_error_kind == wasme::ErrorKind::integrity);
  CHECK(r.status("r/bad:1").last_error.find("does not match") != std::string::npos);
  CHECK(wasme::cache::ModuleDir("cache").modules().empty());
}

TEST_CASE("a fetcher writing outside the directory is refused") {
  auto config = Running::base_config();
  config.refs = {"r/a:1"};
  wasme::cache::Fetcher wrong = [](const std::string&, const fs::path&, const std::atomic<bool>&) {
    wasme::write_file_atomic("elsewhere", "x");
    return wasme::cache::FetchedModule{sha256_of("x"), 1, "elsewhere"};
  };
  std::vector<std::string> lines;
  Daemon d(config, wrong, [&](const std::string& l) { lines.push_back(l); });
  d.start();
  std::thread loop([&] { d.run(); });
  REQUIRE(eventually([&] {
    for (const auto& s : d.statuses()) {
      if (s.failures > 0) return true;
    }
    return false;
  }));
  d.stop();
  loop.join();
  CHECK(d.statuses().at(0).last_error.find("not cache/") != std::string::npos);
}

TEST_CASE("a restart cleans temp files, drops corrupt modules and reuses the index") {
  auto config = Running::base_config();
  config.refs = {"r/a:1"};
  {
    Running r(config);
    r.registry.put("r/a:1", module_bytes("a"));
    r.start();
    REQUIRE(eventually([&] { return r.cached("r/a:1"); }));
  }
  std::string stale = std::string(wasme::temp_file_prefix) + "abc-0123";
  std::ofstream("cache/" + stale) << "partial";
  auto corrupt = sha256_of("corrupt");
  std::ofstream("cache/" + corrupt.hex()) << "not corrupt";
  Running again(config);  // its registry has nothing: the module must come from disk
  again.start();
  CHECK(again.cached("r/a:1"));
  CHECK(again.registry.calls("r/a:1") == 0);
  CHECK_FALSE(fs::exists("cache/" + stale));
  CHECK_FALSE(fs::exists("cache/" + corrupt.hex()));
  CHECK(again.log_count("unfinished download") == 1);
  CHECK(again.log_count("does not match its name") == 1);
}

TEST_CASE("stopping discards a pull in flight: no partial file, no temp file") {
  auto config = Running::base_config();
  config.refs = {"r/big:1"};
  Running r(config);
  r.registry.put("r/big:1", module_bytes("big"));
  r.registry.set(r.registry.blocking, "r/big:1", true);
  r.start();
  REQUIRE(eventually([&] { return r.status("r/big:1").state == RefState::pulling; }));
  REQUIRE(eventually([] {
    for (const auto& e : fs::directory_iterator("cache")) {
      if (e.path().filename().string().rfind(wasme::temp_file_prefix, 0) == 0) return true;
    }
    return false;
  }));
  r.stop();
  CHECK(r.result.abandoned_pulls == 0);
  CHECK(wasme::cache::ModuleDir("cache").remove_temp_files().empty());
  CHECK(wasme::cache::ModuleDir("cache").modules().empty());
  CHECK(r.log_count("cannot pull") == 0);
}

TEST_CASE("a stop gives up on a fetcher that ignores cancel, and removes its temp file") {
  auto config = Running::base_config();
  config.refs = {"r/stuck:1"};
  config.shutdown_grace = Millis{50};
  std::atomic<bool> release{false};
  wasme::cache::Fetcher stuck = [&](const std::string&, const fs::path& dir, const std::atomic<bool>&) {
    wasme::AtomicFile file(dir / sha256_of("x").hex());
    file.write("x");
    while (!release) std::this_thread::sleep_for(1ms);
    throw wasme::Error(wasme::ErrorKind::network, "gave up");
    return wasme::cache::FetchedModule{};
  };
  Daemon d(config, stuck, nullptr);
  d.start();
  std::thread loop([&] { CHECK(d.run().abandoned_pulls == 1); });
  REQUIRE(eventually([&] { return d.statuses().at(0).state == RefState::pulling; }));
  d.stop();
  loop.join();
  CHECK(wasme::cache::ModuleDir("cache").remove_temp_files().empty());
  release = true;  // now the destructor can join the worker
}

TEST_CASE("a module deleted behind the daemon's back is pulled again") {
  auto config = Running::base_config();
  config.refs = {"r/a:1"};
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.start();
  REQUIRE(eventually([&] { return r.cached("r/a:1"); }));
  fs::remove(fs::path("cache") / sha256_of(module_bytes("a")).hex());
  REQUIRE(eventually([&] { return r.registry.calls("r/a:1") == 2 && r.cached("r/a:1"); }));
  CHECK(fs::exists(fs::path("cache") / sha256_of(module_bytes("a")).hex()));
  CHECK(r.log_count("disappeared") == 1);
}

TEST_CASE("prune removes unlisted modules after the grace period, never one being served") {
  Running r(Running::pruning_config("r/a:1\nr/b:1\n", Millis{0}));
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.start();
  REQUIRE(eventually([&] { return r.cached("r/a:1") && r.cached("r/b:1"); }));
  auto a = sha256_of(module_bytes("a"));
  auto b = sha256_of(module_bytes("b"));
  auto held = r.daemon->open_module(b);
  REQUIRE(held);
  std::ofstream("images.txt", std::ios::trunc) << "r/a:1\n";
  REQUIRE(eventually([&] { return !r.status("r/b:1").listed; }));
  std::this_thread::sleep_for(50ms);  // several ticks pass while b is being served
  CHECK(fs::exists(fs::path("cache") / b.hex()));
  held.reset();
  REQUIRE(eventually([&] { return !fs::exists(fs::path("cache") / b.hex()); }));
  CHECK(fs::exists(fs::path("cache") / a.hex()));
  REQUIRE(eventually([&] { return r.log_count("pruned " + b.hex()) > 0; }));
  CHECK(r.log_count("pruned " + b.hex()) == 1);
  CHECK(r.log_count("pruned ") == 1);
  CHECK(r.log_count("cannot pull") == 0);
  CHECK(r.status("r/b:1").ref.empty());
}

TEST_CASE("prune waits (for the grace period) while a listed ref is not cached: it may need a module on disk") {
  // b's module is unneeded for longer than the grace period but still on disk (being
  // served); then a new tag for the same bytes is listed while its registry is down.
  // Pruning b then would lose the only copy of what the new ref needs.
  Running r(Running::pruning_config("r/a:1\nr/b:1\n", Millis{150}));
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.registry.put("r/b:stable", module_bytes("b"));
  r.registry.set(r.registry.down, "r/b:stable", true);
  r.start();
  REQUIRE(eventually([&] { return r.cached("r/a:1") && r.cached("r/b:1"); }));
  auto b = sha256_of(module_bytes("b"));
  auto held = r.daemon->open_module(b);
  std::ofstream("images.txt", std::ios::trunc) << "r/a:1\n";
  REQUIRE(eventually([&] { return !r.status("r/b:1").listed; }));
  std::this_thread::sleep_for(300ms);  // b unneeded for twice the grace period
  std::ofstream("images.txt", std::ios::trunc) << "r/a:1\nr/b:stable\n";
  REQUIRE(eventually([&] { return r.registry.calls("r/b:stable") >= 1; }));
  held.reset();
  std::this_thread::sleep_for(60ms);  // several ticks, within b:stable's grace
  CHECK(fs::exists(fs::path("cache") / b.hex()));
  r.registry.set(r.registry.down, "r/b:stable", false);
  REQUIRE(eventually([&] { return r.cached("r/b:stable"); }));
  std::this_thread::sleep_for(200ms);  // past every grace period: b is needed now
  CHECK(fs::exists(fs::path("cache") / b.hex()));
  CHECK(r.log_count("pruned ") == 0);
}

TEST_CASE("a listed ref that never arrives stops prune only for the grace period") {
  Running r(Running::pruning_config("r/a:1\nr/b:1\n", Millis{100}));
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.start();
  REQUIRE(eventually([&] { return r.cached("r/a:1") && r.cached("r/b:1"); }));
  auto b = sha256_of(module_bytes("b"));
  std::ofstream("images.txt", std::ios::trunc) << "r/a:1\nr/deleted:1\n";  // never in the registry
  REQUIRE(eventually([&] { return !fs::exists(fs::path("cache") / b.hex()); }));
  CHECK(r.status("r/deleted:1").state != RefState::cached);
  // The log line follows the removal, outside the lock.
  CHECK(eventually([&] { return r.log_count("pruned " + b.hex()) == 1; }));
}

TEST_CASE("without --prune unlisted modules stay") {
  std::ofstream("images.txt") << "r/a:1\n";
  auto config = Running::base_config();
  config.ref_file = "images.txt";
  config.prune_grace = Millis{0};
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.start();
  REQUIRE(eventually([&] { return r.cached("r/a:1"); }));
  std::ofstream("images.txt", std::ios::trunc) << "";
  REQUIRE(eventually([&] { return !r.status("r/a:1").listed; }));
  std::this_thread::sleep_for(50ms);
  CHECK(fs::exists(fs::path("cache") / sha256_of(module_bytes("a")).hex()));
}

TEST_CASE("refs behind a slow registry do not hold back the others") {
  auto config = Running::base_config();
  config.concurrency = 2;
  config.slow_pull_after = Millis{50};
  config.refs = {"r/slow:1", "r/slow:2", "r/slow:3", "r/ok:1"};
  Running r(config);
  for (const auto& ref : config.refs) r.registry.put(ref, module_bytes(ref));
  for (int i = 1; i <= 3; ++i) r.registry.set(r.registry.blocking, "r/slow:" + std::to_string(i), true);
  r.start();
  // slow:1 and slow:2 take both slots; once they have run 50 ms, slow:3 and ok:1 start too.
  REQUIRE(eventually([&] { return r.cached("r/ok:1"); }));
  for (int i = 1; i <= 3; ++i) CHECK(r.status("r/slow:" + std::to_string(i)).state == RefState::pulling);
  CHECK(r.registry.max_in_flight <= 4);  // never more than twice --concurrency
  for (int i = 1; i <= 3; ++i) r.registry.set(r.registry.blocking, "r/slow:" + std::to_string(i), false);
  REQUIRE(eventually([&] { return r.daemon->missing(nullptr).empty(); }));
  for (const auto& ref : config.refs) CHECK(r.registry.calls(ref) == 1);
}

TEST_CASE("with slow_pull_after 0, --concurrency is a hard limit") {
  auto config = Running::base_config();
  config.concurrency = 1;
  config.slow_pull_after = Millis{0};
  config.refs = {"r/slow:1", "r/ok:1"};
  Running r(config);
  for (const auto& ref : config.refs) r.registry.put(ref, module_bytes(ref));
  r.registry.set(r.registry.blocking, "r/slow:1", true);
  r.start();
  REQUIRE(eventually([&] { return r.registry.calls("r/slow:1") == 1; }));
  std::this_thread::sleep_for(100ms);
  CHECK(r.registry.calls("r/ok:1") == 0);
  r.registry.set(r.registry.blocking, "r/slow:1", false);
  REQUIRE(eventually([&] { return r.cached("r/ok:1"); }));
  CHECK(r.registry.max_in_flight == 1);
}
