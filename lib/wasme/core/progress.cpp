#include "wasme/core/progress.hpp"

#include <algorithm>
#include <cstdio>

#include "wasme/core/fs.hpp"

namespace wasme {
namespace {

constexpr std::size_t bar_width = 20;
constexpr std::string_view clear_line = "\r\x1b[K";

std::string bar(std::uint64_t done, std::uint64_t total) {
  std::size_t filled = total ? static_cast<std::size_t>(std::min(done, total) * bar_width / total) : bar_width;
  std::string out = "[" + std::string(filled, '=');
  if (filled < bar_width) out += ">" + std::string(bar_width - filled - 1, ' ');
  return out + "]";
}

std::string time_left(double seconds) {
  auto s = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld left", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld left", s / 60, s % 60);
  }
  return text;
}

// Cuts text to at most width columns (bytes: labels are ASCII digests and file names).
std::string fit(std::string_view text, std::size_t width) {
  if (text.size() <= width) return std::string(text);
  if (width <= 3) return std::string(text.substr(0, width));
  return std::string(text.substr(0, width - 3)) + "...";
}

}  // namespace

std::string format_progress_line(std::string_view what, std::uint64_t done, std::uint64_t total,
                                 std::chrono::duration<double> elapsed, std::size_t width) {
  double seconds = elapsed.count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string stats = " " + bar(done, total) + " " + format_size(done) + "/" + format_size(total);
  if (rate > 0) {
    stats += " " + format_size(static_cast<std::uint64_t>(rate)) + "/s";
    if (total > done) stats += " " + time_left(static_cast<double>(total - done) / rate);
  }
  if (stats.size() >= width) return fit(stats.substr(1), width);
  return fit(what, width - stats.size()) + stats;
}

std::string ProgressLine::update(std::string_view what, std::uint64_t done, std::uint64_t total, Clock::time_point now,
                                 std::size_t width) {
  std::string out;
  if (what != what_) {
    out = finish();
    what_ = std::string(what);
    started_ = now;
  }
  if (total > 0 && done >= total) return out + finish();
  if (now - started_ < delay_) return out;
  shown_ = true;
  // Drawn one column short of the width: a line filling the last column wraps on some terminals.
  return out + "\r" + format_progress_line(what, done, total, now - started_, width > 1 ? width - 1 : 1) + "\x1b[K";
}

std::string ProgressLine::finish() {
  if (!shown_) return "";
  shown_ = false;
  return std::string(clear_line);
}

}  // namespace wasme
