#include "wasme/registry/upload.hpp"

#include "wasme/core/error.hpp"
#include "wasme/registry/request_error.hpp"
#include "wasme/registry/url.hpp"

namespace wasme::registry {
namespace {

Request blob_request(std::string method, std::string url) {
  Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  return request;
}

// Sends one step of an upload (no retry: the whole upload is retried from POST).
Response step(Client& client, const std::string& registry, Request request, const std::string& scope,
              std::initializer_list<long> expected, const std::string& what) {
  Response response = client.send(registry, std::move(request), scope);
  for (long status : expected) {
    if (response.status == status) return response;
  }
  raise_for_status(response, what);
}

// The upload session URL a 202 answer points at.
std::string next_location(const Response& response, const std::string& what) {
  auto location = response.headers.get("Location");
  if (!location || location->empty()) {
    throw RequestError(ErrorKind::registry, what + ": the registry sent no upload Location", "", Failure::other);
  }
  return resolve_location(Url::parse(response.url), *location).str();
}

void report(Client& client, const BlobSource& blob, std::uint64_t done) {
  client.progress(blob.digest.short_hex() + " " + blob.label, done, blob.size);
}

void upload_once(Client& client, const std::string& registry, const std::string& repository, const BlobSource& blob) {
  std::string scope = push_scope(repository);
  Response started = step(client, registry, blob_request("POST", "/v2/" + repository + "/blobs/uploads/"), scope, {202},
                          "starting the upload");
  std::string location = next_location(started, "starting the upload");
  std::uint64_t chunk_size = client.options().chunk_size;
  bool chunked = chunk_size > 0 && blob.size > chunk_size;
  if (chunked) {
    for (const Chunk& chunk : plan_chunks(blob.size, chunk_size)) {
      Request patch = blob_request("PATCH", location);
      patch.headers.add("Content-Type", "application/octet-stream");
      patch.headers.add("Content-Range", content_range(chunk));
      patch.body = RequestBody::from_file(blob.file, chunk.offset, chunk.length);
      patch.progress = [&, offset = chunk.offset](std::uint64_t done) { report(client, blob, offset + done); };
      std::string what = "uploading bytes " + content_range(chunk);
      Response sent = step(client, registry, std::move(patch), scope, {202}, what);
      auto received = parse_range_received(sent.headers.get("Range").value_or(""));
      if (received && *received != chunk.offset + chunk.length) {
        throw RequestError(ErrorKind::registry,
                           what + ": the registry holds " + std::to_string(*received) + " bytes, expected " +
                               std::to_string(chunk.offset + chunk.length),
                           "", Failure::reset);
      }
      location = next_location(sent, what);
    }
  }
  Request put = blob_request("PUT", Url::parse(location).with_param("digest", blob.digest.str()).str());
  put.headers.add("Content-Type", "application/octet-stream");
  if (!chunked) {
    put.body = RequestBody::from_file(blob.file, 0, blob.size);
    put.progress = [&](std::uint64_t done) { report(client, blob, done); };
  }
  step(client, registry, std::move(put), scope, {201, 204}, "finishing the upload");
  report(client, blob, blob.size);
}

}  // namespace

std::vector<Chunk> plan_chunks(std::uint64_t size, std::uint64_t chunk_size) {
  std::vector<Chunk> chunks;
  if (chunk_size == 0) chunk_size = size;
  for (std::uint64_t offset = 0; offset < size; offset += chunk_size) {
    chunks.push_back({offset, std::min(chunk_size, size - offset)});
  }
  return chunks;
}

std::string content_range(const Chunk& chunk) {
  return std::to_string(chunk.offset) + "-" + std::to_string(chunk.offset + chunk.length - 1);
}

std::optional<std::uint64_t> parse_range_received(std::string_view range) {
  if (range.substr(0, 6) == "bytes=") range.remove_prefix(6);
  auto dash = range.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= range.size()) return std::nullopt;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  for (char c : range.substr(0, dash)) {
    if (c < '0' || c > '9') return std::nullopt;
    first = first * 10 + static_cast<std::uint64_t>(c - '0');
  }
  for (char c : range.substr(dash + 1)) {
    if (c < '0' || c > '9' || last > (UINT64_MAX - 9) / 10) return std::nullopt;
    last = last * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (first != 0 || last == UINT64_MAX) return std::nullopt;
  return last + 1;
}

UploadOutcome push_blob(Client& client, const std::string& registry, const std::string& repository,
                        const BlobSource& blob) {
  std::string what = "blob " + blob.digest.str() + " (" + blob.label + ")";
  return with_context(what, [&] {
    Request head = blob_request("HEAD", "/v2/" + repository + "/blobs/" + blob.digest.str());
    Response found = client.call(registry, head, push_scope(repository), {200, 404}, "checking for it");
    if (found.status == 200) {
      client.log("blob " + blob.digest.short_hex() + " (" + blob.label + ") exists; skipped");
      return UploadOutcome::skipped;
    }
    client.retrier().run("uploading " + what, [&] { upload_once(client, registry, repository, blob); });
    return UploadOutcome::uploaded;
  });
}

}  // namespace wasme::registry
