#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wasme/core/clock.hpp"

namespace wasme {

// One progress line: "sha256:ab12… filter.wasm [=====>    ] 12.0 MiB/45.6 MiB 3.2 MiB/s 0:10 left",
// cut to width columns (the label gives way first).
std::string format_progress_line(std::string_view what, std::uint64_t done, std::uint64_t total,
                                 std::chrono::duration<double> elapsed, std::size_t width);

// When a terminal's progress line is drawn, redrawn and cleared, from bytes and times alone
// (the CLI passes the clock's now and writes what it gets back): nothing for a transfer until
// it has run `delay` (quick ones never flicker), then the line redrawn in place, and cleared
// when the transfer completes or another begins, so no progress is left in the scrollback.
class ProgressLine {
 public:
  explicit ProgressLine(std::chrono::milliseconds delay = std::chrono::seconds(1)) : delay_(delay) {}

  // The bytes to write to the terminal now; "" for nothing.
  std::string update(std::string_view what, std::uint64_t done, std::uint64_t total, Clock::time_point now,
                     std::size_t width);
  // Clears a line left on screen (an aborted transfer); "" when none is.
  std::string finish();

 private:
  std::chrono::milliseconds delay_;
  std::string what_;
  Clock::time_point started_{};
  bool shown_ = false;
};

}  // namespace wasme
