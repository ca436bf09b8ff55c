#include "wasme/scaffold/catalog.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "wasme/core/embedded.hpp"
#include "wasme/core/error.hpp"

namespace wasme::scaffold {
namespace {

constexpr std::string_view manifest_name = "/template.json";

using Version = std::pair<int, int>;

// "1.9", "1.9.x", "1.9.3", "v1.9" -> {1, 9}; nullopt for anything else.
std::optional<Version> parse_version(std::string_view text) {
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.remove_prefix(1);
  int parts[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    size_t digits = 0;
    while (digits < text.size() && digits < 6 && text[digits] >= '0' && text[digits] <= '9') {
      parts[i] = parts[i] * 10 + (text[digits] - '0');
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    text.remove_prefix(digits);
    if (i == 0) {
      if (text.empty() || text[0] != '.') return std::nullopt;
      text.remove_prefix(1);
    }
  }
  // What may follow major.minor: nothing, ".x" or ".<patch>".
  if (!text.empty()) {
    if (text[0] != '.' || text.size() < 2) return std::nullopt;
    std::string_view rest = text.substr(1);
    bool patch = std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (rest != "x" && rest != "X" && !patch) return std::nullopt;
  }
  return Version{parts[0], parts[1]};
}

Version required_version(const std::string& text, const std::string& where) {
  auto v = parse_version(text);
  if (!v) throw Error(ErrorKind::invalid_input, where + ": \"" + text + "\" is not a version like 1.9");
  return *v;
}

TemplateInfo parse_manifest(std::string_view dir, std::string_view content) {
  std::string where = "embedded template " + std::string(dir) + std::string(manifest_name);
  nlohmann::json j = nlohmann::json::parse(content, nullptr, false);
  if (!j.is_object()) throw Error(ErrorKind::invalid_input, where + ": not a JSON object");
  try {
    TemplateInfo info;
    info.name = j.at("name").get<std::string>();
    info.language = j.at("language").get<std::string>();
    info.description = j.at("description").get<std::string>();
    info.abi = j.at("abi").get<std::string>();
    info.network = j.at("network").get<bool>() ? Network::first_build : Network::not_needed;
    for (const auto& p : j.at("platforms")) {
      PlatformRange range{p.at("name").get<std::string>(), p.at("min").get<std::string>(), ""};
      if (p.contains("max")) range.max = p.at("max").get<std::string>();
      required_version(range.min, where);
      if (!range.max.empty()) required_version(range.max, where);
      info.platforms.push_back(range);
    }
    if (info.name != dir) throw Error(ErrorKind::invalid_input, where + ": name is \"" + info.name + "\"");
    return info;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::invalid_input, where + ": " + e.what());
  }
}

bool supports(const PlatformRange& range, const std::string& platform, const std::optional<Version>& version) {
  if (!platform.empty() && range.name != platform) return false;
  if (!version) return true;
  if (*version < *parse_version(range.min)) return false;
  return range.max.empty() || *version <= *parse_version(range.max);
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Throws usage when value is set and not among the known values.
void check_known(const std::string& what, const std::string& value, const std::set<std::string>& known) {
  if (value.empty() || known.count(value)) return;
  throw Error(ErrorKind::usage, "unknown " + what + " \"" + value + "\"", "choose one of: " + join(known));
}

}  // namespace

const std::vector<TemplateInfo>& templates() {
  static const std::vector<TemplateInfo> all = [] {
    std::vector<TemplateInfo> out;
    for (const EmbeddedFile& f : embedded_files()) {
      std::string_view path = f.path;
      if (path.size() <= manifest_name.size() || path.substr(path.size() - manifest_name.size()) != manifest_name) {
        continue;
      }
      std::string_view dir = path.substr(0, path.size() - manifest_name.size());
      if (dir.find('/') != std::string_view::npos) continue;  // only top-level folders
      out.push_back(parse_manifest(dir, f.content));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }();
  return all;
}

std::vector<TemplateInfo> matching_templates(const TemplateQuery& query) {
  std::set<std::string> names, languages, platforms;
  for (const auto& t : templates()) {
    names.insert(t.name);
    languages.insert(t.language);
    for (const auto& p : t.platforms) platforms.insert(p.name);
  }
  check_known("template", query.name, names);
  check_known("language", query.language, languages);
  check_known("platform", query.platform, platforms);
  std::optional<Version> version;
  if (!query.platform_version.empty()) {
    version = parse_version(query.platform_version);
    if (!version) {
      throw Error(ErrorKind::usage,
                  "platform version \"" + query.platform_version + "\" is not a version like 1.9, 1.9.x or 1.9.3");
    }
  }
  std::vector<TemplateInfo> out;
  for (const auto& t : templates()) {
    if (!query.name.empty() && t.name != query.name) continue;
    if (!query.language.empty() && t.language != query.language) continue;
    bool platform_ok = std::any_of(t.platforms.begin(), t.platforms.end(),
                                   [&](const PlatformRange& r) { return supports(r, query.platform, version); });
    if (platform_ok) out.push_back(t);
  }
  return out;
}

std::string describe(const PlatformRange& range) {
  if (range.max.empty()) return range.name + " " + range.min + "+";
  if (range.max == range.min) return range.name + " " + range.min;
  return range.name + " " + range.min + "-" + range.max;
}

std::string describe_platforms(const TemplateInfo& info) {
  std::string out;
  for (const auto& p : info.platforms) out += (out.empty() ? "" : ", ") + describe(p);
  return out;
}

std::string list_choices(const std::vector<TemplateInfo>& choices) {
  std::string out;
  for (const auto& t : choices) {
    out += "\n  " + t.name + " (" + t.language + "; " + describe_platforms(t) + "; ABI " + t.abi + ")";
  }
  return out;
}

}  // namespace wasme::scaffold
