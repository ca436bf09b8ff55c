// The terminal progress line: when it appears, what it shows, and that it clears itself.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "wasme/core/progress.hpp"

using namespace wasme;
using namespace std::chrono_literals;

TEST_CASE("format_progress_line shows a bar, bytes, rate and time left, within the width") {
  std::string line = format_progress_line("sha256:ab12 filter.wasm", 10u << 20, 40u << 20, 2s, 120);
  CHECK(line == "sha256:ab12 filter.wasm [=====>              ] 10.0 MiB/40.0 MiB 5.0 MiB/s 0:06 left");
  // The label gives way first, then the stats.
  std::string narrow = format_progress_line("sha256:ab12 a-very-long-file-name.wasm", 10u << 20, 40u << 20, 2s, 70);
  CHECK(narrow.size() == 70);
  CHECK(narrow.find("...") != std::string::npos);
  CHECK(narrow.find("0:06 left") != std::string::npos);
  CHECK(format_progress_line("x", 1, 2, 1s, 10).size() <= 10);
  // No time yet: no rate, no estimate. Over an hour: h:mm:ss.
  CHECK(format_progress_line("x", 0, 100, 0s, 80).find("/s") == std::string::npos);
  CHECK(format_progress_line("x", 1u << 20, 10000ull << 20, 1s, 120).find("2:46:39 left") != std::string::npos);
}

TEST_CASE("ProgressLine waits a second, redraws in place, and clears when done") {
  ProgressLine line;
  Clock::time_point t0 = Clock::time_point{} + 1h;
  CHECK(line.update("blob", 1, 100, t0, 80).empty());
  CHECK(line.update("blob", 50, 100, t0 + 900ms, 80).empty());  // quick transfers never show
  std::string drawn = line.update("blob", 60, 100, t0 + 1500ms, 80);
  CHECK(drawn.rfind("\r", 0) == 0);
  CHECK(drawn.find("\x1b[K") != std::string::npos);
  CHECK(drawn.find('\n') == std::string::npos);  // redrawn in place, never scrolled
  CHECK(drawn.size() <= 1 + 79 + 3);
  CHECK(line.update("blob", 100, 100, t0 + 2s, 80) == "\r\x1b[K");  // done: cleared
  CHECK(line.finish().empty());

  // A transfer done within the delay leaves nothing behind at all.
  CHECK(line.update("quick", 10, 10, t0 + 3s, 80).empty());
  // Another transfer starting clears the line the last one left.
  line.update("a", 1, 100, t0, 80);
  CHECK_FALSE(line.update("a", 2, 100, t0 + 2s, 80).empty());
  CHECK(line.update("b", 1, 100, t0 + 3s, 80) == "\r\x1b[K");
  // finish() after an aborted transfer.
  CHECK_FALSE(line.update("b", 2, 100, t0 + 5s, 80).empty());
  CHECK(line.finish() == "\r\x1b[K");
}
