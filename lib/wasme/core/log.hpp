#pragma once
#include <cstddef>
#include <functional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace wasme {

// Where the library's lines go: "pulling …", "running: bazel build …", each registry request
// with -v. lib/ never prints, so whatever has something to tell takes a Log, and the CLI
// decides where the lines end up (stderr, JSON lines, nowhere). An empty Log drops them, so
// callers never check before telling.
class Log {
 public:
  Log() = default;
  Log(std::nullptr_t) {}  // NOLINT: `nullptr` reads as "no log" at call sites
  // Any callable taking a line, e.g. [](std::string_view line) { std::cerr << line << "\n"; }.
  template <class Sink, class = std::enable_if_t<!std::is_same_v<std::decay_t<Sink>, Log> &&
                                                 std::is_invocable_v<Sink&, std::string_view>>>
  Log(Sink sink) : sink_(std::move(sink)) {}  // NOLINT: implicit, like std::function

  // Passes one line (without a newline) to the sink, if there is one.
  void operator()(std::string_view line) const;
  // Whether lines go anywhere: callers may skip building an expensive line.
  explicit operator bool() const { return static_cast<bool>(sink_); }

 private:
  std::function<void(std::string_view)> sink_;
};

}  // namespace wasme
