#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/oci/digest.hpp"
#include "wasme/registry/client.hpp"

namespace wasme::registry {

// One PATCH of a chunked upload.
struct Chunk {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};
// Splits size bytes into chunks of at most chunk_size (the last may be shorter).
std::vector<Chunk> plan_chunks(std::uint64_t size, std::uint64_t chunk_size);
// The Content-Range value of a chunk: "<first>-<last>", both inclusive.
std::string content_range(const Chunk& chunk);
// The number of bytes a registry says it holds from its Range header ("0-1023" -> 1024,
// also "bytes=0-1023"); nullopt when malformed.
std::optional<std::uint64_t> parse_range_received(std::string_view range);

// A blob to push, read from a file.
struct BlobSource {
  std::filesystem::path file;
  oci::Digest digest;
  std::uint64_t size = 0;
  std::string label;  // for progress: "filter.wasm", "config"
};

enum class UploadOutcome { skipped, uploaded };

// Pushes a blob unless the registry has it (HEAD first). Up to chunk_size bytes go in one
// PUT after the POST; larger blobs in PATCH chunks with Content-Range, then a PUT with the
// digest. A failed upload is retried from a fresh POST, never by replaying a half-sent PATCH.
UploadOutcome push_blob(Client& client, const std::string& registry, const std::string& repository,
                        const BlobSource& blob);

}  // namespace wasme::registry
