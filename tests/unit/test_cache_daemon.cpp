// The daemon with its threads, on a fake registry and a fake clock: the tests move time
// themselves (backoff, slow pulls, prune's grace periods) and run the watch loop's rounds with
// tick(), and wait for what the daemon does through Changes, so nothing here waits on real
// time or depends on how fast the machine is. The rules themselves are tested on their own in
// test_cache_catalog.cpp and test_cache_prune.cpp.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test_cache_fake.hpp"
#include "wasme/cache/daemon.hpp"
#include "wasme/core/clock.hpp"
#include "wasme/core/fs.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cache_test::FakeRegistry;
using wasme::cache::Daemon;
using wasme::cache::DaemonConfig;
using wasme::cache::Millis;
using wasme::cache::RefState;
using wasme::oci::sha256_of;

namespace {

// A daemon on a fake registry and a fake clock; the lines it logs are kept.
struct Running {
  cache_test::Changes changes;
  wasme::FakeClock clock;
  FakeRegistry registry;
  std::mutex log_mutex;
  std::vector<std::string> lines;
  std::unique_ptr<Daemon> daemon;  // last: stopped before what it uses goes

  explicit Running(DaemonConfig config = base_config(), wasme::cache::Fetcher fetcher = nullptr) {
    registry.changes = &changes;
    clock.on_wait([this] { changes.notify(); });
    auto log = [this](std::string_view line) {
      {
        std::lock_guard lock(log_mutex);
        lines.emplace_back(line);
      }
      changes.notify();
    };
    daemon = std::make_unique<Daemon>(config, fetcher ? fetcher : registry.fetcher(), log, clock);
  }
  static DaemonConfig base_config() {
    DaemonConfig c;
    c.directory = "cache";
    c.port = std::nullopt;
    c.interval = Millis{2000};
    c.backoff = {Millis{1000}, Millis{4000}};
    c.shutdown_grace = Millis{5000};
    return c;
  }
  // One pull thread (--concurrency 1, no slow pulls), so "idle" is one waiter on the clock.
  static DaemonConfig serial_config() {
    DaemonConfig c = base_config();
    c.concurrency = 1;
    c.slow_pull_after = Millis{0};
    return c;
  }
  // serial_config reading refs from images.txt (written with `refs`), pruning after `grace`.
  // Failed refs wait an hour, so moving the clock through the grace periods retries nothing.
  static DaemonConfig pruning_config(const std::string& refs, Millis grace) {
    std::ofstream("images.txt") << refs;
    DaemonConfig c = serial_config();
    c.ref_file = "images.txt";
    c.prune = wasme::cache::Prune::remove_unlisted;
    c.prune_grace = grace;
    c.backoff = {Millis{3600000}, Millis{3600000}};
    return c;
  }

  void start() { daemon->start(); }
  void tick() { daemon->tick(); }
  // Asks the daemon to stop and runs its shutdown here (run() returns at once once stopped).
  wasme::cache::StopResult stop() {
    daemon->stop();
    return daemon->run();
  }
  bool await(const std::function<bool()>& cond) { return changes.await(cond); }
  // Every one of `threads` pull threads waits on the clock: nothing runs until time moves or
  // something notifies.
  bool idle(int threads = 1) {
    return await([&] { return clock.waiting() == threads; });
  }

  wasme::cache::RefStatus status(const std::string& ref) {
    for (const auto& s : daemon->statuses()) {
      if (s.ref == ref) return s;
    }
    return {};
  }
  bool cached(const std::string& ref) { return status(ref).state == RefState::cached; }
  int log_count(const std::string& needle) {
    std::lock_guard lock(log_mutex);
    return static_cast<int>(std::count_if(lines.begin(), lines.end(),
                                          [&](const std::string& l) { return l.find(needle) != std::string::npos; }));
  }
};

std::string module_bytes(const std::string& name) { return std::string("\0asm\1\0\0\0", 8) + name; }

fs::path module_file(const std::string& name) { return fs::path("cache") / sha256_of(module_bytes(name)).hex(); }

}  // namespace

TEST_CASE("listed refs land as DIR/<sha256> files, mode 0644, indexed") {
  auto config = Running::base_config();
  config.refs = {"r/a:1", "r/b:1"};
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.start();
  REQUIRE(r.await([&] { return r.cached("r/a:1") && r.cached("r/b:1"); }));
  auto digest = sha256_of(module_bytes("a"));
  CHECK(r.status("r/a:1").digest == digest);
  auto path = fs::path("cache") / digest.hex();
  CHECK(wasme::oci::sha256_of_file(path).digest == digest);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(r.daemon->missing(nullptr).empty());
  r.stop();  // every pull recorded, the index written
  CHECK(wasme::cache::ModuleDir("cache").load_index().size() == 2);
  CHECK(r.log_count("cached \"r/a:1\" as " + digest.hex()) == 1);
}

TEST_CASE("run() reads the ref file every interval: added refs are pulled without a restart") {
  std::ofstream("images.txt") << "r/a:1\n";
  auto config = Running::serial_config();
  config.ref_file = "images.txt";
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.start();
  wasme::cache::StopResult result;
  std::thread loop([&] { result = r.daemon->run(); });
  REQUIRE(r.await([&] { return r.cached("r/a:1"); }));
  REQUIRE(r.idle(2));  // the pull thread, and run() until its next round
  std::ofstream("images.txt", std::ios::app) << "r/b:1\n";
  r.clock.advance(config.interval);
  // The pull may finish before the watch loop logs the change (it logs after letting go of
  // the lock): wait for both.
  REQUIRE(r.await([&] { return r.cached("r/b:1") && r.log_count("ref list changed") == 1; }));
  CHECK(fs::exists(module_file("b")));
  CHECK(r.log_count("ref list changed") == 1);
  CHECK(r.log_count("+r/b:1") == 1);
  r.daemon->stop();
  loop.join();
  CHECK(result.abandoned_pulls == 0);
  CHECK(r.log_count("stopped") == 1);
}

TEST_CASE("pulls run at most --concurrency at a time") {
  auto config = Running::base_config();
  config.concurrency = 3;  // and 3 more threads for slow pulls; the clock never makes one slow
  for (int i = 0; i < 20; ++i) config.refs.push_back("r/m:" + std::to_string(i));
  Running r(config);
  for (const auto& ref : config.refs) {
    r.registry.put(ref, module_bytes(ref));
    r.registry.set(r.registry.blocking, ref, true);
  }
  r.start();
  REQUIRE(r.await([&] { return r.registry.in_flight == 3; }));
  REQUIRE(r.idle(3));  // the other three threads wait: no slot is free
  CHECK(r.registry.max_in_flight == 3);
  for (const auto& ref : config.refs) r.registry.set(r.registry.blocking, ref, false);
  REQUIRE(r.await([&] { return r.daemon->missing(nullptr).empty(); }));
  CHECK(r.registry.max_in_flight == 3);
  for (const auto& ref : config.refs) CHECK(r.registry.calls(ref) == 1);
}

TEST_CASE("a failing ref is retried after its backoff, logged once, then arrives") {
  auto config = Running::serial_config();
  config.refs = {"r/a:1", "r/down:1"};
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/down:1", module_bytes("down"));
  r.registry.set(r.registry.down, "r/down:1", true);
  r.start();
  REQUIRE(r.await([&] { return r.cached("r/a:1") && r.status("r/down:1").failures == 1; }));
  REQUIRE(r.idle());
  CHECK(r.registry.calls("r/down:1") == 1);  // not again before the backoff
  for (int failures = 1; failures < 4; ++failures) {
    r.clock.advance(config.backoff.delay(failures));
    REQUIRE(r.await([&] { return r.status("r/down:1").failures == failures + 1; }));
  }
  CHECK(r.registry.calls("r/down:1") == 4);
  CHECK(r.status("r/down:1").state == RefState::failed);
  CHECK(r.daemon->missing(nullptr) == std::vector<std::string>{"r/down:1"});
  CHECK(r.log_count("cannot pull \"r/down:1\": connecting to fake: refused; retrying in 1s") == 1);
  CHECK(r.log_count("cannot pull") == 1);
  r.registry.set(r.registry.down, "r/down:1", false);
  r.clock.advance(config.backoff.max);
  REQUIRE(r.await([&] { return r.cached("r/down:1") && r.log_count("cached \"r/down:1\"") == 1; }));
  CHECK(r.log_count("after 4 failed attempt(s)") == 1);
}

TEST_CASE("a module whose bytes do not match its digest is never kept") {
  auto config = Running::serial_config();
  config.refs = {"r/bad:1"};
  Running r(config);
  r.registry.put("r/bad:1", module_bytes("bad"));
  r.registry.set(r.registry.lying, "r/bad:1", true);
  r.start();
  REQUIRE(r.await([&] { return r.status("r/bad:1").failures == 1; }));
  r.clock.advance(config.backoff.max);
  REQUIRE(r.await([&] { return r.status("r/bad:1").failures == 2; }));
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
  Running r(config, wrong);
  r.start();
  REQUIRE(r.await([&] { return r.status("r/a:1").failures > 0; }));
  CHECK(r.status("r/a:1").last_error.find("not cache/") != std::string::npos);
}

TEST_CASE("a restart cleans temp files, drops corrupt modules and reuses the index") {
  auto config = Running::base_config();
  config.refs = {"r/a:1"};
  {
    Running r(config);
    r.registry.put("r/a:1", module_bytes("a"));
    r.start();
    REQUIRE(r.await([&] { return r.cached("r/a:1"); }));
    r.stop();
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
  REQUIRE(r.await([&] {
    for (const auto& e : fs::directory_iterator("cache")) {
      if (e.path().filename().string().rfind(wasme::temp_file_prefix, 0) == 0) return true;
    }
    return false;
  }));
  CHECK(r.status("r/big:1").state == RefState::pulling);
  CHECK(r.stop().abandoned_pulls == 0);
  CHECK(wasme::cache::ModuleDir("cache").remove_temp_files().empty());
  CHECK(wasme::cache::ModuleDir("cache").modules().empty());
  CHECK(r.log_count("cannot pull") == 0);
}

TEST_CASE("a stop gives up on a fetcher that ignores cancel after the grace, and removes its temp file") {
  auto config = Running::serial_config();
  config.refs = {"r/stuck:1"};
  config.shutdown_grace = Millis{50};
  std::mutex mutex;
  std::condition_variable released_cv;
  bool writing = false;  // its temp file is in the directory
  bool released = false;
  cache_test::Changes* changes = nullptr;
  wasme::cache::Fetcher stuck = [&](const std::string&, const fs::path& dir,
                                    const std::atomic<bool>&) -> wasme::cache::FetchedModule {
    wasme::AtomicFile file(dir / sha256_of("x").hex());
    file.write("x");
    std::unique_lock lock(mutex);
    writing = true;
    changes->notify();
    released_cv.wait(lock, [&] { return released; });  // deaf to cancel
    throw wasme::Error(wasme::ErrorKind::network, "gave up");
  };
  Running r(config, stuck);
  changes = &r.changes;
  r.start();
  REQUIRE(r.await([&] {
    std::lock_guard lock(mutex);
    return writing;
  }));
  r.daemon->stop();
  wasme::cache::StopResult result;
  std::thread shutdown([&] { result = r.daemon->run(); });
  // The pull thread is in the fetcher: the only waiter on the clock is the stop's grace.
  REQUIRE(r.await([&] { return r.log_count("stopping: discarding 1 pull(s)") == 1 && r.clock.waiting() == 1; }));
  r.clock.advance(config.shutdown_grace);
  shutdown.join();
  CHECK(result.abandoned_pulls == 1);
  CHECK(r.log_count("did not finish in 50ms and were abandoned") == 1);
  CHECK(wasme::cache::ModuleDir("cache").remove_temp_files().empty());
  {
    std::lock_guard lock(mutex);
    released = true;  // now the destructor can join the pull thread
  }
  released_cv.notify_all();
}

TEST_CASE("a module deleted behind the daemon's back is pulled again") {
  auto config = Running::base_config();
  config.refs = {"r/a:1"};
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.start();
  REQUIRE(r.await([&] { return r.cached("r/a:1"); }));
  fs::remove(module_file("a"));
  r.tick();
  REQUIRE(r.await([&] { return r.registry.calls("r/a:1") == 2 && r.cached("r/a:1"); }));
  CHECK(fs::exists(module_file("a")));
  CHECK(r.log_count("disappeared") == 1);
}

TEST_CASE("prune removes an unlisted module after the grace period, never one being served") {
  const Millis grace = std::chrono::minutes(10);
  Running r(Running::pruning_config("r/a:1\nr/b:1\n", grace));
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.start();
  REQUIRE(r.await([&] { return r.cached("r/a:1") && r.cached("r/b:1"); }));
  REQUIRE(r.idle());  // both pulls recorded
  std::ofstream("images.txt", std::ios::trunc) << "r/a:1\n";
  r.tick();  // b is unlisted from now on
  CHECK_FALSE(r.status("r/b:1").listed);
  r.clock.advance(grace - 1s);
  r.tick();
  CHECK(fs::exists(module_file("b")));  // not yet
  auto held = r.daemon->open_module(sha256_of(module_bytes("b")));
  REQUIRE(held);
  r.clock.advance(std::chrono::hours(1));
  r.tick();
  r.tick();
  CHECK(fs::exists(module_file("b")));  // past the grace, but a response reads it
  held.reset();
  r.tick();
  CHECK_FALSE(fs::exists(module_file("b")));
  CHECK(fs::exists(module_file("a")));
  CHECK(r.log_count("pruned " + sha256_of(module_bytes("b")).hex() + ": no listed ref has needed it for 10m") == 1);
  CHECK(r.log_count("pruned ") == 1);
  CHECK(r.log_count("cannot pull") == 0);
  CHECK(r.status("r/b:1").ref.empty());
}

TEST_CASE("prune waits (for the grace period) while a listed ref is not cached: it may need a module on disk") {
  // b's module is unneeded for longer than the grace period but still on disk (being
  // served); then a new tag for the same bytes is listed while its registry is down.
  // Pruning b then would lose the only copy of what the new ref needs.
  const Millis grace = std::chrono::minutes(1);
  Running r(Running::pruning_config("r/a:1\nr/b:1\n", grace));
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.registry.put("r/b:stable", module_bytes("b"));
  r.registry.set(r.registry.down, "r/b:stable", true);
  r.start();
  REQUIRE(r.await([&] { return r.cached("r/a:1") && r.cached("r/b:1"); }));
  REQUIRE(r.idle());
  auto held = r.daemon->open_module(sha256_of(module_bytes("b")));
  std::ofstream("images.txt", std::ios::trunc) << "r/a:1\n";
  r.tick();
  r.clock.advance(2 * grace);
  r.tick();  // b unneeded for twice the grace period, kept while served
  std::ofstream("images.txt", std::ios::trunc) << "r/a:1\nr/b:stable\n";
  r.tick();
  REQUIRE(r.await([&] { return r.status("r/b:stable").failures == 1; }));
  REQUIRE(r.idle());
  held.reset();
  r.tick();
  r.clock.advance(grace / 2);
  r.tick();  // within b:stable's grace
  CHECK(fs::exists(module_file("b")));
  r.registry.set(r.registry.down, "r/b:stable", false);
  r.clock.advance(std::chrono::hours(1));  // b:stable's backoff, and past every grace period
  REQUIRE(r.await([&] { return r.cached("r/b:stable"); }));
  REQUIRE(r.idle());
  r.tick();
  r.clock.advance(2 * grace);
  r.tick();  // b is needed now
  CHECK(fs::exists(module_file("b")));
  CHECK(r.log_count("pruned ") == 0);
}

TEST_CASE("a listed ref that never arrives stops prune only for the grace period") {
  const Millis grace = std::chrono::minutes(1);
  Running r(Running::pruning_config("r/a:1\nr/b:1\n", grace));
  r.registry.put("r/a:1", module_bytes("a"));
  r.registry.put("r/b:1", module_bytes("b"));
  r.start();
  REQUIRE(r.await([&] { return r.cached("r/a:1") && r.cached("r/b:1"); }));
  REQUIRE(r.idle());
  std::ofstream("images.txt", std::ios::trunc) << "r/a:1\nr/deleted:1\n";  // never in the registry
  r.tick();
  REQUIRE(r.await([&] { return r.status("r/deleted:1").failures == 1; }));
  REQUIRE(r.idle());
  r.clock.advance(grace - 1s);
  r.tick();
  CHECK(fs::exists(module_file("b")));  // r/deleted:1 might still need it
  r.clock.advance(1s);
  r.tick();  // r/deleted:1 has had its grace; b's own grace starts now
  CHECK(fs::exists(module_file("b")));
  r.clock.advance(grace);
  r.tick();
  CHECK_FALSE(fs::exists(module_file("b")));
  CHECK(r.status("r/deleted:1").state != RefState::cached);
  CHECK(r.log_count("pruned " + sha256_of(module_bytes("b")).hex()) == 1);
}

TEST_CASE("without --prune unlisted modules stay") {
  std::ofstream("images.txt") << "r/a:1\n";
  auto config = Running::serial_config();
  config.ref_file = "images.txt";
  config.prune_grace = Millis{0};
  Running r(config);
  r.registry.put("r/a:1", module_bytes("a"));
  r.start();
  REQUIRE(r.await([&] { return r.cached("r/a:1"); }));
  std::ofstream("images.txt", std::ios::trunc) << "";
  r.tick();
  CHECK_FALSE(r.status("r/a:1").listed);
  r.clock.advance(std::chrono::hours(24));
  r.tick();
  CHECK(fs::exists(module_file("a")));
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
  // slow:1 and slow:2 take both slots; the other two threads wait for them to turn slow.
  REQUIRE(r.await([&] { return r.registry.in_flight == 2; }));
  REQUIRE(r.idle(2));
  CHECK(r.registry.calls("r/slow:3") == 0);
  CHECK(r.registry.calls("r/ok:1") == 0);
  r.clock.advance(config.slow_pull_after);  // now slow:3 and ok:1 start too
  REQUIRE(r.await([&] { return r.cached("r/ok:1"); }));
  for (int i = 1; i <= 3; ++i) CHECK(r.status("r/slow:" + std::to_string(i)).state == RefState::pulling);
  CHECK(r.registry.max_in_flight <= 4);  // never more than twice --concurrency
  for (int i = 1; i <= 3; ++i) r.registry.set(r.registry.blocking, "r/slow:" + std::to_string(i), false);
  REQUIRE(r.await([&] { return r.daemon->missing(nullptr).empty(); }));
  for (const auto& ref : config.refs) CHECK(r.registry.calls(ref) == 1);
}

TEST_CASE("with slow_pull_after 0, --concurrency is a hard limit") {
  auto config = Running::serial_config();
  config.refs = {"r/slow:1", "r/ok:1"};
  Running r(config);
  for (const auto& ref : config.refs) r.registry.put(ref, module_bytes(ref));
  r.registry.set(r.registry.blocking, "r/slow:1", true);
  r.start();
  REQUIRE(r.await([&] { return r.registry.in_flight == 1; }));
  r.clock.advance(std::chrono::hours(1));  // however long it runs, it keeps its slot
  CHECK(r.registry.calls("r/ok:1") == 0);
  r.registry.set(r.registry.blocking, "r/slow:1", false);
  REQUIRE(r.await([&] { return r.cached("r/ok:1"); }));
  CHECK(r.registry.max_in_flight == 1);
}
