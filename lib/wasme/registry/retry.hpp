#pragma once
#include <atomic>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "wasme/core/clock.hpp"
#include "wasme/core/log.hpp"
#include "wasme/registry/request_error.hpp"

namespace wasme::registry {

using std::chrono::milliseconds;

// How often and how patiently to retry (oras-go's numbers: 250 ms × 2^n ± 10 %, clamped).
struct RetryPolicy {
  int max_attempts = 5;
  milliseconds base{250};
  milliseconds min_delay{200};
  milliseconds max_delay{3000};
  double jitter = 0.1;
  // A Retry-After longer than this is not waited for: the error is reported instead.
  milliseconds max_retry_after{60000};
};

// The pause after failed attempt n (0-based); unit in [0,1) picks the jitter.
milliseconds backoff_delay(const RetryPolicy& policy, int attempt, double unit);

// Retry-After as delta-seconds or an HTTP date; nullopt when unparsable.
std::optional<milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// The pause before the next attempt, or nullopt to give up (not retryable, out of attempts,
// or a Retry-After beyond the policy's patience).
std::optional<milliseconds> retry_delay(const RetryPolicy& policy, const RequestError& error, int attempt, double unit);

// Runs an operation until it succeeds, fails for good, or runs out of attempts. Only a
// RequestError that is retryable() leads to another attempt; everything else propagates.
// It pauses on the injected clock, so unit tests neither wait nor depend on timing.
class Retrier {
 public:
  Retrier(RetryPolicy policy, Clock& clock, Log log = {});

  template <class F>
  auto run(const std::string& what, F&& attempt) -> decltype(attempt()) {
    for (int n = 0;; ++n) {
      try {
        return attempt();
      } catch (const RequestError& e) {
        auto delay = retry_delay(policy_, e, n, unit());
        if (!delay) {
          if (n == 0 || !e.retryable()) throw;
          give_up(e, n + 1);
        }
        note_retry(what, e, *delay, n + 1);
        pause(*delay);
      }
    }
  }
  const RetryPolicy& policy() const { return policy_; }
  // Pauses between attempts end early, with Error "cancelled", once *cancel is true.
  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }

 private:
  double unit();
  void pause(milliseconds delay);
  void note_retry(const std::string& what, const RequestError& e, milliseconds delay, int tried);
  [[noreturn]] void give_up(const RequestError& e, int tried);

  RetryPolicy policy_;
  Clock& clock_;
  Log log_;
  std::mt19937 rng_;
  const std::atomic<bool>* cancel_ = nullptr;
};

}  // namespace wasme::registry
