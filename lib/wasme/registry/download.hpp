#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "wasme/core/fs.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/registry/client.hpp"

namespace wasme::registry {

// Where one attempt of a download writes; a retry asks for a fresh one.
using BlobSink = std::function<void(std::string_view bytes)>;
using OpenSink = std::function<BlobSink()>;

// Streams blob `descriptor` of repository into sinks, verifying its size and sha256 as the
// bytes arrive: more bytes than declared stop the transfer at once, and a wrong digest is
// Error(integrity) after the last byte, so the caller never commits unverified data.
// A descriptor larger than max_size is refused before anything is fetched. Broken
// connections are retried, each attempt with open_sink()'s fresh sink. When cancel becomes
// true the download stops with an error.
void download_blob(Client& client, const std::string& registry, const std::string& repository,
                   const oci::Descriptor& descriptor, std::uint64_t max_size, const OpenSink& open_sink,
                   const std::string& label, const std::atomic<bool>* cancel = nullptr);

// download_blob into an AtomicFile for path (a fresh one each attempt): verified, not yet
// committed, so the caller checks the content and then commits it or drops it.
std::unique_ptr<AtomicFile> download_to_file(Client& client, const std::string& registry, const std::string& repository,
                                             const oci::Descriptor& descriptor, std::uint64_t max_size,
                                             const std::filesystem::path& path, const std::string& label,
                                             const std::atomic<bool>* cancel = nullptr);

}  // namespace wasme::registry
