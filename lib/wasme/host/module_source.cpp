#include "wasme/host/module_source.hpp"

#include <filesystem>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/summary.hpp"
#include "wasme/oci/digest.hpp"
#include "wasme/oci/reference.hpp"

namespace wasme::host {
namespace {
constexpr std::uint64_t kMaxModule = 256u << 20;  // Istio's pull limit: nothing larger runs in a mesh
}

LoadedModule load_module(const std::string& module, const store::Store& store) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(module, ec)) {
    return {read_file(module, kMaxModule), "", "file " + module};
  }
  if (std::filesystem::exists(module, ec) || (module.size() > 5 && module.substr(module.size() - 5) == ".wasm")) {
    throw Error(ErrorKind::not_found, module + ": not a readable .wasm file",
                "give a .wasm file or a stored image reference (wasme list)");
  }
  oci::Reference reference = oci::Reference::parse(module);
  image::ImageSummary image = image::summarize(store, reference);
  TempDir scratch("wasme-run-");
  std::string bytes = read_file(image::module_file(store, reference, scratch.path()), kMaxModule);
  if (oci::sha256_of(bytes) != image.wasm_digest) {
    throw Error(ErrorKind::integrity,
                reference.str() + ": the stored module is corrupt (its sha256 is not " + image.wasm_digest.str() + ")",
                "run `wasme pull " + reference.str() + "` to fetch it again");
  }
  std::string root_id = image.config.root_ids.empty() ? "" : image.config.root_ids.front();
  return {std::move(bytes), root_id, reference.str()};
}

}  // namespace wasme::host
