#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/scaffold/catalog.hpp"

namespace wasme::scaffold {

// Values for the {{KEY}} placeholders of template files (KEY: A-Z first, then A-Z, 0-9, _).
using Values = std::map<std::string, std::string>;

// The values a project gets: NAME (an image-name-safe form of the directory's name),
// WORKSPACE_NAME (a Bazel workspace name) and ROOT_ID. Throws Error(usage) for a root id
// that could not be written into C++ and JSON literals safely.
Values project_values(const std::filesystem::path& dir, const std::string& root_id);

// Replaces every {{KEY}} in text. A placeholder without a value throws
// Error(invalid_input) naming the file, so a template can never ship half-rendered.
std::string render_text(std::string_view text, const Values& values, std::string_view file);

// Placeholders ({{KEY}}) left in text; empty for a fully rendered file.
std::vector<std::string> find_placeholders(std::string_view text);

// Checks a template's file path before anything is written: relative, no "..", ".", empty
// components or backslashes. Throws Error(invalid_input).
std::filesystem::path safe_relative_path(std::string_view path);

// One file of a rendered project.
struct ProjectFile {
  std::filesystem::path path;  // relative to the project directory
  std::string content;
  unsigned mode = 0644;  // 0755 for scripts (*.sh)
};

// The template's files (its template.json left out) with placeholders filled, sorted by path.
std::vector<ProjectFile> render_template(const TemplateInfo& info, const Values& values);

}  // namespace wasme::scaffold
