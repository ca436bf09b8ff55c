// wasme push REF [FILE]: push a stored image (or package FILE first) to its registry.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/summary.hpp"
#include "wasme/registry/push.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string reference;
  std::string file;
  registry::PushFormat format = registry::PushFormat::wasme;
  std::uint64_t chunk_size = 0;
  StoreOption store;
  RegistryFlags registry;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& flags, const GlobalOptions& globals) {
  registry::PushRequest request;
  request.reference = oci::Reference::parse(flags.reference);
  if (!flags.file.empty()) request.wasm_file = flags.file;
  request.format = flags.format;
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
    warn("the module is " + std::to_string(size) + " bytes, over the " + std::to_string(limit >> 20) +
         " MiB (" + std::to_string(limit) + " bytes) Istio's agent, wasme pull and the cache accept: they will refuse it");
  }
  registry::PushResult result = registry::push(store, request, options, make_observer(globals));
  for (const auto& w : result.warnings) warn(w);
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
  std::map<std::string, registry::PushFormat> formats{{"wasme", registry::PushFormat::wasme},
                                                      {"compat", registry::PushFormat::compat}};
  app.add_option("--format", flags->format,
                 "wasme: the stored artifact; compat: a tar+gzip image with plugin.wasm (Istio, docker)")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->transform(one_of({"wasme", "compat"}))
      ->default_str("wasme");
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
