// wasme push REF [FILE]: push a stored image (or package FILE first) to its registry.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/summary.hpp"
#include "wasme/oci/consumers.hpp"
#include "wasme/registry/push.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string reference;
  std::string file;
  std::string format;
  std::string target;
  std::uint64_t chunk_size = 0;
  StoreOption store;
  RegistryFlags registry;
  OutputFormat output = OutputFormat::text;
};

// `--for T`: the layout just pushed against T's consumers (oci/consumers.hpp).
void warn_unless_consumed(const registry::PushResult& result, const std::string& target) {
  auto reasons =
      oci::rejected_by_all(result.manifest, oci::checked_facts(result.format), oci::consumers_of_target(target));
  if (!reasons) return;
  warn("no " + target + " consumer accepts the " + std::string(oci::to_string(result.format)) +
       " layout just pushed (" + *reasons + "); push it with --format " +
       (target == "spin" ? "cncf" : "wasme or --format compat"));
}

void run(const Flags& flags, const GlobalOptions& globals) {
  registry::PushRequest request;
  request.reference = oci::Reference::parse(flags.reference);
  if (!flags.file.empty()) request.wasm_file = flags.file;
  if (!flags.format.empty()) request.format = oci::format_from_string(flags.format);
  registry::RemoteOptions options = flags.registry.resolve();
  if (flags.chunk_size > 0) options.chunk_size = flags.chunk_size;
  store::Store store = flags.store.open();
  // A stored image goes up as its blobs are: each is checked against its digest first, so a
  // damaged one is reported with its fix (`wasme pull`) rather than by the registry, or not
  // at all when the registry already has that blob. (REF FILE packages FILE, which repairs.)
  if (!request.wasm_file && store.find(request.reference)) image::verify_image(store, request.reference);
  // Pushing would succeed; pulling it will not: say so before the upload, not at deploy time.
  const std::uint64_t limit = registry::RemoteOptions{}.max_module_size;
  std::uint64_t size = 0;
  std::error_code ec;
  if (request.wasm_file) size = std::filesystem::file_size(*request.wasm_file, ec);
  else if (store.find(request.reference)) size = image::summarize(store, request.reference).wasm_size;
  if (size > limit) {
    warn("the module is " + std::to_string(size) + " bytes, over the " + std::to_string(limit >> 20) + " MiB (" +
         std::to_string(limit) + " bytes) Istio's agent, wasme pull and the cache accept: they will refuse it");
  }
  registry::PushResult result = registry::push(store, request, options, make_observer(globals));
  for (const auto& w : result.warnings) warn(w);
  if (!flags.target.empty()) warn_unless_consumed(result, flags.target);
  if (flags.output == OutputFormat::json) {
    return print_json({{"reference", result.reference.str()},
                       {"manifestDigest", result.manifest_digest.str()},
                       {"wasmDigest", result.wasm_digest.str()},
                       {"mediaType", result.manifest_media_type},
                       {"blobsUploaded", result.blobs_uploaded},
                       {"blobsSkipped", result.blobs_skipped}});
  }
  std::cout << "pushed " << result.reference.str() << "\n"
            << "manifest digest: " << result.manifest_digest.str() << "\n"
            << "wasm sha256:     " << result.wasm_digest.hex() << "\n";
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto flags = std::make_shared<Flags>();
  app.add_option("REF", flags->reference, "Image reference (e.g. localhost:5000/me/filter:v1)")->required();
  app.add_option("FILE", flags->file, "A .wasm module to package as REF first (as `build precompiled`)");
  add_format_option(app, flags->format,
                    "The layout pushed (default: as stored): wasme (Istio, Envoy Gateway), compat (a "
                    "tar+gzip layer with plugin.wasm: Istio, Envoy Gateway, image volumes) or cncf "
                    "(the CNCF wasm layout: Spin, wkg)");
  app.add_option("--for", flags->target,
                 "Warn when no consumer of this target accepts the pushed layout: istio, envoy-gateway, spin")
      ->transform(one_of({"istio", "envoy-gateway", "spin"}));
  app.add_option("--chunk-size", flags->chunk_size,
                 "Upload blobs above this size in chunks of this size (e.g. 8MiB; default 64MiB)")
      ->transform(CLI::AsSizeValue(false));
  add_store_option(app, flags->store);
  add_registry_flags(app, flags->registry);
  add_output_option(app, flags->output);
  app.callback([flags, &globals] { run(*flags, globals); });
}

const Registration registration{{"push", "Push an image to a registry (REF FILE packages FILE first)", &setup}};

}  // namespace
}  // namespace wasme::cli
