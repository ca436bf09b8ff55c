#include "wasme/image/compat_tar.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <exception>
#include <fstream>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/libarchive_handle.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::image {
namespace {

constexpr size_t chunk_size = 1u << 20;

// The gzip stage: a libarchive writer in "raw" format (no headers, the bytes of its single
// entry as they are) with the gzip filter, fed the tar stream. Its output is hashed on the way
// to the layer file. Two libarchive writers give us the tar's own digest (the diff_id) and the
// compressed blob's digest in one streaming pass.
struct GzipStage {
  AtomicFile& out;
  oci::Sha256 sha;
  std::exception_ptr error;

  static la_ssize_t write(archive*, void* self, const void* buf, size_t n) {
    auto* s = static_cast<GzipStage*>(self);
    return guard_callback(s->error, [&] {
      std::string_view bytes(static_cast<const char*>(buf), n);
      s->sha.update(bytes);
      s->out.write(bytes);
      return static_cast<la_ssize_t>(n);
    });
  }
};

// The tar stage: its output is hashed (diff_id) and handed to the gzip stage.
struct TarStage {
  archive* gzip;
  oci::Sha256 sha;
  std::exception_ptr error;

  static la_ssize_t write(archive*, void* self, const void* buf, size_t n) {
    auto* s = static_cast<TarStage*>(self);
    return guard_callback(s->error, [&] {
      s->sha.update(std::string_view(static_cast<const char*>(buf), n));
      la_ssize_t written = archive_write_data(s->gzip, buf, n);
      if (written < 0) throw Error(ErrorKind::io, "compressing: " + archive_error(s->gzip));
      return written;
    });
  }
};

// A regular file entry with everything that varies between machines fixed: mtime 0, uid and
// gid 0, no user or group names, mode 0644.
EntryPtr fixed_entry(const char* name, std::uint64_t size) {
  EntryPtr entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), name);
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
  archive_entry_set_mtime(entry.get(), 0, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  return entry;
}

void write_data(archive* tar, std::string_view bytes, const std::exception_ptr& stage_error) {
  if (archive_write_data(tar, bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size())) {
    if (stage_error) std::rethrow_exception(stage_error);
    throw Error(ErrorKind::io, "writing the tar stream: " + archive_error(tar));
  }
}

// Streams the module into the tar in fixed-size chunks; the file must not change meanwhile.
void add_module(archive* tar, const fs::path& wasm_file, const TarStage& stage) {
  std::ifstream in(wasm_file, std::ios::binary);
  if (!in) throw Error(ErrorKind::not_found, "module file " + wasm_file.string() + " cannot be read");
  std::uint64_t size = fs::file_size(wasm_file);
  EntryPtr entry = fixed_entry("plugin.wasm", size);
  check_write(tar, archive_write_header(tar, entry.get()), "writing the plugin.wasm header");
  std::vector<char> buf(chunk_size);
  std::uint64_t copied = 0;
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    copied += static_cast<std::uint64_t>(in.gcount());
    if (copied > size) break;
    write_data(tar, std::string_view(buf.data(), static_cast<size_t>(in.gcount())), stage.error);
  }
  if (copied != size) {
    throw Error(ErrorKind::io, "module file " + wasm_file.string() + " changed size while being packed",
                "package a file that nothing else is writing");
  }
}

void add_small_file(archive* tar, const char* name, std::string_view bytes, const TarStage& stage) {
  EntryPtr entry = fixed_entry(name, bytes.size());
  check_write(tar, archive_write_header(tar, entry.get()), std::string("writing the ") + name + " header");
  write_data(tar, bytes, stage.error);
}

struct LayerDigests {
  oci::FileDigest blob;  // the tar+gzip as stored and pushed
  oci::Digest diff_id;   // the uncompressed tar, for the image config's rootfs
};

LayerDigests write_layer(const fs::path& wasm_file, const oci::RuntimeConfig& config, const fs::path& layer_path) {
  AtomicFile out(layer_path);
  GzipStage gzip_stage{out, {}, {}};
  WritePtr gzip(archive_write_new());
  archive_write_set_format_raw(gzip.get());
  archive_write_add_filter_gzip(gzip.get());
  // No timestamp in the gzip header; no padding after the gzip stream (readers such as Go's
  // multi-member gzip reader choke on trailing zeros).
  check_write(gzip.get(), archive_write_set_options(gzip.get(), "gzip:!timestamp"), "configuring gzip");
  archive_write_set_bytes_in_last_block(gzip.get(), 1);
  check_write(gzip.get(), archive_write_open(gzip.get(), &gzip_stage, nullptr, &GzipStage::write, nullptr),
              "starting the gzip stream");
  EntryPtr raw = fixed_entry("layer.tar", 0);
  archive_entry_unset_size(raw.get());
  check_write(gzip.get(), archive_write_header(gzip.get(), raw.get()), "starting the gzip stream");

  TarStage tar_stage{gzip.get(), {}, {}};
  WritePtr tar(archive_write_new());
  archive_write_set_format_ustar(tar.get());
  archive_write_set_bytes_in_last_block(tar.get(), 1);
  check_write(tar.get(), archive_write_open(tar.get(), &tar_stage, nullptr, &TarStage::write, nullptr),
              "starting the tar stream");
  add_module(tar.get(), wasm_file, tar_stage);
  add_small_file(tar.get(), "runtime-config.json", config.serialize(), tar_stage);
  int rc = archive_write_close(tar.get());
  if (tar_stage.error) std::rethrow_exception(tar_stage.error);
  check_write(tar.get(), rc, "finishing the tar stream");
  rc = archive_write_close(gzip.get());
  if (gzip_stage.error) std::rethrow_exception(gzip_stage.error);
  check_write(gzip.get(), rc, "finishing the gzip stream");
  out.commit();

  LayerDigests digests;
  digests.blob.size = gzip_stage.sha.bytes_seen();
  digests.blob.digest = gzip_stage.sha.finish();
  digests.diff_id = tar_stage.sha.finish();
  return digests;
}

// A minimal OCI image config (architecture/os as Go names wasm: wasm/wasip1). Keys sorted,
// compact: deterministic bytes.
std::string image_config(const oci::Digest& diff_id) {
  nlohmann::json doc = {
      {"architecture", "wasm"}, {"os", "wasip1"}, {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id.str()}}}}};
  return doc.dump();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

CompatImage make_compat_image(const fs::path& wasm_file, const oci::RuntimeConfig& config, const fs::path& work_dir) {
  return with_context("building the compat image of " + wasm_file.string(), [&] {
    fs::create_directories(work_dir);
    CompatImage image;
    image.layer_file = work_dir / "compat-layer.tar.gz";
    image.config_file = work_dir / "compat-config.json";
    LayerDigests layer = write_layer(wasm_file, config, image.layer_file);
    std::string config_bytes = image_config(layer.diff_id);
    write_file_atomic(image.config_file, config_bytes);

    oci::Manifest& m = image.manifest;
    m.media_type = oci::media_type::oci_manifest;
    m.config = {std::string(oci::media_type::oci_image_config), oci::sha256_of(config_bytes), config_bytes.size(), {}};
    m.layers = {{std::string(oci::media_type::oci_layer_tar_gzip), layer.blob.digest, layer.blob.size, {}}};
    m.annotations[std::string(oci::annotation::variant)] = "compat";
    // The same runtime annotations as the wasme format, so tools can show them without
    // opening the layer.
    m.annotations[std::string(oci::annotation::abi_version)] = join(config.abi_versions);
    m.annotations[std::string(oci::annotation::runtime_type)] = config.type;
    image.manifest_bytes = m.serialize();
    return image;
  });
}

}  // namespace wasme::image
