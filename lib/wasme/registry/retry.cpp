#include "wasme/registry/retry.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace wasme::registry {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

milliseconds backoff_delay(const RetryPolicy& policy, int attempt, double unit) {
  double factor = std::ldexp(1.0, std::min(attempt, 20));
  double jitter = 1.0 + policy.jitter * (2.0 * unit - 1.0);
  double ms = static_cast<double>(policy.base.count()) * factor * jitter;
  ms = std::clamp(ms, static_cast<double>(policy.min_delay.count()), static_cast<double>(policy.max_delay.count()));
  return milliseconds(static_cast<long long>(ms));
}

std::optional<milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (all_digits(value)) {
    if (value.size() > 9) return milliseconds(std::chrono::hours(24 * 365));
    return milliseconds(std::stoll(std::string(value)) * 1000);
  }
  std::tm tm{};
  std::string text(value);
  if (::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(::timegm(&tm));
  auto delta = std::chrono::duration_cast<milliseconds>(when - now);
  return std::max(delta, milliseconds(0));
}

std::optional<milliseconds> retry_delay(const RetryPolicy& policy, const RequestError& error, int attempt,
                                        double unit) {
  if (!error.retryable() || attempt + 1 >= policy.max_attempts) return std::nullopt;
  if (auto after = error.retry_after()) {
    if (*after > policy.max_retry_after) return std::nullopt;
    return std::max(*after, policy.min_delay);
  }
  return backoff_delay(policy, attempt, unit);
}

Retrier::Retrier(RetryPolicy policy, Clock& clock, Log log)
    : policy_(policy), clock_(clock), log_(std::move(log)), rng_(std::random_device{}()) {}

double Retrier::unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

void Retrier::pause(milliseconds delay) {
  if (!cancel_) return clock_.sleep_for(delay);
  // In slices, so a stop (the cache's SIGTERM) does not wait out a long Retry-After.
  const milliseconds slice{100};
  while (delay > milliseconds::zero()) {
    if (cancel_->load()) throw Error(ErrorKind::network, "cancelled");
    milliseconds step = std::min(delay, slice);
    clock_.sleep_for(step);
    delay -= step;
  }
  if (cancel_->load()) throw Error(ErrorKind::network, "cancelled");
}

void Retrier::note_retry(const std::string& what, const RequestError& e, milliseconds delay, int tried) {
  if (!log_) return;
  log_("retrying " + what + " in " + std::to_string(delay.count()) + "ms (attempt " + std::to_string(tried) + " of " +
       std::to_string(policy_.max_attempts) + "): " + e.what());
}

void Retrier::give_up(const RequestError& e, int tried) {
  throw RequestError(e.kind(), std::string(e.what()) + " (gave up after " + std::to_string(tried) + " attempts)",
                     e.hint(), e.failure(), e.status(), e.retry_after());
}

}  // namespace wasme::registry
