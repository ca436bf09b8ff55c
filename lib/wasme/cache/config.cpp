#include "wasme/cache/config.hpp"

#include <cctype>
#include <limits>

#include "wasme/core/error.hpp"

namespace wasme::cache {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t millis;
};
// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr Unit units[] = {{"ms", 1}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};

[[noreturn]] void bad_duration(std::string_view text, std::string_view flag, const std::string& why) {
  throw Error(ErrorKind::usage, std::string(flag) + ": invalid duration \"" + std::string(text) + "\": " + why,
              "write a duration like 2s, 500ms, 1m30s or 1h");
}

}  // namespace

Millis Backoff::delay(int failures) const {
  Millis d = initial;
  for (int i = 1; i < failures && d < max; ++i) d *= 2;
  return d < max ? d : max;
}

Millis parse_duration(std::string_view text, std::string_view flag) {
  if (text.empty()) bad_duration(text, flag, "empty");
  if (text == "0") return Millis{0};
  std::int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    if (!std::isdigit(static_cast<unsigned char>(rest.front()))) {
      bad_duration(text, flag, rest.front() == '-' ? "negative" : "expected a number");
    }
    std::int64_t number = 0;
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) {
      if (number > std::numeric_limits<std::int32_t>::max()) bad_duration(text, flag, "too large");
      number = number * 10 + (rest.front() - '0');
      rest.remove_prefix(1);
    }
    const Unit* unit = nullptr;
    for (const Unit& u : units) {
      if (rest.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (!unit) bad_duration(text, flag, "missing unit (ms, s, m or h)");
    rest.remove_prefix(unit->name.size());
    total += number * unit->millis;
    if (total > std::numeric_limits<std::int32_t>::max() * 1000LL) bad_duration(text, flag, "too large");
  }
  return Millis{total};
}

std::string format_duration(Millis duration) {
  std::int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  for (const Unit& u : {units[1], units[2], units[3], units[0]}) {
    if (ms >= u.millis) {
      out += std::to_string(ms / u.millis) + std::string(u.name);
      ms %= u.millis;
    }
  }
  return out;
}

}  // namespace wasme::cache
