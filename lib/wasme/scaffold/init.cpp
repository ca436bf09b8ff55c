#include "wasme/scaffold/init.hpp"

#include <system_error>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/core/process.hpp"

namespace wasme::scaffold {
namespace {

std::string option_line(const TemplateInfo& t) {
  return t.name + ": " + t.description + " [" + describe_platforms(t) + "; ABI " + t.abi + "]";
}

void check_directory(const fs::path& dir, ExistingFiles existing) {
  std::error_code ec;
  auto status = fs::status(dir, ec);  // the user named dir: a link to a directory is fine
  if (status.type() == fs::file_type::not_found) return;
  if (status.type() != fs::file_type::directory) {
    throw Error(ErrorKind::invalid_input, dir.string() + " exists and is not a directory",
                "choose a new directory name");
  }
  if (existing == ExistingFiles::refuse && !fs::is_empty(dir)) {
    throw Error(ErrorKind::invalid_input, dir.string() + " is not empty",
                "choose a new directory, or add --force to write the template's files into it "
                "(files with the same names are replaced)");
  }
}

// Checks (create == false) or creates the parents of dir/relative. A parent that is a
// symlink is refused, so a link placed in the project directory cannot send files elsewhere.
void walk_parents(const fs::path& dir, const fs::path& relative, bool create) {
  fs::path current = dir;
  for (const auto& part : relative.parent_path()) {
    current /= part;
    std::error_code ec;
    auto type = fs::symlink_status(current, ec).type();
    if (type == fs::file_type::symlink) {
      throw Error(ErrorKind::invalid_input, current.string() + " is a symbolic link",
                  "remove it; init writes only inside the project directory");
    }
    if (type == fs::file_type::not_found) {
      if (!create) return;  // nothing below it exists either
      fs::create_directory(current);
    } else if (type != fs::file_type::directory) {
      throw Error(ErrorKind::invalid_input, current.string() + " exists and is not a directory");
    }
  }
}

// Everything that can refuse a file, checked before the first one is written.
void check_targets(const fs::path& dir, const std::vector<ProjectFile>& files) {
  for (const auto& file : files) {
    walk_parents(dir, file.path, false);
    std::error_code ec;
    if (fs::symlink_status(dir / file.path, ec).type() == fs::file_type::directory) {
      throw Error(ErrorKind::invalid_input, (dir / file.path).string() + " is a directory");
    }
  }
}

void write_project_file(const fs::path& dir, const ProjectFile& file) {
  walk_parents(dir, file.path, true);
  // AtomicFile renames over the final path, replacing (not following) a symlink there.
  write_file_atomic(dir / file.path, file.content, file.mode, Durability::no_fsync);
}

std::vector<std::string> next_steps(const fs::path& dir, const Values& values, const std::vector<ProjectFile>& files,
                                    const std::string& language) {
  std::string ref = "localhost:5000/" + values.at("NAME") + ":v0.1";
  std::vector<std::string> steps{shell_quote({"wasme", "build", language, dir.string(), "-t", ref}),
                                 shell_quote({"wasme", "inspect", ref})};
  for (const auto& f : files) {
    // Templates that ship test cases: run them without Envoy.
    if (f.path == "cases.yaml") steps.push_back(shell_quote({"wasme", "test", ref, (dir / f.path).string()}));
  }
  return steps;
}

}  // namespace

TemplateInfo choose_template(const TemplateQuery& query, const Chooser& choose) {
  std::vector<TemplateInfo> matches = matching_templates(query);
  if (matches.empty()) {
    throw Error(ErrorKind::usage, "no template fits the chosen language, platform and version",
                "templates:" + list_choices(templates()));
  }
  if (matches.size() == 1) return matches.front();
  if (!choose) {
    std::string what = query.empty() ? "no template chosen" : std::to_string(matches.size()) + " templates fit";
    throw Error(ErrorKind::usage, what + ", and init may not ask (no terminal, or --disable-prompt)",
                "pick one with --template NAME (or narrow with --language, --platform, "
                "--platform-version):" +
                    list_choices(matches));
  }
  std::vector<std::string> options;
  for (const auto& t : matches) options.push_back(option_line(t));
  std::size_t index = choose("Which template do you want to start from?", options);
  if (index >= matches.size()) throw Error(ErrorKind::usage, "no template chosen");
  return matches[index];
}

InitResult init_project(const InitRequest& request, const Chooser& choose) {
  if (request.dir.empty()) throw Error(ErrorKind::usage, "no project directory given");
  InitResult result;
  result.info = choose_template(request.query, choose);
  result.dir = request.dir;
  result.values = project_values(request.dir, request.root_id);
  // Render everything first: a template that cannot render leaves no directory behind.
  std::vector<ProjectFile> files = render_template(result.info, result.values);
  return with_context("creating project " + request.dir.string(), [&] {
    try {
      check_directory(request.dir, request.existing);
      check_targets(request.dir, files);
      fs::create_directories(request.dir);
      for (const auto& file : files) {
        write_project_file(request.dir, file);
        result.files.push_back(file.path);
      }
    } catch (const fs::filesystem_error& e) {
      throw Error(ErrorKind::io, e.code().message() + ": " + e.path1().string());
    }
    result.next_steps = next_steps(request.dir, result.values, files, result.info.language);
    if (result.info.network == Network::first_build) {
      result.notes.push_back("the first build downloads the SDK and toolchain: it needs network access");
    }
    return result;
  });
}

}  // namespace wasme::scaffold
