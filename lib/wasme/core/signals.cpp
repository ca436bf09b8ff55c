#include "wasme/core/signals.hpp"

#include <pthread.h>

#include <ctime>

namespace wasme {

BlockedSignals::BlockedSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
}

BlockedSignals::~BlockedSignals() {
  // A second SIGTERM or SIGINT may still be pending; unblocked, it would kill the process
  // with a non-zero status after a clean stop. Take it first.
  timespec zero{0, 0};
  while (sigtimedwait(&set_, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

int BlockedSignals::wait_briefly() const {
  timespec timeout{0, 200 * 1000 * 1000};
  int sig = sigtimedwait(&set_, nullptr, &timeout);
  return sig > 0 ? sig : 0;
}

}  // namespace wasme
