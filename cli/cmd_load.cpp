// wasme load -i FILE.tar: images from an OCI image layout archive (wasme save, skopeo's
// oci-archive, docker save) into the local store, all verified before any is added.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "wasme/core/error.hpp"
#include "wasme/image/oci_archive.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string input;
  std::string name;
  std::uint64_t max_size = 0;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

// Closes what it opened (not stdin).
struct InputFile {
  int fd = -1;
  bool owned = false;
  ~InputFile() {
    if (owned) ::close(fd);
  }
};

void run(const Flags& flags) {
  image::LoadRequest request;
  if (!flags.name.empty()) request.name = flags.name;
  if (flags.max_size > 0) request.max_blob_size = flags.max_size;
  InputFile input;
  if (flags.input == "-") {
    if (::isatty(STDIN_FILENO)) {
      throw Error(ErrorKind::usage, "-i - reads the archive from stdin, which is a terminal",
                  "pipe it in (wasme load -i - < images.tar) or give a file");
    }
    input.fd = STDIN_FILENO;
  } else {
    input.fd = ::open(flags.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (input.fd < 0) {
      throw Error(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                  "opening " + flags.input + ": " + std::strerror(errno));
    }
    input.owned = true;
  }
  store::Store store = flags.store.open();
  auto loaded = image::load_archive(store, input.fd, flags.input == "-" ? "stdin" : flags.input, request);
  if (flags.output == OutputFormat::json) {
    nlohmann::json images = nlohmann::json::array();
    for (const auto& image : loaded) {
      images.push_back({{"reference", image.reference.str()},
                        {"manifestDigest", image.manifest_digest.str()},
                        {"format", oci::to_string(image.format)}});
    }
    return print_json({{"images", images}});
  }
  for (const auto& image : loaded) {
    std::cout << "loaded " << image.reference.str() << " (" << oci::to_string(image.format) << ", "
              << image.manifest_digest.str() << ")\n";
  }
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("-i,--input", flags->input, "The archive to read (- for stdin)")->required();
  app.add_option("--name", flags->name,
                 "Store the archive's only image as REF, or each image as REPO:<its tag> "
                 "(for archives that name images by tag only)");
  app.add_option("--max-size", flags->max_size, "Largest blob to accept (default 256MiB)")
      ->transform(CLI::AsSizeValue(false));
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.callback([flags] { run(*flags); });
}

const Registration registration{{"load", "Load images from an OCI image layout archive into the local store", &setup}};

}  // namespace
}  // namespace wasme::cli
