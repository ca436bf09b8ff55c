// A fake Fetcher for the cache daemon's unit tests: serves modules from a map, can fail,
// lie about digests, or block until released, and counts concurrent fetches. And Changes,
// which the tests wait on instead of sleeping.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "wasme/cache/fetcher.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/oci/digest.hpp"

namespace cache_test {

// Something the daemon under test did, announced by the fakes around it: a fetch started,
// blocked or ended, a line was logged, a thread went to wait on the fake clock. A test waits
// for the state it expects with await(), which looks again after each change instead of
// sleeping.
class Changes {
 public:
  void notify() {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    changed_.notify_all();
  }

  // Waits until cond() holds; its final value. cond() runs without our lock (it takes the
  // daemon's), so a change made while it runs still wakes the next wait. The deadline, in real
  // time, only keeps a broken build from hanging the run: no test depends on timing.
  bool await(const std::function<bool()>& cond, std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      std::uint64_t seen = generation();
      if (cond()) return true;
      std::unique_lock lock(mutex_);
      if (!changed_.wait_until(lock, end, [&] { return generation_ != seen; })) return cond();
    }
  }

 private:
  std::uint64_t generation() {
    std::lock_guard lock(mutex_);
    return generation_;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t generation_ = 0;
};

struct FakeRegistry {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, std::string> modules;  // ref -> module bytes
  std::set<std::string> down;                  // refs that fail with a network error
  std::set<std::string> lying;                 // refs whose bytes do not match the digest
  std::set<std::string> blocking;              // refs that wait until unblocked or cancelled
  std::map<std::string, int> fetches;          // ref -> calls
  std::atomic<int> in_flight{0};               // atomic: the guard below leaves without the lock
  std::atomic<int> max_in_flight{0};
  Changes* changes = nullptr;  // told when a fetch starts, blocks or ends

  void put(const std::string& ref, const std::string& bytes) {
    std::lock_guard lock(mutex);
    modules[ref] = bytes;
  }
  void set(std::set<std::string>& which, const std::string& ref, bool on) {
    std::lock_guard lock(mutex);
    if (on) which.insert(ref);
    else which.erase(ref);
    changed.notify_all();
  }
  int calls(const std::string& ref) {
    std::lock_guard lock(mutex);
    return fetches[ref];
  }

  wasme::cache::FetchedModule fetch(const std::string& ref, const std::filesystem::path& dir,
                                    const std::atomic<bool>& cancel) {
    std::unique_lock lock(mutex);
    ++fetches[ref];
    max_in_flight = std::max(max_in_flight.load(), ++in_flight);
    struct Leave {
      FakeRegistry& r;
      ~Leave() {
        --r.in_flight;
        r.tell();
      }
    } leave{*this};
    tell();
    if (down.count(ref)) throw wasme::Error(wasme::ErrorKind::network, "connecting to fake: refused");
    auto it = modules.find(ref);
    if (it == modules.end()) throw wasme::Error(wasme::ErrorKind::not_found, "manifest unknown: " + ref);
    std::string bytes = it->second;
    std::uint64_t size = bytes.size();
    auto digest = wasme::oci::sha256_of(bytes);
    if (lying.count(ref)) bytes += "tampered";
    bool block = blocking.count(ref) > 0;
    lock.unlock();
    wasme::AtomicFile file(dir / digest.hex());
    file.write(bytes.substr(0, bytes.size() / 2));
    if (block) {
      tell();  // half written, its temp file in dir
      std::unique_lock wait(mutex);
      // The daemon only flips `cancel` (the Fetcher's contract: an atomic flag, nothing to be
      // notified by), so look at it every few milliseconds; unblocking notifies.
      while (!changed.wait_for(wait, std::chrono::milliseconds(5), [&] { return !blocking.count(ref) || cancel; })) {
      }
      if (cancel) throw wasme::Error(wasme::ErrorKind::network, "cancelled");
    }
    file.write(bytes.substr(bytes.size() / 2));
    file.commit();
    return {digest, size, dir / digest.hex()};
  }

  wasme::cache::Fetcher fetcher() {
    return [this](const std::string& ref, const std::filesystem::path& dir, const std::atomic<bool>& cancel) {
      return fetch(ref, dir, cancel);
    };
  }

 private:
  void tell() {
    if (changes) changes->notify();
  }
};

// Polls cond until it holds (generously); its final value. Only for what no fake can announce:
// the HTTP server's own sockets. Not a timing assertion: the deadline only keeps a broken build
// from hanging the test run.
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

}  // namespace cache_test
