#include "wasme/registry/copy.hpp"

#include <set>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/convert.hpp"
#include "wasme/image/validate.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/registry/download.hpp"
#include "wasme/registry/manifest_fetch.hpp"
#include "wasme/registry/upload.hpp"

namespace wasme::registry {
namespace {

bool is_index(const std::string& media_type) {
  return media_type == oci::media_type::oci_index || media_type == oci::media_type::docker_manifest_list;
}

// One side of the copy: its client and reference.
struct Side {
  Client& client;
  const oci::Reference& ref;
};

// Downloads d from the source into dir (verified), returning the file.
fs::path download_to(const Side& from, const oci::Descriptor& d, const fs::path& dir, std::uint64_t max_size,
                     const std::string& label) {
  auto file =
      download_to_file(from.client, from.ref.registry, from.ref.repository, d, max_size, dir / d.digest.hex(), label);
  file->commit(Durability::no_fsync);  // scratch
  return file->final_path();
}

// POST …/blobs/uploads/?mount=&from= (distribution spec "Mounting a blob from another
// repository"): 201 means mounted; anything else (202 opens an upload instead) means no.
bool try_mount(const Side& to, const Side& from, const oci::Descriptor& d) {
  Request request;
  request.method = "POST";
  request.url = "/v2/" + to.ref.repository + "/blobs/uploads/?mount=" + d.digest.str() + "&from=" + from.ref.repository;
  try {
    Response response = to.client.send(to.ref.registry, std::move(request), push_scope(to.ref.repository));
    return response.status == 201;
  } catch (const Error&) {
    return false;  // the plain upload that follows reports what is wrong
  }
}

class BlobCopier {
 public:
  BlobCopier(const Side& from, const Side& to, CopyResult& result) : from_(from), to_(to), result_(result) {}

  void copy(const oci::Descriptor& d, const std::string& label) {
    if (!done_.insert(d.digest).second) return;
    with_context("blob " + d.digest.str() + " (" + label + ")", [&] {
      Request head;
      head.method = "HEAD";
      head.url = "/v2/" + to_.ref.repository + "/blobs/" + d.digest.str();
      Response found =
          to_.client.call(to_.ref.registry, head, push_scope(to_.ref.repository), {200, 404}, "checking for it");
      if (found.status == 200) {
        ++result_.blobs_skipped;
        return;
      }
      bool same_registry = from_.ref.registry == to_.ref.registry && from_.ref.repository != to_.ref.repository;
      if (same_registry && try_mount(to_, from_, d)) {
        to_.client.log("blob " + d.digest.short_hex() + " (" + label + ") mounted from " + from_.ref.repository);
        ++result_.blobs_mounted;
        return;
      }
      TempDir scratch("wasme-copy-");
      fs::path file = download_to(from_, d, scratch.path(), from_.client.options().max_module_size, label);
      push_blob(to_.client, to_.ref.registry, to_.ref.repository, {file, d.digest, d.size, label});
      ++result_.blobs_copied;
    });
  }

  // Every blob a manifest names.
  void copy_manifest_blobs(const oci::Manifest& manifest) {
    copy(manifest.config, "config");
    for (const oci::Descriptor& layer : manifest.layers) copy(layer, "layer");
  }

 private:
  const Side& from_;
  const Side& to_;
  CopyResult& result_;
  std::set<oci::Digest> done_;
};

// The destination's tag, or the digest when it names none.
std::string target_of(const oci::Reference& ref, const oci::Digest& digest) {
  if (ref.digest && *ref.digest != digest) {
    throw Error(ErrorKind::invalid_input,
                "the destination names digest " + ref.digest->str() + " but the manifest's digest is " + digest.str(),
                "a converted image has a new digest: give the destination a tag");
  }
  return ref.tag ? *ref.tag : digest.str();
}

// The image as it is: blobs, child manifests (by digest), then the top manifest's very bytes.
void copy_as_is(const Side& from, const Side& to, const RawManifest& top, CopyResult& result) {
  BlobCopier blobs(from, to, result);
  if (is_index(top.media_type)) {
    oci::Index index = oci::Index::parse(top.bytes);
    for (const oci::Descriptor& child : index.manifests) {
      RawManifest raw = fetch_manifest(from.client, from.ref, child.digest.str(), child.digest);
      if (is_index(raw.media_type)) throw Error(ErrorKind::invalid_input, "an index inside an index is not copied");
      blobs.copy_manifest_blobs(oci::Manifest::parse(raw.bytes));
      put_manifest(to.client, to.ref, child.digest.str(), raw.media_type, raw.bytes);
    }
  } else {
    blobs.copy_manifest_blobs(oci::Manifest::parse(top.bytes));
  }
  std::string media_type = top.media_type.empty() ? std::string(oci::media_type::oci_manifest) : top.media_type;
  put_manifest(to.client, to.ref, target_of(to.ref, top.digest), media_type, top.bytes);
  result.manifest_digest = top.digest;
  result.media_type = media_type;
}

// The module and config downloaded, checked as pull checks them, packaged as format.
void copy_converted(const Side& from, const Side& to, const ResolvedManifest& resolved, oci::ArtifactFormat format,
                    CopyResult& result) {
  const oci::ArtifactLayout& layout = resolved.layout;
  const oci::Descriptor& config = resolved.manifest.config;
  image::check_config_size(config);
  TempDir scratch("wasme-copy-");
  std::uint64_t max_module = from.client.options().max_module_size;
  fs::path config_file = download_to(from, config, scratch.path(), image::max_config_size, "config");
  fs::path layer = layout.module_layer.digest == config.digest
                       ? config_file
                       : download_to(from, layout.module_layer, scratch.path(), max_module, "module");
  image::ModuleFile module = image::module_in_layer(layout, layer, scratch.path(), max_module);
  std::string config_bytes = read_file(config_file, image::max_config_size);
  image::ValidArtifact valid = image::validate_artifact({layout, config, config_bytes, module.path, module.label});

  image::BuiltArtifact built = image::build_artifact(format, module.path, valid.config, scratch.path() / "out");
  for (const image::ArtifactBlob& blob : built.blobs) {
    UploadOutcome outcome =
        push_blob(to.client, to.ref.registry, to.ref.repository, {blob.file, blob.digest, blob.size, blob.label});
    (outcome == UploadOutcome::uploaded ? result.blobs_copied : result.blobs_skipped)++;
  }
  result.manifest_digest = oci::sha256_of(built.manifest_bytes);
  result.media_type = std::string(oci::media_type::oci_manifest);
  put_manifest(to.client, to.ref, target_of(to.ref, result.manifest_digest), result.media_type, built.manifest_bytes);
}

}  // namespace

CopyResult copy(Client& source, Client& destination, const CopyRequest& request) {
  return with_context("copying \"" + request.source.str() + "\" to \"" + request.destination.str() + "\"", [&] {
    Side from{source, request.source};
    Side to{destination, request.destination};
    CopyResult result;
    // The manifest the source reference names, verified (its digest, or the registry's
    // Docker-Content-Digest), and the image it resolves to, which must hold a wasm module.
    RawManifest top = fetch_manifest(source, request.source, request.source.manifest_ref(), request.source.digest);
    ResolvedManifest resolved = resolve_manifest(source, request.source.with_digest(top.digest));
    result.source_digest = top.digest;
    result.source_format = resolved.layout.format;
    result.format = request.format.value_or(resolved.layout.format);
    if (result.format == resolved.layout.format) {
      copy_as_is(from, to, top, result);
    } else {
      result.converted = true;
      copy_converted(from, to, resolved, result.format, result);
    }
    return result;
  });
}

}  // namespace wasme::registry
