#include "wasme/registry/fetch.hpp"

#include <fstream>
#include <memory>
#include <string>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/image/validate.hpp"
#include "wasme/registry/download.hpp"
#include "wasme/registry/manifest_fetch.hpp"

namespace wasme::registry {
namespace {

// Streams descriptor into an AtomicFile for final_path; the caller commits or drops it.
std::unique_ptr<AtomicFile> download_to(Client& client, const oci::Reference& ref, const oci::Descriptor& d,
                                        const fs::path& final_path, const std::string& label,
                                        const std::atomic<bool>* cancel) {
  return download_to_file(client, ref.registry, ref.repository, d, client.options().max_module_size, final_path, label,
                          cancel);
}

// The config blob, in memory: at most image::max_config_size (checked before the download).
std::string download_config(Client& client, const oci::Reference& ref, const oci::Descriptor& config,
                            const std::atomic<bool>* cancel) {
  image::check_config_size(config);
  std::string bytes;
  download_blob(
      client, ref.registry, ref.repository, config, image::max_config_size,
      [&]() -> BlobSink {
        bytes.clear();  // a retry starts over
        return [&](std::string_view chunk) { bytes.append(chunk); };
      },
      "config", cancel);
  return bytes;
}

void check_cancel(const std::atomic<bool>* cancel) {
  if (cancel && cancel->load()) throw Error(ErrorKind::network, "cancelled");
}

// Copies a checked module to dest_dir/<its sha256> through an AtomicFile (a temp file named
// with temp_file_prefix, fsynced, then renamed), as every other file lands. Its name is known
// only once it is hashed, so it is copied rather than written there in the first place; the
// copy is hashed too, and renamed only when it is the bytes that were checked.
FetchedFile copy_to_digest_name(const fs::path& module, const fs::path& dest_dir, const std::atomic<bool>* cancel) {
  const oci::FileDigest digest = oci::sha256_of_file(module);
  const fs::path final_path = dest_dir / digest.digest.hex();
  std::ifstream in(module, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, "reading " + module.string() + ": cannot open the file");
  AtomicFile out(final_path);
  oci::Sha256 copied;
  std::string buffer(1u << 20, '\0');
  while (in) {
    check_cancel(cancel);
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::string_view chunk(buffer.data(), static_cast<std::size_t>(in.gcount()));
    copied.update(chunk);
    out.write(chunk);
  }
  if (in.bad()) throw Error(ErrorKind::io, "reading " + module.string());
  if (copied.finish() != digest.digest) {
    throw Error(ErrorKind::integrity, module.string() + " changed while it was copied");
  }
  out.commit(Durability::fsync);
  return {digest.digest, digest.size, final_path};
}

// Downloads a compat layer, extracts plugin.wasm, validates the image as pull does, and
// copies plugin.wasm to dest_dir/<its sha256>.
FetchedFile fetch_compat(Client& client, const oci::Reference& ref, const ResolvedManifest& resolved,
                         const std::string& config_bytes, const fs::path& dest_dir, const std::atomic<bool>* cancel) {
  const oci::Descriptor& layer = resolved.layout.module_layer;
  // Never committed: the layer only lives as layer_file's temp file, whose name is unique, so
  // fetches of the same layer into one directory at the same time never share a file.
  auto layer_file =
      download_to(client, ref, layer, dest_dir / ("compat-layer-" + layer.digest.short_hex()), "compat layer", cancel);
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
  return copy_to_digest_name(extracted, dest_dir, cancel);
}

}  // namespace

FetchedFile fetch_module(Client& client, const oci::Reference& ref, const fs::path& dest_dir,
                         const std::atomic<bool>* cancel) {
  return with_context("fetching the module of \"" + ref.str() + "\"", [&] {
    check_cancel(cancel);
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

FetchedFile fetch_module(const oci::Reference& reference, const fs::path& dest_dir, const RemoteOptions& options,
                         const Observer& observer, const std::atomic<bool>* cancel) {
  Client client(options, observer);
  client.set_cancel(cancel);
  return fetch_module(client, reference, dest_dir, cancel);
}

}  // namespace wasme::registry
