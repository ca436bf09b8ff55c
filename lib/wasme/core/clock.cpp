#include "wasme/core/clock.hpp"

#include <algorithm>
#include <thread>

namespace wasme {
namespace {

class SystemClock : public Clock {
 public:
  time_point now() override { return std::chrono::steady_clock::now(); }
  void sleep_for(std::chrono::milliseconds duration) override { std::this_thread::sleep_for(duration); }
  void wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, time_point deadline) override {
    // max() would overflow on its way into the kernel's timeout.
    if (deadline == time_point::max()) {
      cv.wait(lock);
    } else {
      cv.wait_until(lock, deadline);
    }
  }
};

}  // namespace

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

FakeClock::time_point FakeClock::now() {
  std::lock_guard guard(mutex_);
  return now_;
}

void FakeClock::sleep_for(std::chrono::milliseconds duration) { advance(duration); }

void FakeClock::wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, time_point deadline) {
  std::function<void()> hook;
  {
    std::lock_guard guard(mutex_);
    if (now_ >= deadline) return;
    // Registered while the caller still holds its lock: advance() takes that lock before
    // notifying, so it cannot slip in between this check and the wait below.
    waiters_.push_back({&cv, lock.mutex()});
    hook = on_wait_;
  }
  if (hook) hook();
  cv.wait(lock);
  std::lock_guard guard(mutex_);
  auto it = std::find_if(waiters_.begin(), waiters_.end(),
                         [&](const Waiter& w) { return w.cv == &cv && w.mutex == lock.mutex(); });
  if (it != waiters_.end()) waiters_.erase(it);
}

void FakeClock::advance(std::chrono::steady_clock::duration by) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard guard(mutex_);
    now_ += by;
    waiters = waiters_;
  }
  // Outside our lock: a waiter calls back into now() while holding its own.
  for (const Waiter& w : waiters) {
    std::lock_guard lock(*w.mutex);
    w.cv->notify_all();
  }
}

int FakeClock::waiting() const {
  std::lock_guard guard(mutex_);
  return static_cast<int>(waiters_.size());
}

void FakeClock::on_wait(std::function<void()> hook) {
  std::lock_guard guard(mutex_);
  on_wait_ = std::move(hook);
}

}  // namespace wasme
