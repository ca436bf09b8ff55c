#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wasme/cache/config.hpp"
#include "wasme/core/error.hpp"
#include "wasme/oci/digest.hpp"

namespace wasme::cache {

// A module file opened for serving. The file stays readable through this descriptor even if
// it is unlinked; while the object lives the daemon's prune leaves the file alone.
class OpenModule {
 public:
  OpenModule(oci::Digest digest, std::uint64_t size, int fd, std::function<void()> on_close);
  ~OpenModule();
  OpenModule(const OpenModule&) = delete;
  OpenModule& operator=(const OpenModule&) = delete;

  const oci::Digest& digest() const { return digest_; }
  std::uint64_t size() const { return size_; }
  // Reads up to n bytes at offset; 0 at the end. Throws Error(io).
  std::size_t read_at(std::uint64_t offset, char* buffer, std::size_t n) const;

 private:
  oci::Digest digest_;
  std::uint64_t size_;
  int fd_;
  std::function<void()> on_close_;
};

// What a ModuleSource throws for a request it will not serve by policy (answered 403).
class Refused : public Error {
 public:
  Refused(const std::string& message, std::string hint) : Error(ErrorKind::not_found, message, std::move(hint)) {}
};

// What the HTTP server asks the daemon. Kept abstract so the server has no idea how pulls,
// locking or prune work, and its routes can be tested on their own.
class ModuleSource {
 public:
  virtual ~ModuleSource() = default;
  // DIR/<hex> opened for reading; nullptr when it is not cached.
  virtual std::shared_ptr<OpenModule> open_module(const oci::Digest& digest) = 0;
  // Whether GET /<hex> may serve this module: it is what a listed ref is cached as (or any
  // module, with --serve-unlisted). Asked before the disk is, so a refusal tells nothing
  // about what the directory holds.
  virtual bool serves_module(const oci::Digest& digest) const = 0;
  // Pulls ref unless cached, then opens its module. Throws Refused for a ref it does not
  // serve, else Error (kind decides the status).
  virtual std::shared_ptr<OpenModule> pull_and_open(const std::string& ref) = 0;
  // Listed refs not cached yet, and how many refs are listed.
  virtual std::vector<std::string> missing(std::size_t* listed_count) const = 0;
  // GET /images: ref -> digest, size, state, last error.
  virtual std::string images_json() const = 0;
};

// The read-only HTTP API of `wasme cache` (cpp-httplib): GET|HEAD /<sha256-hex>,
// GET /<url-encoded ref>, /healthz, /ready, /images; everything else is 404. Connections are
// bounded by `limits`: each request must arrive within a deadline, each client address may
// hold only so many connections, and threads are started per connection up to a maximum
// above that, so slow clients cannot starve the probes.
class HttpServer {
 public:
  explicit HttpServer(ModuleSource& source, HttpLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds address:port (port 0 picks a free one) and serves from a background thread.
  // Throws Error(io) when the port cannot be bound.
  void start(const std::string& address, int port);
  int port() const;
  // Stops accepting and waits for requests in progress. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wasme::cache
