#include "wasme/host/test_report.hpp"

#include <cstdio>

namespace wasme::host {
namespace {

// Control characters shown as \xNN so a name or message cannot drive the terminal.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string xml_escaped(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "&#10;"; break;
      default:
        if (c < 0x20 || c == 0x7f) out += "?";  // not allowed in XML 1.0
        else out += static_cast<char>(c);
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

size_t total(const std::vector<FileResult>& files, bool passed) {
  size_t n = 0;
  for (const auto& f : files) n += passed ? f.passed() : f.failed();
  return n;
}

}  // namespace

std::string text_report(const std::vector<FileResult>& files) {
  std::string out;
  for (const auto& file : files) {
    if (files.size() > 1) out += printable(file.path) + "\n";
    for (const auto& c : file.cases) {
      out += std::string(c.passed ? "PASS " : "FAIL ") + printable(c.name);
      if (!c.passed) out += ": " + printable(joined(c.failures, "; "));
      out += "\n";
    }
  }
  out += std::to_string(total(files, true)) + " passed, " + std::to_string(total(files, false)) + " failed\n";
  return out;
}

nlohmann::json json_report(const std::vector<FileResult>& files) {
  auto list = nlohmann::json::array();
  for (const auto& file : files) {
    auto cases = nlohmann::json::array();
    for (const auto& c : file.cases) {
      cases.push_back(
          {{"name", c.name}, {"passed", c.passed}, {"failures", c.failures}, {"logs", c.logs}, {"seconds", c.seconds}});
    }
    list.push_back({{"file", file.path}, {"cases", cases}});
  }
  return {{"files", list}, {"passed", total(files, true)}, {"failed", total(files, false)}};
}

std::string junit_report(const std::vector<FileResult>& files) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"wasme test\" tests=\"" + std::to_string(total(files, true) + total(files, false)) +
         "\" failures=\"" + std::to_string(total(files, false)) + "\">\n";
  for (const auto& file : files) {
    double seconds = 0;
    for (const auto& c : file.cases) seconds += c.seconds;
    out += "  <testsuite name=\"" + xml_escaped(file.path) + "\" tests=\"" + std::to_string(file.cases.size()) +
           "\" failures=\"" + std::to_string(file.failed()) + "\" time=\"" + std::to_string(seconds) + "\">\n";
    for (const auto& c : file.cases) {
      out += "    <testcase name=\"" + xml_escaped(c.name) + "\" classname=\"" + xml_escaped(file.path) + "\" time=\"" +
             std::to_string(c.seconds) + "\"";
      if (c.passed) {
        out += "/>\n";
        continue;
      }
      std::string message = joined(c.failures, "; ");
      out += ">\n      <failure message=\"" + xml_escaped(message) + "\">" + xml_escaped(joined(c.failures, "\n")) +
             "</failure>\n";
      if (!c.logs.empty()) out += "      <system-out>" + xml_escaped(joined(c.logs, "\n")) + "</system-out>\n";
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace wasme::host
