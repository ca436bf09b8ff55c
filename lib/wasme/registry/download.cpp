#include "wasme/registry/download.hpp"

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/oci/digest.hpp"

namespace wasme::registry {
namespace {

void check_cancel(const std::atomic<bool>* cancel) {
  if (cancel && cancel->load()) throw Error(ErrorKind::network, "cancelled");
}

void attempt(Client& client, const std::string& registry, const std::string& repository,
             const oci::Descriptor& descriptor, const BlobSink& sink, const std::string& label,
             const std::atomic<bool>* cancel) {
  oci::Sha256 hash;
  std::uint64_t expected = descriptor.size;
  Request request;
  request.url = "/v2/" + repository + "/blobs/" + descriptor.digest.str();
  request.sink = [&](std::string_view bytes) {
    check_cancel(cancel);
    if (bytes.size() > expected - hash.bytes_seen()) {
      throw Error(ErrorKind::integrity,
                  "the registry sent more than the " + std::to_string(expected) + " bytes the manifest declares");
    }
    hash.update(bytes);
    sink(bytes);
  };
  std::string what = descriptor.digest.short_hex() + " " + label;
  request.progress = [&](std::uint64_t done) {
    check_cancel(cancel);
    client.progress(what, done, expected);
  };
  Response response = client.send(registry, request, pull_scope(repository));
  if (response.status != 200) raise_for_status(response, "fetching it");
  if (hash.bytes_seen() != expected) {
    throw Error(ErrorKind::integrity, "the registry sent " + std::to_string(hash.bytes_seen()) +
                                          " bytes, the manifest declares " + std::to_string(expected));
  }
  oci::Digest actual = hash.finish();
  if (actual != descriptor.digest) {
    throw Error(ErrorKind::integrity, "the bytes the registry sent have digest " + actual.str(),
                "the registry or something between us changed the content; nothing was stored");
  }
  client.progress(what, expected, expected);
}

}  // namespace

void download_blob(Client& client, const std::string& registry, const std::string& repository,
                   const oci::Descriptor& descriptor, std::uint64_t max_size, const OpenSink& open_sink,
                   const std::string& label, const std::atomic<bool>* cancel) {
  std::string what = "blob " + descriptor.digest.str() + " (" + label + ")";
  with_context(what, [&] {
    if (descriptor.size > max_size) {
      throw Error(ErrorKind::invalid_input,
                  "it is " + format_size(descriptor.size) + ", larger than the limit of " + format_size(max_size),
                  "pass --max-size to accept larger modules");
    }
    client.retrier().run("fetching " + what, [&] {
      check_cancel(cancel);
      BlobSink sink = open_sink();
      attempt(client, registry, repository, descriptor, sink, label, cancel);
    });
  });
}

std::unique_ptr<AtomicFile> download_to_file(Client& client, const std::string& registry, const std::string& repository,
                                             const oci::Descriptor& descriptor, std::uint64_t max_size,
                                             const std::filesystem::path& path, const std::string& label,
                                             const std::atomic<bool>* cancel) {
  std::unique_ptr<AtomicFile> file;
  download_blob(
      client, registry, repository, descriptor, max_size,
      [&]() -> BlobSink {
        file = std::make_unique<AtomicFile>(path);
        return [&](std::string_view bytes) { file->write(bytes); };
      },
      label, cancel);
  return file;
}

}  // namespace wasme::registry
