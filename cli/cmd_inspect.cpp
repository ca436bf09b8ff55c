// wasme inspect REF|FILE: what an image or module is, and whether Istio would take it.
#include <iostream>
#include <map>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/image_view.hpp"
#include "cli/output.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/inspect.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/render/istio_versions.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string target;
  std::string istio_version;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

nlohmann::json descriptor_json(const oci::Descriptor& d) {
  nlohmann::json out{{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty()) out["annotations"] = d.annotations;
  return out;
}

nlohmann::json report_json(const image::InspectReport& r, const render::IstioFit& fit) {
  nlohmann::json out = image_json(r.image, fit.version);
  out["istio"] = {{"version", fit.version.str()},
                  {"loadsModule", fit.loads_module},
                  {"abi", fit.abi_note},
                  {"agentPulls", fit.agent_pulls}};
  if (!fit.pull_rejection.empty()) out["istio"]["pullRejection"] = fit.pull_rejection;
  if (!r.from_store) {
    out["reference"] = nullptr;
    out["file"] = r.file.string();
  }
  out["configMediaType"] = r.config_media_type;
  out["layers"] = nlohmann::json::array();
  for (const auto& l : r.layers) out["layers"].push_back(descriptor_json(l));
  out["imports"] = nlohmann::json::array();
  for (const auto& i : r.module.imports) {
    out["imports"].push_back({{"module", i.module}, {"name", i.name}, {"kind", wasm::to_string(i.kind)}});
  }
  out["exports"] = nlohmann::json::array();
  for (const auto& e : r.module.exports) {
    out["exports"].push_back({{"name", e.name}, {"kind", wasm::to_string(e.kind)}});
  }
  out["wasi"] = r.module.wasi_modules;
  out["consumers"] = nlohmann::json::object();
  for (const auto& c : r.consumers) out["consumers"][c.name] = {{"accepts", c.accepts}, {"reason", c.reason}};
  return out;
}

// "12 (env 10, wasi_snapshot_preview1 2)"
std::string import_summary(const wasm::ModuleInfo& module) {
  std::map<std::string, int> by_module;
  for (const auto& i : module.imports) by_module[i.module]++;
  std::string out = std::to_string(module.imports.size());
  std::string parts;
  for (const auto& [name, count] : by_module) parts += (parts.empty() ? "" : ", ") + name + " " + std::to_string(count);
  return parts.empty() ? out : out + " (" + parts + ")";
}

std::string export_summary(const wasm::ModuleInfo& module) {
  std::vector<std::string> names;
  for (const auto& e : module.exports) {
    if (e.kind == wasm::ExternalKind::function) names.push_back(e.name);
  }
  // The count covers every export (memory, tables, globals too); the list names the functions.
  std::string out = std::to_string(module.exports.size());
  std::size_t others = module.exports.size() - names.size();
  std::string listed;
  for (size_t i = 0; i < names.size() && i < 8; ++i) listed += (i ? ", " : "") + names[i];
  if (names.size() > 8) listed += ", …";
  if (others > 0) listed += (listed.empty() ? "" : "; ") + std::to_string(others) + " non-function";
  return listed.empty() ? out : out + " (" + listed + ")";
}

void print_text(const image::InspectReport& r, const render::IstioFit& fit) {
  const auto& img = r.image;
  std::vector<std::vector<std::string>> rows;
  if (r.from_store) {
    rows.push_back({"Reference:", img.reference.str()});
    rows.push_back({"Manifest digest:", img.manifest_digest.str()});
    rows.push_back({"Media type:", img.manifest_media_type});
  } else {
    rows.push_back({"File:", r.file.string()});
  }
  rows.push_back({"Format:", oci::to_string(img.format)});
  rows.push_back({"Wasm sha256:", img.wasm_digest.hex()});
  rows.push_back({"Size:", format_size(img.wasm_size) + " (" + std::to_string(img.wasm_size) + " bytes)"});
  rows.push_back({"Config type:", img.config.type.empty() ? "-" : img.config.type});
  rows.push_back({"Root ids:", join_or_dash(img.config.root_ids)});
  rows.push_back({"ABI versions:", join_or_dash(img.config.abi_versions)});
  rows.push_back({"Module ABI:", wasm::to_string(img.module_abi)});
  rows.push_back({"Imports:", import_summary(r.module)});
  rows.push_back({"Exports:", export_summary(r.module)});
  rows.push_back({"WASI:", join_or_dash(r.module.wasi_modules)});
  rows.push_back({"Istio ABI:", fit.abi_note});
  rows.push_back({"Istio accepts:", fit.verdict()});
  // Values come from the image (tags, export names, annotations): printed inert.
  for (const auto& row : rows) std::cout << row[0] << std::string(18 - row[0].size(), ' ') << printable(row[1]) << "\n";
  std::cout << "Layers:\n";
  for (const auto& l : r.layers) {
    auto title = l.annotations.find("org.opencontainers.image.title");
    std::cout << "  " << printable(l.media_type) << "  " << l.digest.short_hex() << "  " << format_size(l.size)
              << (title != l.annotations.end() ? "  " + printable(title->second) : "") << "\n";
  }
  std::cout << "Consumers:\n";
  std::vector<std::vector<std::string>> table;
  for (const auto& c : r.consumers) table.push_back({"  " + c.name, c.accepts ? "yes" : "no", printable(c.reason)});
  print_table(std::cout, {"  CONSUMER", "ACCEPTS", "WHY"}, table);
}

// What the user meant when TARGET is not a file: a path (so say what is wrong with it), or a
// reference. Paths start with /, ./ or ../ (references cannot); a name ending in .wasm is a
// path only when it is not a valid reference (repositories may hold dots).
void refuse_non_file_paths(const std::string& target) {
  namespace fs = std::filesystem;
  auto starts = [&](const char* p) { return target.rfind(p, 0) == 0; };
  bool ends_in_wasm = target.size() > 5 && target.compare(target.size() - 5, 5, ".wasm") == 0;
  bool parses = true;
  try {
    oci::Reference::parse(target);
  } catch (const Error&) {
    parses = false;
  }
  bool looks_like_path = starts("/") || starts("./") || starts("../") || (ends_in_wasm && !parses);
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    throw Error(ErrorKind::invalid_input, target + " is a directory", "give a .wasm file or an image reference");
  }
  if (looks_like_path && !fs::exists(target, ec)) {
    throw Error(ErrorKind::not_found, "no such file: " + target, "give a .wasm file or an image reference");
  }
  if (looks_like_path && fs::exists(target, ec)) {
    throw Error(ErrorKind::invalid_input, target + " is not a regular file", "give a .wasm file or an image reference");
  }
}

void run(const Flags& flags) {
  std::error_code ec;
  bool is_file = std::filesystem::is_regular_file(flags.target, ec);
  if (!is_file) refuse_non_file_paths(flags.target);
  image::InspectReport report = is_file ? image::inspect_file(flags.target)
                                        : image::inspect_image(flags.store.open(), oci::Reference::parse(flags.target));
  render::IstioVersion version =
      flags.istio_version.empty() ? render::newest_istio_version() : render::IstioVersion::parse(flags.istio_version);
  render::IstioFit fit = render::istio_fit(report.image.module_abi, report.image.manifest, version);
  if (flags.output == OutputFormat::json) return print_json(report_json(report, fit));
  print_text(report, fit);
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("REF|FILE", flags->target, "A stored image reference, or a .wasm file")->required();
  app.add_option("--istio-version", flags->istio_version,
                 "Say whether this Istio version loads the module and pulls the image")
      ->default_str(render::newest_istio_version().str());
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.callback([flags] { run(*flags); });
}

const Registration registration{
    {"inspect", "Show an image's digests, config, ABI, and which consumers accept its layout", &setup}};

}  // namespace
}  // namespace wasme::cli
