#include "wasme/cache/http_server.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wasme/core/error.hpp"

// Debian's libcpp-httplib is a compiled library; its pkg-config Cflags define
// CPPHTTPLIB_OPENSSL_SUPPORT (and ZLIB, BROTLI), and the header must see the same options or
// the classes' layouts differ from the library's. Refuse to build with a mismatch.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#error "compile with the Cflags of pkg-config cpp-httplib (see CMakeLists.txt)"
#endif
#include <httplib.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <thread>

#include "wasme/cache/module_dir.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::cache {

OpenModule::OpenModule(oci::Digest digest, std::uint64_t size, int fd, std::function<void()> on_close)
    : digest_(std::move(digest)), size_(size), fd_(fd), on_close_(std::move(on_close)) {}

OpenModule::~OpenModule() {
  ::close(fd_);
  if (on_close_) on_close_();
}

std::size_t OpenModule::read_at(std::uint64_t offset, char* buffer, std::size_t n) const {
  while (true) {
    ssize_t got = ::pread(fd_, buffer, n, static_cast<off_t>(offset));
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) {
      throw Error(ErrorKind::io, "reading module " + digest_.str() + ": " + std::strerror(errno));
    }
  }
}

}  // namespace wasme::cache

namespace wasme::cache {
namespace {

constexpr const char* text_plain = "text/plain; charset=utf-8";

// The status a failed GET /<ref> answers with: the client's fault, the registry's, or ours.
int status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::not_found:
    case ErrorKind::invalid_input:
    case ErrorKind::usage: return 404;
    case ErrorKind::auth:
    case ErrorKind::network:
    case ErrorKind::integrity:
    case ErrorKind::registry:
    case ErrorKind::external: return 502;
    case ErrorKind::io: return 503;
  }
  return 500;
}

void serve_module(const httplib::Request& req, httplib::Response& res,
                  std::shared_ptr<OpenModule> module) {
  std::string etag = "\"" + module->digest().str() + "\"";
  res.set_header("ETag", etag);
  res.set_header("Docker-Content-Digest", module->digest().str());
  res.set_header("Cache-Control", "public, max-age=31536000, immutable");  // content-addressed
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  auto size = static_cast<size_t>(module->size());
  res.set_content_provider(
      size, std::string(oci::media_type::wasm_layer),
      [module](size_t offset, size_t length, httplib::DataSink& sink) {
        std::array<char, 64 * 1024> buffer;
        size_t n = module->read_at(offset, buffer.data(), std::min(length, buffer.size()));
        return n > 0 && sink.write(buffer.data(), n);
      },
      [module](bool) {});  // keeps the lease until the response is gone
}

void serve_ready(const ModuleSource& source, httplib::Response& res) {
  size_t listed = 0;
  auto missing = source.missing(&listed);
  if (missing.empty()) {
    res.set_content("ready: " + std::to_string(listed) + " listed refs cached\n", text_plain);
    return;
  }
  std::string body = "not ready: " + std::to_string(missing.size()) + " of " +
                     std::to_string(listed) + " listed refs missing:\n";
  for (const auto& ref : missing) body += "  " + ref + "\n";
  res.status = 503;
  res.set_content(body, text_plain);
}

void serve_ref(ModuleSource& source, const httplib::Request& req, httplib::Response& res,
               const std::string& ref) {
  try {
    serve_module(req, res, source.pull_and_open(ref));
  } catch (const Error& e) {
    res.status = status_for(e.kind());
    res.set_content(std::string(e.what()) + "\n", text_plain);
  }
}

void route(ModuleSource& source, const httplib::Request& req, httplib::Response& res) {
  const std::string& path = req.path;
  if (path == "/healthz") return res.set_content("ok\n", text_plain);
  if (path == "/ready") return serve_ready(source, res);
  if (path == "/images") return res.set_content(source.images_json(), "application/json");
  std::string name = path.substr(1);
  if (is_module_name(name)) {
    if (auto module = source.open_module(oci::Digest::from_hex(name))) {
      return serve_module(req, res, std::move(module));
    }
    res.status = 404;
    return res.set_content("sha256:" + name + " is not cached here\n", text_plain);
  }
  // A ref names a repository, so it holds a '/'; anything else (favicon.ico, typos, bare
  // names) is a 404 rather than a pull from Docker Hub.
  if (name.find('/') != std::string::npos && name.find("..") == std::string::npos) {
    return serve_ref(source, req, res, name);
  }
  res.status = 404;
}

}  // namespace

struct HttpServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> finished{false};
  int port = 0;
};

HttpServer::HttpServer(ModuleSource& source) : impl_(std::make_unique<Impl>()) {
  auto& server = impl_->server;
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(10);
  server.set_write_timeout(10);  // per write: a reader that stops reading must not hold a stop for long
  server.set_payload_max_length(64 * 1024);  // read-only: no request needs a body
  // httplib's default is SO_REUSEPORT, which lets a second cache bind the same port and
  // silently take half the connections. SO_REUSEADDR only allows a quick restart.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Enough threads that the GET /<ref> requests allowed to wait for pulls (8) leave room for
  // readiness probes and module reads.
  server.new_task_queue = [] { return new httplib::ThreadPool(16); };
  ModuleSource* src = &source;
  server.Get(".*", [src](const httplib::Request& req, httplib::Response& res) {
    try {
      route(*src, req, res);
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(std::string(e.what()) + "\n", text_plain);
    }
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty() && res.status == 404) res.set_content("not found\n", text_plain);
  });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start(const std::string& address, int port) {
  auto& server = impl_->server;
  int bound = port == 0 ? server.bind_to_any_port(address) : (server.bind_to_port(address, port) ? port : -1);
  if (bound < 0) {
    throw Error(ErrorKind::io, "listening on " + address + ":" + std::to_string(port) + ": " +
                                   "cannot bind (address in use or not local)",
                "choose another --port, or --port 0 to serve no HTTP");
  }
  impl_->port = bound;
  Impl* impl = impl_.get();
  impl->thread = std::thread([impl] {
    impl->server.listen_after_bind();
    impl->finished = true;
  });
  // stop() only works once the server loop runs; wait for it so an early stop cannot hang.
  while (!server.is_running() && !impl->finished) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace wasme::cache
