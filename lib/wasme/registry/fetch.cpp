#include "wasme/registry/fetch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/image/validate.hpp"
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

// The config blob, in memory: at most image::max_config_size (checked before the download).
std::string download_config(Client& client, const oci::Reference& ref, const oci::Descriptor& config,
                            const std::atomic<bool>* cancel) {
  image::check_config_size(config);
  std::string bytes;
  download_blob(client, ref.registry, ref.repository, config, image::max_config_size,
                [&]() -> BlobSink {
                  bytes.clear();  // a retry starts over
                  return [&](std::string_view chunk) { bytes.append(chunk); };
                },
                "config", cancel);
  return bytes;
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

// Downloads a compat layer, extracts plugin.wasm, validates the image as pull does, and
// moves plugin.wasm to dest_dir/<its sha256>.
FetchedFile fetch_compat(Client& client, const oci::Reference& ref, const ResolvedManifest& resolved,
                         const std::string& config_bytes, const fs::path& dest_dir,
                         const std::atomic<bool>* cancel) {
  const oci::Descriptor& layer = resolved.layout.module_layer;
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
  // The checks pull and build make; nothing lands under a module name before they pass.
  image::validate_artifact({resolved.layout, resolved.manifest.config, config_bytes, extracted,
                            "plugin.wasm in the compat layer " + layer.digest.str()});
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
    // The config is small (at most 1 MiB, refused before download otherwise) and checked as
    // `build precompiled` and `pull` check it, though the cache serves only the module.
    std::string config_bytes = download_config(client, ref, resolved.manifest.config, cancel);
    if (resolved.layout.format == oci::ArtifactFormat::compat) {
      return fetch_compat(client, ref, resolved, config_bytes, dest_dir, cancel);
    }
    fs::path final_path = dest_dir / layer.digest.hex();
    auto file = download_to(client, ref, layer, final_path, "module", cancel);
    // Digest verified by download_blob; the content checked here, before the rename.
    image::validate_artifact({resolved.layout, resolved.manifest.config, config_bytes, file->temp_path(),
                              "the module layer " + layer.digest.str()});
    file->commit(Durability::fsync);
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
