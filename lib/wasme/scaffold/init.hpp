#pragma once
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "wasme/scaffold/catalog.hpp"
#include "wasme/scaffold/render.hpp"

namespace wasme::scaffold {

// Asks the user to pick one of options (returns its index). The CLI supplies one that reads
// the terminal; none means there is nobody to ask.
using Chooser = std::function<std::size_t(const std::string& question, const std::vector<std::string>& options)>;

// What to do when the project directory already holds files.
enum class ExistingFiles { refuse, overwrite };

struct InitRequest {
  std::filesystem::path dir;
  TemplateQuery query;
  std::string root_id = "add_header_root_id";
  ExistingFiles existing = ExistingFiles::refuse;
};

struct InitResult {
  TemplateInfo info;
  std::filesystem::path dir;
  std::vector<std::filesystem::path> files;  // relative to dir, as written
  Values values;
  std::vector<std::string> next_steps;  // shell commands to run next
  std::vector<std::string> notes;       // things to know before running them
};

// Picks the template (asking through choose when the query leaves several, throwing
// Error(usage) listing them when choose is empty), renders it and writes it into dir.
// Refuses a non-empty dir unless asked to overwrite, and never writes outside dir: paths
// are checked and symlinked directories inside dir are refused.
InitResult init_project(const InitRequest& request, const Chooser& choose = {});

// The template the query names, asking through choose when several fit.
TemplateInfo choose_template(const TemplateQuery& query, const Chooser& choose);

}  // namespace wasme::scaffold
