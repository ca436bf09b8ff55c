#include "wasme/scaffold/render.hpp"

#include <algorithm>
#include <cctype>

#include "wasme/core/embedded.hpp"
#include "wasme/core/error.hpp"

namespace wasme::scaffold {
namespace {

bool is_key_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// The placeholder starting at text[pos] ("{{KEY}}"): the key, or "" when there is none.
std::string_view placeholder_at(std::string_view text, size_t pos) {
  if (text.substr(pos, 2) != "{{" || pos + 2 >= text.size()) return {};
  if (text[pos + 2] < 'A' || text[pos + 2] > 'Z') return {};  // keys start with a letter
  size_t end = pos + 2;
  while (end < text.size() && is_key_char(text[end])) ++end;
  if (end == pos + 2 || text.substr(end, 2) != "}}") return {};
  return text.substr(pos + 2, end - pos - 2);
}

// Lowercase letters and digits separated by single '-' (valid in an image repository name).
std::string image_safe_name(const std::string& raw) {
  std::string out;
  for (char c : raw) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) {
      out.push_back(static_cast<char>(std::tolower(u)));
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "filter" : out;
}

std::string workspace_name(const std::string& name) {
  std::string out = name;
  std::replace(out.begin(), out.end(), '-', '_');
  if (std::isdigit(static_cast<unsigned char>(out[0]))) out = "filter_" + out;
  return out;
}

void check_root_id(const std::string& root_id) {
  if (root_id.empty() || root_id.size() > 128) {
    throw Error(ErrorKind::usage, "root id must be 1 to 128 characters long");
  }
  for (char c : root_id) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '_' && c != '-' && c != '.' && c != ':') {
      throw Error(ErrorKind::usage, "root id \"" + root_id + "\" contains '" + std::string(1, c) + "'",
                  "use letters, digits and _ - . : (e.g. add_header_root_id)");
    }
  }
}

}  // namespace

Values project_values(const std::filesystem::path& dir, const std::string& root_id) {
  check_root_id(root_id);
  std::filesystem::path absolute = std::filesystem::absolute(dir).lexically_normal();
  std::string base = absolute.filename().string();
  if (base.empty()) base = absolute.parent_path().filename().string();  // "dir/" ends in ""
  std::string name = image_safe_name(base);
  return {{"NAME", name}, {"WORKSPACE_NAME", workspace_name(name)}, {"ROOT_ID", root_id}};
}

std::string render_text(std::string_view text, const Values& values, std::string_view file) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    std::string_view key = placeholder_at(text, pos);
    if (key.empty()) {
      out.push_back(text[pos++]);
      continue;
    }
    auto it = values.find(std::string(key));
    if (it == values.end()) {
      throw Error(ErrorKind::invalid_input,
                  "template file " + std::string(file) + ": no value for {{" + std::string(key) + "}}");
    }
    out += it->second;
    pos += key.size() + 4;
  }
  return out;
}

std::vector<std::string> find_placeholders(std::string_view text) {
  std::vector<std::string> out;
  for (size_t pos = text.find("{{"); pos != std::string_view::npos; pos = text.find("{{", pos + 1)) {
    std::string_view key = placeholder_at(text, pos);
    if (!key.empty()) out.emplace_back(key);
  }
  return out;
}

std::filesystem::path safe_relative_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    throw Error(ErrorKind::invalid_input, "a template path contains a NUL byte");
  }
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::invalid_input, "template path \"" + std::string(path) + "\" " + why);
  };
  if (path.empty()) throw bad("is empty");
  if (path.front() == '/') throw bad("is absolute");
  if (path.find('\\') != std::string_view::npos) throw bad("contains a backslash");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty()) throw bad("has an empty component");
    if (part == "." || part == "..") throw bad("has a \"" + std::string(part) + "\" component");
    start = end + 1;
  }
  return std::filesystem::path(std::string(path));
}

std::vector<ProjectFile> render_template(const TemplateInfo& info, const Values& values) {
  std::string prefix = info.name + "/";
  std::vector<ProjectFile> out;
  for (const EmbeddedFile& f : embedded_files()) {
    if (f.path.substr(0, prefix.size()) != prefix) continue;
    std::string_view relative = f.path.substr(prefix.size());
    if (relative == "template.json") continue;
    ProjectFile file;
    file.path = safe_relative_path(relative);
    file.content = render_text(f.content, values, f.path);
    bool script = relative.size() > 3 && relative.substr(relative.size() - 3) == ".sh";
    file.mode = script ? 0755 : 0644;
    out.push_back(std::move(file));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace wasme::scaffold
