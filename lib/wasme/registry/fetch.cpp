#include "wasme/registry/fetch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/registry/download.hpp"
#include "wasme/registry/manifest_fetch.hpp"

namespace wasme::registry {
namespace {

// Streams descriptor into an AtomicFile for final_path; the caller commits or drops it.
std::unique_ptr<AtomicFile> download_to(Client& client, const oci::Reference& ref,
                                        const oci::Descriptor& d, const fs::path& final_path,
                                        const std::string& label, const std::atomic<bool>* cancel) {
  std::unique_ptr<AtomicFile> file;
  download_blob(client, ref.registry, ref.repository, d, client.options().max_module_size,
                [&]() -> BlobSink {
                  file = std::make_unique<AtomicFile>(final_path);
                  return [&](std::string_view bytes) { file->write(bytes); };
                },
                label, cancel);
  return file;
}

void fsync_path(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    int saved = errno;
    if (fd >= 0) ::close(fd);
    throw Error(ErrorKind::io, "syncing " + path.string() + ": " + std::strerror(saved));
  }
  ::close(fd);
}

// Downloads a compat layer, extracts plugin.wasm, and moves it to dest_dir/<its sha256>.
FetchedFile fetch_compat(Client& client, const oci::Reference& ref, const oci::Descriptor& layer,
                         const fs::path& dest_dir, const std::atomic<bool>* cancel) {
  // Never committed: the layer only lives as layer_file's temp file, whose name is unique, so
  // fetches of the same layer into one directory at the same time never share a file.
  auto layer_file = download_to(client, ref, layer, dest_dir / ("compat-layer-" + layer.digest.short_hex()),
                                "compat layer", cancel);
  // The extracted module is named after that temp file, so it is unique too, and it starts
  // with temp_file_prefix, so the cache's start-up sweep removes it if we are killed.
  fs::path extracted = layer_file->temp_path().string() + ".wasm";
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ec;
      fs::remove(path, ec);
    }
  } cleanup{extracted};
  with_context("checking the compat layer", [&] {
    image::extract_plugin_wasm(layer_file->temp_path(), extracted, client.options().max_module_size);
  });
  oci::FileDigest digest = oci::sha256_of_file(extracted);
  fsync_path(extracted);
  fs::path final_path = dest_dir / digest.digest.hex();
  if (::rename(extracted.c_str(), final_path.c_str()) != 0) {
    throw Error(ErrorKind::io, "renaming " + extracted.string() + " to " + final_path.string() + ": " +
                                   std::strerror(errno));
  }
  fsync_path(dest_dir);
  return {digest.digest, digest.size, final_path};
}

}  // namespace

FetchedFile fetch_module(Client& client, const oci::Reference& ref, const fs::path& dest_dir,
                         const std::atomic<bool>* cancel) {
  return with_context("fetching the module of \"" + ref.str() + "\"", [&] {
    if (cancel && cancel->load()) throw Error(ErrorKind::network, "cancelled");
    ResolvedManifest resolved = resolve_manifest(client, ref);
    const oci::Descriptor& layer = resolved.layout.module_layer;
    if (resolved.layout.format == oci::ArtifactFormat::compat) {
      return fetch_compat(client, ref, layer, dest_dir, cancel);
    }
    fs::path final_path = dest_dir / layer.digest.hex();
    auto file = download_to(client, ref, layer, final_path, "module", cancel);
    file->commit(Durability::fsync);  // verified by download_blob
    return FetchedFile{layer.digest, layer.size, final_path};
  });
}

FetchedFile fetch_module(const oci::Reference& reference, const fs::path& dest_dir,
                         const RemoteOptions& options, const Observer& observer,
                         const std::atomic<bool>* cancel) {
  Client client(options, observer);
  client.set_cancel(cancel);
  return fetch_module(client, reference, dest_dir, cancel);
}

}  // namespace wasme::registry
