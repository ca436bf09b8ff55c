#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "wasme/core/clock.hpp"

using namespace std::chrono_literals;
using wasme::Clock;
using wasme::FakeClock;

TEST_CASE("a fake clock stands still until advanced; sleeping advances it") {
  FakeClock clock;
  auto start = clock.now();
  CHECK(start != Clock::time_point{});  // the epoch may mean "never" to the code under test
  CHECK(clock.now() == start);
  clock.advance(2s);
  CHECK(clock.now() - start == 2s);
  clock.sleep_for(500ms);
  CHECK(clock.now() - start == 2500ms);
}

TEST_CASE("waiting on a fake clock past its deadline returns at once") {
  FakeClock clock;
  std::mutex mutex;
  std::condition_variable cv;
  std::unique_lock lock(mutex);
  clock.wait_until(cv, lock, clock.now());
  CHECK_FALSE(wasme::wait_until(clock, cv, lock, clock.now(), [] { return false; }));
  CHECK(wasme::wait_until(clock, cv, lock, clock.now() + 1h, [] { return true; }));  // no wait at all
  CHECK(clock.waiting() == 0);
}

TEST_CASE("advancing a fake clock wakes a thread waiting for that time, and only then") {
  FakeClock clock;
  std::mutex mutex;
  std::condition_variable cv, waiting_cv;
  int waits = 0;
  clock.on_wait([&] {
    ++waits;  // called with `mutex` held by the waiter
    waiting_cv.notify_all();
  });
  bool timed_out = false;
  const auto deadline = clock.now() + 1min;
  std::thread waiter([&] {
    std::unique_lock lock(mutex);
    timed_out = !wasme::wait_until(clock, cv, lock, deadline, [] { return false; });
  });
  {
    std::unique_lock lock(mutex);
    waiting_cv.wait(lock, [&] { return waits == 1; });
  }
  CHECK(clock.waiting() == 1);
  clock.advance(30s);  // wakes it; not its time yet, so it waits again
  {
    std::unique_lock lock(mutex);
    waiting_cv.wait(lock, [&] { return waits == 2; });
  }
  clock.advance(30s);
  waiter.join();
  CHECK(timed_out);
  CHECK(clock.waiting() == 0);
}

TEST_CASE("a notification ends a wait on a fake clock before its deadline") {
  FakeClock clock;
  std::mutex mutex;
  std::condition_variable cv;
  bool ready = false;
  bool got = false;
  std::thread waiter([&] {
    std::unique_lock lock(mutex);
    got = wasme::wait_until(clock, cv, lock, Clock::time_point::max(), [&] { return ready; });
  });
  {
    std::lock_guard lock(mutex);
    ready = true;  // whether or not the waiter waits yet: it looks at `ready` under the lock
  }
  cv.notify_all();
  waiter.join();
  CHECK(got);
  CHECK(clock.waiting() == 0);
}

TEST_CASE("the system clock moves forward and waits until a deadline") {
  Clock& clock = wasme::system_clock();
  auto start = clock.now();
  std::mutex mutex;
  std::condition_variable cv;
  std::unique_lock lock(mutex);
  CHECK_FALSE(wasme::wait_until(clock, cv, lock, start + 1ms, [] { return false; }));
  CHECK(clock.now() >= start + 1ms);
}
