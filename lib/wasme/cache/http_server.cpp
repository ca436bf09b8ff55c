#include "wasme/cache/http_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "wasme/cache/http_connections.hpp"  // httplib, with the library's Cflags checked
#include "wasme/core/error.hpp"
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

void serve_module(const httplib::Request& req, httplib::Response& res, std::shared_ptr<OpenModule> module) {
  std::string etag = "\"" + module->digest().str() + "\"";
  res.set_header("ETag", etag);
  res.set_header("Docker-Content-Digest", module->digest().str());
  res.set_header("Cache-Control", "public, max-age=31536000, immutable");  // content-addressed
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  auto size = static_cast<size_t>(module->size());
  // A range that starts past the end is unsatisfiable (RFC 9110 15.5.17): say so at once.
  for (const auto& [first, last] : req.ranges) {
    const bool suffix = first < 0;
    if ((!suffix && static_cast<size_t>(first) >= size) || (suffix && last <= 0) ||
        (!suffix && last >= 0 && last < first)) {
      res.status = 416;
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      return;
    }
  }
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
  std::string body =
      "not ready: " + std::to_string(missing.size()) + " of " + std::to_string(listed) + " listed refs missing:\n";
  for (const auto& ref : missing) body += "  " + ref + "\n";
  res.status = 503;
  res.set_content(body, text_plain);
}

std::string with_hint(const Error& e) {
  std::string text = std::string(e.what()) + "\n";
  if (!e.hint().empty()) text += e.hint() + "\n";
  return text;
}

void serve_ref(ModuleSource& source, const httplib::Request& req, httplib::Response& res, const std::string& ref) {
  try {
    serve_module(req, res, source.pull_and_open(ref));
  } catch (const Refused& e) {
    res.status = 403;
    res.set_content(with_hint(e), text_plain);
  } catch (const Error& e) {
    res.status = status_for(e.kind());
    res.set_content(with_hint(e), text_plain);
  }
}

void route(ModuleSource& source, const httplib::Request& req, httplib::Response& res) {
  const std::string& path = req.path;
  if (path == "/healthz") return res.set_content("ok\n", text_plain);
  if (path == "/ready") return serve_ready(source, res);
  if (path == "/images") return res.set_content(source.images_json(), "application/json");
  std::string name = path.substr(1);
  if (is_module_name(name)) {
    auto digest = oci::Digest::from_hex(name);
    if (!source.serves_module(digest)) {
      // The same answer whether or not the file is on disk: nothing to learn about DIR.
      res.status = 404;
      return res.set_content("sha256:" + name +
                                 " is not the module of a listed ref; this cache serves only "
                                 "its listed refs (--serve-unlisted serves every module it holds)\n",
                             text_plain);
    }
    if (auto module = source.open_module(digest)) {
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
  explicit Impl(HttpLimits limits) : server(limits) {}
  GuardedServer server;  // request deadlines, per-client caps, a thread per connection
  std::thread thread;
  std::atomic<bool> finished{false};
  int port = 0;
};

HttpServer::HttpServer(ModuleSource& source, HttpLimits limits) : impl_(std::make_unique<Impl>(limits)) {
  auto& server = impl_->server;
  server.set_payload_max_length(64 * 1024);  // read-only: no request needs a body
  // httplib's default is SO_REUSEPORT, which lets a second cache bind the same port and
  // silently take half the connections. SO_REUSEADDR only allows a quick restart.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    // Best effort, and httplib gives this callback no way to fail: without SO_REUSEADDR only
    // a restart within TIME_WAIT fails to bind, and bind's own error then names the port.
    (void)::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  ModuleSource* src = &source;
  server.Get(".*", [src](const httplib::Request& req, httplib::Response& res) {
    try {
      route(*src, req, res);
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(std::string(e.what()) + "\n", text_plain);
    }
  });
  // Read-only: other methods get 405 before any body is read (a ContentReader handler runs
  // first, so a POST that never sends its body cannot hold the thread).
  auto refuse = [](const httplib::Request&, httplib::Response& res, const httplib::ContentReader&) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_header("Connection", "close");
    res.set_content("method not allowed: the cache is read-only\n", text_plain);
  };
  server.Post(".*", refuse);
  server.Put(".*", refuse);
  server.Patch(".*", refuse);
  server.Delete(".*", refuse);
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty() && res.status == 404) res.set_content("not found\n", text_plain);
  });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start(const std::string& address, int port) {
  auto& server = impl_->server;
  int bound = port == 0 ? server.bind_to_any_port(address) : (server.bind_to_port(address, port) ? port : -1);
  if (bound < 0) {
    throw Error(
        ErrorKind::io,
        "listening on " + address + ":" + std::to_string(port) + ": " + "cannot bind (address in use or not local)",
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
