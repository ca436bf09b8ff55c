// wasme list: the images in the local store (or, with --remote, a repository's tags).
#include <chrono>
#include <ctime>
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/image_view.hpp"
#include "cli/output.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/list.hpp"
#include "wasme/registry/tags.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string remote;
  RegistryFlags registry;
  bool wide = false;
  bool show_dir = false;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

std::chrono::system_clock::time_point to_system(std::filesystem::file_time_type t) {
  using namespace std::chrono;
  return time_point_cast<system_clock::duration>(t - std::filesystem::file_time_type::clock::now() +
                                                 system_clock::now());
}

std::string iso_time(std::filesystem::file_time_type t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(to_system(t));
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&secs));
  return buf;
}

// "just now", "5 minutes ago", "3 days ago", as docker prints it.
std::string age(std::filesystem::file_time_type t) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - to_system(t)).count();
  auto plural = [](long long n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s") + " ago";
  };
  if (secs < 60) return "just now";
  if (secs < 3600) return plural(secs / 60, "minute");
  if (secs < 86400) return plural(secs / 3600, "hour");
  return plural(secs / 86400, "day");
}

// --remote REPO: the repository's tags, as the registry lists them.
void run_remote(const Flags& flags, const GlobalOptions& globals) {
  // A bare name would mean Docker Hub's library/ (and "host:5000" a repository named host):
  // never what someone listing their registry meant.
  const std::string& text = flags.remote;
  if (text.find('/') == std::string::npos) {
    throw Error(ErrorKind::usage, "--remote \"" + text + "\" names no repository",
                "give REGISTRY/REPOSITORY, e.g. ghcr.io/me/filter or localhost:5000/me/filter");
  }
  if (text.substr(text.rfind('/') + 1).find_first_of(":@") != std::string::npos) {
    throw Error(ErrorKind::usage, "--remote \"" + text + "\" has a tag or digest; it lists a repository",
                "drop the \":TAG\" or \"@DIGEST\"");
  }
  oci::Reference repo = oci::Reference::parse(text);
  std::vector<std::string> tags = registry::list_tags(repo, flags.registry.resolve(), make_observer(globals));
  if (flags.output == OutputFormat::json) {
    return print_json({{"repository", repo.name()}, {"tags", tags}});
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& tag : tags) rows.push_back({repo.name(), tag});
  print_table(std::cout, {"NAME", "TAG"}, rows);
}

void run(const Flags& flags) {
  std::vector<image::ListEntry> entries = image::list_images(flags.store.open());
  if (flags.output == OutputFormat::json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
      nlohmann::json row = image_json(e.image);
      if (e.updated != decltype(e.updated){}) row["updated"] = iso_time(e.updated);
      if (!e.module_path.empty()) row["path"] = e.module_path.string();
      if (!e.error.empty()) row["error"] = e.error;
      out.push_back(row);
    }
    return print_json(out);
  }
  std::vector<std::string> header{"NAME", "TAG", "SIZE", "SHA", "UPDATED"};
  if (flags.wide) header.insert(header.end(), {"ROOT IDS", "ABI"});
  if (flags.show_dir) header.push_back("PATH");
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : entries) {
    const auto& img = e.image;
    std::string sha = e.error.empty() ? img.wasm_digest.hex().substr(0, flags.wide ? 64 : 8) : "?";
    std::vector<std::string> row{reference_name(img.reference), reference_tag(img.reference),
                                 e.error.empty() ? format_size(img.wasm_size) : "?", sha,
                                 e.updated == decltype(e.updated){} ? "?" : age(e.updated)};
    if (flags.wide) row.insert(row.end(), {join_or_dash(img.config.root_ids), wasm::to_string(img.module_abi)});
    if (flags.show_dir) row.push_back(e.module_path.empty() ? "-" : e.module_path.string());
    rows.push_back(row);
    if (!e.error.empty()) warn("cannot read " + img.reference.str() + ": " + e.error);
  }
  print_table(std::cout, header, rows);
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto flags = std::make_shared<Flags>();
  app.add_option("--remote", flags->remote, "List a registry repository's tags instead (e.g. ghcr.io/me/filter)")
      ->check([](const std::string& value) { return value.empty() ? std::string("a repository is required") : ""; });
  add_registry_flags(app, flags->registry);
  app.add_flag("-w,--wide", flags->wide, "Full digests, root ids and ABI");
  app.add_flag("-d,--show-dir", flags->show_dir, "Show where each module is stored");
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.callback([flags, &globals] { flags->remote.empty() ? run(*flags) : run_remote(*flags, globals); });
}

const Registration registration{{"list", "List the images in the local store", &setup}};

}  // namespace
}  // namespace wasme::cli
