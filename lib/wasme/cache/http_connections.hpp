// Internal to the cache's HTTP server: cpp-httplib's Server with bounded connections.
#pragma once

// Debian's libcpp-httplib is a compiled library; its pkg-config Cflags define
// CPPHTTPLIB_OPENSSL_SUPPORT (and ZLIB, BROTLI), and the header must see the same options or
// the classes' layouts differ from the library's. Refuse to build with a mismatch.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#error "compile with the Cflags of pkg-config cpp-httplib (see CMakeLists.txt)"
#endif
#include <httplib.h>

#include <map>
#include <mutex>
#include <string>

#include "wasme/cache/config.hpp"

namespace wasme::cache {

// httplib 0.11 bounds each recv (its read timeout) but not a request as a whole, and serves
// connections from a fixed pool: N clients sending a header byte every few seconds hold N
// threads for as long as they like, and the probes queue behind them. httplib calls
// process_and_close_socket (virtual) once per accepted socket, on a thread of the task queue
// that new_task_queue makes; this server replaces both:
//  - its connection loop gives each request a deadline from its first byte (line, headers
//    and body must all arrive within HttpLimits::request_deadline) and a byte budget, answers
//    a request that misses it 408 (httplib answers 400 when its headers were cut short) and
//    closes the connection; an idle connection is closed after idle_timeout, and reads stop
//    at once when the server stops. Parsing, routing and answers stay httplib's
//    (process_request, protected, through our Stream);
//  - a client address holds at most max_connections_per_client connections at once; the
//    next is answered 503 without being read, which takes its thread for microseconds;
//  - the task queue starts a thread per connection waiting for one, up to max_threads (more
//    than one client may hold), and lets idle threads go after a minute.
// So a slow client holds a thread for at most idle_timeout + request_deadline per request,
// one address holds at most max_connections_per_client threads, and /healthz and /ready from
// anyone else (or from the same address, below its cap) get a thread at once.
class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(HttpLimits limits);

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool serve_connection(socket_t sock);
  bool admit(const std::string& client);
  void release(const std::string& client);
  void refuse(socket_t sock, const std::string& client) const;

  HttpLimits limits_;
  std::mutex clients_mutex_;
  std::map<std::string, int> clients_;  // client address -> connections open
};

}  // namespace wasme::cache
