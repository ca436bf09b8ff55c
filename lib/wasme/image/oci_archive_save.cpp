// save_archive (oci_archive.hpp): stored images out as an OCI image layout tar.
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include "wasme/core/error.hpp"
#include "wasme/image/libarchive_handle.hpp"
#include "wasme/image/oci_archive.hpp"
#include "wasme/image/summary.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::image {
namespace {

constexpr size_t chunk_size = 1u << 20;
// image-spec image-layout.md: the oci-layout file's content for layout version 1.0.0.
constexpr std::string_view layout_file = R"({"imageLayoutVersion":"1.0.0"})";
// containerd's name annotation (containerd/containerd images/annotations.go AnnotationImageName).
constexpr std::string_view containerd_name = "io.containerd.image.name";

struct WriteContext {
  UserFileWriter* out = nullptr;
  std::exception_ptr error;
};

la_ssize_t write_callback(archive*, void* data, const void* buffer, size_t length) {
  auto* ctx = static_cast<WriteContext*>(data);
  return guard_callback(ctx->error, [&] {
    ctx->out->write(std::string_view(static_cast<const char*>(buffer), length));
    return static_cast<la_ssize_t>(length);
  });
}

class TarWriter {
 public:
  explicit TarWriter(UserFileWriter& out) : a_(archive_write_new()) {
    ctx_.out = &out;
    check(archive_write_set_format_pax_restricted(a_.get()), "choosing the tar format");
    check(archive_write_open(a_.get(), &ctx_, nullptr, write_callback, nullptr), "starting the archive");
  }

  void directory(const std::string& name) { header(name, AE_IFDIR, 0755, 0); }

  void file(const std::string& name, std::string_view content) {
    header(name, AE_IFREG, 0644, content.size());
    data(content);
  }

  // Copies a stored blob, hashing it on the way: a blob changed since it was verified is an
  // error, not a wrong archive.
  void blob(const fs::path& path, const oci::Digest& digest, std::uint64_t size) {
    header("blobs/sha256/" + digest.hex(), AE_IFREG, 0644, size);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::io, "opening " + path.string());
    oci::Sha256 hash;
    std::vector<char> buf(chunk_size);
    std::uint64_t copied = 0;
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      auto n = static_cast<size_t>(in.gcount());
      if (n == 0) break;
      copied += n;
      if (copied > size) break;
      hash.update(std::string_view(buf.data(), n));
      data(std::string_view(buf.data(), n));
    }
    if (copied != size || hash.finish() != digest) {
      throw Error(ErrorKind::integrity, "blob " + digest.str() + " changed in the store while it was being saved",
                  "run the save again");
    }
  }

  void finish() { check(archive_write_close(a_.get()), "finishing the archive"); }

 private:
  void check(int rc, const std::string& what) {
    if (ctx_.error) std::rethrow_exception(ctx_.error);
    check_write(a_.get(), rc, what);
  }

  void header(const std::string& name, unsigned type, unsigned mode, std::uint64_t size) {
    EntryPtr entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), mode);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    check(archive_write_header(a_.get(), entry.get()), "writing the entry " + name);
  }

  void data(std::string_view bytes) {
    la_ssize_t n = archive_write_data(a_.get(), bytes.data(), bytes.size());
    if (ctx_.error) std::rethrow_exception(ctx_.error);
    if (n < 0 || static_cast<size_t>(n) != bytes.size()) {
      throw Error(ErrorKind::io, "writing the archive: " + archive_error(a_.get()));
    }
  }

  WritePtr a_;
  WriteContext ctx_;
};

}  // namespace

SaveResult save_archive(const store::Store& store, const std::vector<oci::Reference>& refs, UserFileWriter& out) {
  return with_context("saving to " + out.name(), [&] {
    SaveResult result;
    oci::Index index;
    index.media_type = std::string(oci::media_type::oci_index);
    std::map<oci::Digest, std::uint64_t> blobs;  // sorted, so the archive's order is fixed
    std::set<std::string> named;
    for (const oci::Reference& ref : refs) {
      if (!named.insert(ref.str()).second) continue;
      store::StoredImage image = store.get(ref);
      verify_image(store, ref);  // every blob, before a byte is written
      oci::Manifest manifest = oci::Manifest::parse(store.read_blob(image.manifest.digest, oci::max_manifest_size));
      blobs[image.manifest.digest] = image.manifest.size;
      blobs[manifest.config.digest] = manifest.config.size;
      for (const oci::Descriptor& layer : manifest.layers) blobs[layer.digest] = layer.size;

      oci::Descriptor entry = image.manifest;
      if (entry.media_type.empty()) entry.media_type = std::string(oci::media_type::oci_manifest);
      entry.annotations.clear();
      entry.annotations[std::string(oci::annotation::ref_name)] = ref.str();
      entry.annotations[std::string(containerd_name)] = ref.str();
      index.manifests.push_back(entry);
      result.images.push_back({ref, image.manifest.digest});
    }

    TarWriter tar(out);
    tar.file("oci-layout", layout_file);
    tar.file("index.json", index.serialize());
    tar.directory("blobs/");
    tar.directory("blobs/sha256/");
    for (const auto& [digest, size] : blobs) {
      tar.blob(store.blob_path(digest), digest, size);
      ++result.blobs;
      result.bytes += size;
    }
    tar.finish();
    return result;
  });
}

}  // namespace wasme::image
