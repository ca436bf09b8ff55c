#pragma once
#include <signal.h>

namespace wasme {

// Blocks SIGTERM and SIGINT for this thread and the threads it starts, so they arrive only
// where wait_briefly asks for them; restores the old mask on destruction. Long-running
// commands (cache, run) create one before starting any thread.
class BlockedSignals {
 public:
  BlockedSignals();
  ~BlockedSignals();
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

  // Waits up to 200 ms; returns the signal number or 0.
  int wait_briefly() const;

 private:
  sigset_t set_{};
  sigset_t old_{};
};

}  // namespace wasme
