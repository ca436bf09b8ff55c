// wasme save REF... -o FILE.tar: stored images into an OCI image layout archive (air-gapped
// clusters: carry the file, `wasme load` or `skopeo copy oci-archive:…` on the other side).
#include <unistd.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "wasme/core/error.hpp"
#include "wasme/image/oci_archive.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::vector<std::string> references;
  std::string out;
  StoreOption store;
};

void run(const Flags& flags) {
  std::vector<oci::Reference> refs;
  for (const std::string& text : flags.references) refs.push_back(oci::Reference::parse(text));
  if (flags.out == "-" && ::isatty(STDOUT_FILENO)) {
    throw Error(ErrorKind::usage, "refusing to write an archive to a terminal",
                "redirect it (wasme save REF -o - > images.tar) or give a file with -o");
  }
  store::Store store = flags.store.open();
  std::unique_ptr<UserFileWriter> out = flags.out == "-" ? std::make_unique<UserFileWriter>(STDOUT_FILENO, "stdout")
                                                         : std::make_unique<UserFileWriter>(flags.out);
  image::SaveResult result = image::save_archive(store, refs, *out);
  out->commit();
  // With the archive on stdout, the summary goes to stderr.
  std::ostream& summary = flags.out == "-" ? std::cerr : std::cout;
  for (const auto& image : result.images) summary << "saved " << image.reference.str() << "\n";
  summary << "wrote " << (flags.out == "-" ? "stdout" : flags.out) << ": " << result.images.size() << " image"
          << (result.images.size() == 1 ? "" : "s") << ", " << result.blobs << " blobs, " << format_size(result.bytes)
          << "\n";
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("REF", flags->references, "Stored images to save")->required();
  // -o as `docker save -o`: here it names the archive, not an output format.
  app.add_option("-o,--output", flags->out, "The archive to write (- for stdout)")->required();
  add_store_option(app, flags->store);
  app.callback([flags] { run(*flags); });
}

const Registration registration{
    {"save", "Save stored images to an OCI image layout archive (skopeo's oci-archive)", &setup}};

}  // namespace
}  // namespace wasme::cli
