// wasme copy SRC DST: registry to registry without the local store, optionally converting the
// layout (--format). Each side has its own credentials and TLS settings.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "wasme/core/error.hpp"
#include "wasme/registry/copy.hpp"

namespace wasme::cli {
namespace {

// The flags of one side: --src-… or --dest-….
struct SideFlags {
  std::string creds;  // USER:PASSWORD
  bool plain_http = false;
  bool insecure = false;
  std::string ca_file;
};

struct Flags {
  std::string source;
  std::string destination;
  std::string format;
  SideFlags src;
  SideFlags dest;
  RegistryFlags shared;  // --plain-http, --insecure, --ca-file, -c: both sides
  OutputFormat output = OutputFormat::text;
};

registry::RemoteOptions side_options(const registry::RemoteOptions& shared, const SideFlags& side, const char* flag) {
  registry::RemoteOptions out = shared;
  out.plain_http = out.plain_http || side.plain_http;
  out.insecure = out.insecure || side.insecure;
  if (!side.ca_file.empty()) out.ca_file = side.ca_file;
  if (!side.creds.empty()) {
    auto colon = side.creds.find(':');
    if (colon == std::string::npos || colon == 0) {
      throw Error(ErrorKind::usage, std::string(flag) + " takes USER:PASSWORD",
                  "or log in to the registry first (wasme login) and leave " + std::string(flag) + " out");
    }
    warn(std::string(flag) +
         " puts a password on the command line, visible to other users of this machine; "
         "`wasme login` keeps it in a 0600 file instead");
    out.username = side.creds.substr(0, colon);
    out.password = side.creds.substr(colon + 1);
  }
  return out;
}

void run(const Flags& flags, const GlobalOptions& globals) {
  registry::CopyRequest request;
  request.source = oci::Reference::parse(flags.source);
  request.destination = oci::Reference::parse(flags.destination);
  if (!flags.format.empty()) request.format = oci::format_from_string(flags.format);
  registry::RemoteOptions shared = flags.shared.resolve();
  registry::Client source(side_options(shared, flags.src, "--src-creds"), make_observer(globals));
  registry::Client destination(side_options(shared, flags.dest, "--dest-creds"), make_observer(globals));
  registry::CopyResult result = registry::copy(source, destination, request);
  if (flags.output == OutputFormat::json) {
    return print_json({{"source", request.source.str()},
                       {"destination", request.destination.str()},
                       {"sourceDigest", result.source_digest.str()},
                       {"sourceFormat", oci::to_string(result.source_format)},
                       {"manifestDigest", result.manifest_digest.str()},
                       {"format", oci::to_string(result.format)},
                       {"mediaType", result.media_type},
                       {"converted", result.converted},
                       {"blobsCopied", result.blobs_copied},
                       {"blobsMounted", result.blobs_mounted},
                       {"blobsSkipped", result.blobs_skipped}});
  }
  std::cout << "copied " << request.source.str() << " to " << request.destination.str() << " ("
            << oci::to_string(result.source_format)
            << (result.converted ? std::string(" -> ") + oci::to_string(result.format) : std::string()) << ")\n"
            << "manifest digest: " << result.manifest_digest.str() << "\n"
            << "blobs:           " << result.blobs_copied << " copied, " << result.blobs_mounted << " mounted, "
            << result.blobs_skipped << " already there\n";
}

void add_side_flags(CLI::App& app, SideFlags& side, const std::string& prefix, const std::string& which) {
  app.add_option("--" + prefix + "-creds", side.creds, "USER:PASSWORD for the " + which + " registry");
  app.add_flag("--" + prefix + "-plain-http", side.plain_http, "Talk HTTP, not HTTPS, to the " + which + " registry");
  app.add_flag("--" + prefix + "-insecure", side.insecure, "Skip TLS certificate verification for the " + which);
  app.add_option("--" + prefix + "-ca-file", side.ca_file, "Trust this CA bundle (PEM) for the " + which + " registry");
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto flags = std::make_shared<Flags>();
  app.add_option("SRC", flags->source, "The image to copy, by tag or digest")->required();
  app.add_option("DST", flags->destination, "Where to put it (a tag)")->required();
  add_format_option(app, flags->format,
                    "Convert to this layout: wasme, compat or cncf (default: keep it, digest and all)");
  add_side_flags(app, flags->src, "src", "source");
  add_side_flags(app, flags->dest, "dest", "destination");
  // Both sides; credentials are per side, so -u/-p are not offered.
  app.add_flag("--plain-http", flags->shared.options.plain_http, "Talk HTTP, not HTTPS, to both registries");
  app.add_flag("--insecure", flags->shared.options.insecure, "Skip TLS certificate verification for both");
  app.add_option("--ca-file", flags->shared.ca_file, "Trust this CA bundle (PEM) for both registries");
  app.add_option("-c,--credentials", flags->shared.credential_files,
                 "Docker-config-format credentials file (repeatable; tried before the defaults)")
      ->allow_extra_args(false);
  add_output_option(app, flags->output);
  app.callback([flags, &globals] { run(*flags, globals); });
}

const Registration registration{
    {"copy", "Copy an image between registries, keeping its digest or converting its layout", &setup}};

}  // namespace
}  // namespace wasme::cli
