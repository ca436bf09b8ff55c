#include "wasme/cache/http_connections.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace wasme::cache {
namespace {

using std::chrono::milliseconds;
// Deadlines of real sockets: poll() waits in real time, so these read the real clock (the
// cache's decisions use the injected wasme::Clock; this is the socket seam itself).
using SocketClock = std::chrono::steady_clock;

// "192.0.2.1" or "2001:db8::1", and the port; "" when there is no such address.
std::string address_of(const sockaddr_storage& addr, int* port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    if (port) *port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    if (port) *port = ntohs(in6->sin6_port);
  }
  return text;
}

std::string peer_of(socket_t sock, int* port = nullptr) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  return address_of(addr, port);
}

std::string local_of(socket_t sock, int* port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  return address_of(addr, port);
}

// A task queue that starts a thread whenever a connection waits and none is idle, up to
// max_threads (then connections wait their turn, in order), keeps a few, and lets the others
// end after a minute without work. httplib's ThreadPool has a fixed size.
class ElasticPool final : public httplib::TaskQueue {
 public:
  explicit ElasticPool(std::size_t max_threads) : max_threads_(std::max<std::size_t>(1, max_threads)) {}
  ~ElasticPool() override { shutdown(); }
  ElasticPool(const ElasticPool&) = delete;
  ElasticPool& operator=(const ElasticPool&) = delete;

  void enqueue(std::function<void()> fn) override {
    std::vector<std::thread> ended;
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(fn));
      ended.swap(ended_);
      if (idle_ < jobs_.size() && threads_.size() < max_threads_ && !shutdown_) {
        // The new thread takes the lock before anything else, so it is in threads_ first.
        try {
          std::thread t([this] { work(); });
          auto id = t.get_id();
          threads_.emplace(id, std::move(t));
        } catch (const std::system_error&) {
          // Out of threads: the job waits for a running one (or the next enqueue tries again).
        }
      }
    }
    cond_.notify_one();
    for (auto& t : ended) t.join();
  }

  // Runs what is queued, then joins every thread. Idempotent.
  void shutdown() override {
    std::vector<std::thread> all;
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
      for (auto& entry : threads_) all.push_back(std::move(entry.second));
      threads_.clear();
      for (auto& t : ended_) all.push_back(std::move(t));
      ended_.clear();
    }
    cond_.notify_all();
    for (auto& t : all) {
      if (t.joinable()) t.join();
    }
    // Every thread has gone; anything still queued (there should be nothing) runs here, so
    // no accepted socket is left open.
    std::deque<std::function<void()>> left;
    {
      std::lock_guard lock(mutex_);
      left.swap(jobs_);
    }
    for (auto& job : left) job();
  }

 private:
  static constexpr std::size_t kept_threads = 4;
  static constexpr milliseconds linger{60000};

  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      bool woken = cond_.wait_for(lock, linger, [&] { return !jobs_.empty() || shutdown_; });
      --idle_;
      if (!jobs_.empty()) {
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();  // process_and_close_socket: never throws
        lock.lock();
        continue;
      }
      if (shutdown_ || (!woken && threads_.size() > kept_threads)) break;
    }
    // Leave the std::thread for enqueue or shutdown to join (a thread cannot join itself).
    // After shutdown took it, it is no longer in threads_.
    if (auto self = threads_.find(std::this_thread::get_id()); self != threads_.end()) {
      ended_.push_back(std::move(self->second));
      threads_.erase(self);
    }
  }

  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable cond_;
  std::deque<std::function<void()>> jobs_;
  std::map<std::thread::id, std::thread> threads_;  // running
  std::vector<std::thread> ended_;                  // returned from work(), to be joined
  std::size_t idle_ = 0;
  bool shutdown_ = false;
};

// One connection as httplib's Stream, with a deadline and a byte budget per request on the
// read side. Reads poll in slices of 100 ms so that a server stop ends them at once; writes
// wait up to write_timeout each and are left to finish on a stop (a response under way).
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(socket_t sock, const std::atomic<socket_t>& listener, const HttpLimits& limits)
      : sock_(sock), listener_(listener), limits_(limits) {}

  // Waits up to idle_timeout for the next request's first byte (or the end of the
  // connection, which the read then finds). False when none came or the server stops.
  bool wait_for_request() {
    if (begin_ < end_) return true;
    return wait(POLLIN, SocketClock::now() + limits_.idle_timeout, true) > 0;
  }
  // The next request starts now: its deadline and budget.
  void start_request() {
    deadline_ = SocketClock::now() + limits_.request_deadline;
    read_ = 0;
    written_ = 0;
    expired_ = false;
    over_budget_ = false;
  }
  bool expired() const { return expired_; }
  bool over_budget() const { return over_budget_; }
  std::size_t written() const { return written_; }

  bool is_readable() const override {
    if (begin_ < end_) return true;
    int ready = wait(POLLIN, deadline_, true);
    if (ready == 0) expired_ = true;
    return ready > 0;
  }
  bool is_writable() const override { return wait(POLLOUT, SocketClock::now() + limits_.write_timeout, false) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (read_ >= limits_.max_request_bytes) {
      over_budget_ = true;
      return -1;
    }
    if (begin_ == end_) {
      if (!is_readable()) return -1;
      ssize_t got = 0;
      do {
        got = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
      } while (got < 0 && errno == EINTR);
      if (got <= 0) return got;
      begin_ = 0;
      end_ = static_cast<size_t>(got);
    }
    size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, buffer_.data() + begin_, n);
    begin_ += n;
    read_ += n;
    return static_cast<ssize_t>(n);
  }

  using httplib::Stream::write;
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t sent = 0;
    do {
      sent = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent > 0) written_ += static_cast<size_t>(sent);
    return sent;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = peer_of(sock_, &port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = local_of(sock_, &port); }
  socket_t socket() const override { return sock_; }

 private:
  // Polls for events until `until`. 1: ready (or hung up: the next call finds out), 0: the
  // time is up, -1: an error, or the server stopped and stop_aborts.
  int wait(short events, SocketClock::time_point until, bool stop_aborts) const {
    for (;;) {
      if (stop_aborts && listener_ == INVALID_SOCKET) return -1;
      auto now = SocketClock::now();
      if (now >= until) return 0;
      auto left = std::chrono::duration_cast<milliseconds>(until - now).count() + 1;
      pollfd pfd{};
      pfd.fd = sock_;
      pfd.events = events;
      int ready = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 100)));
      if (ready > 0) return 1;
      if (ready < 0 && errno != EINTR) return -1;
    }
  }

  socket_t sock_;
  const std::atomic<socket_t>& listener_;  // httplib's listening socket; INVALID once stopped
  const HttpLimits& limits_;
  std::array<char, 4096> buffer_{};
  size_t begin_ = 0;
  size_t end_ = 0;
  SocketClock::time_point deadline_ = SocketClock::time_point::max();
  std::size_t read_ = 0;
  std::size_t written_ = 0;
  mutable bool expired_ = false;
  bool over_budget_ = false;
};

// A whole small response, for requests httplib never got to answer.
void answer(ConnectionStream& stream, int status, const char* reason, const std::string& body) {
  std::string text = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                     "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n\r\n" + body;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = stream.write(text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

GuardedServer::GuardedServer(HttpLimits limits) : limits_(limits) {
  std::size_t threads = static_cast<std::size_t>(std::max(1, limits_.max_threads));
  new_task_queue = [threads] { return new ElasticPool(threads); };
  // httplib sets these on each accepted socket (SO_RCVTIMEO, SO_SNDTIMEO). Reads here only
  // follow a poll, so the receive timeout is a backstop; a send blocks at most this long.
  set_read_timeout(1, 0);
  // Not used by our loop, but advertised in Keep-Alive: timeout=, max= (clients that honour
  // it do not reuse a connection we are about to close).
  set_keep_alive_timeout(std::max<time_t>(1, static_cast<time_t>(limits_.idle_timeout.count() / 1000)));
  set_keep_alive_max_count(static_cast<size_t>(std::max(1, limits_.max_requests_per_connection)));
  set_write_timeout(static_cast<time_t>(limits_.write_timeout.count() / 1000),
                    static_cast<time_t>((limits_.write_timeout.count() % 1000) * 1000));
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  // Runs on a pool thread, which must never see an exception (httplib's would terminate).
  bool ok = false;
  try {
    std::string client = peer_of(sock);
    if (admit(client)) {
      try {
        ok = serve_connection(sock);
      } catch (...) {
        ok = false;
      }
      release(client);
      ::shutdown(sock, SHUT_RDWR);
    } else {
      refuse(sock, client);
      ::shutdown(sock, SHUT_WR);  // after the 503: a FIN, so the client reads it
    }
  } catch (...) {
    ok = false;
  }
  ::close(sock);
  return ok;
}

bool GuardedServer::serve_connection(socket_t sock) {
  ConnectionStream stream(sock, svr_sock_, limits_);
  bool ok = false;
  for (int left = std::max(1, limits_.max_requests_per_connection); left > 0; --left) {
    if (!stream.wait_for_request()) break;
    stream.start_request();
    bool closed = false;
    ok = process_request(stream, left == 1, closed, nullptr);
    if (stream.written() == 0) {
      // httplib gave up on the request line without answering: say why.
      if (stream.expired()) {
        answer(stream, 408, "Request Timeout",
               "the request did not arrive within " + format_duration(limits_.request_deadline) + "\n");
      } else if (stream.over_budget()) {
        answer(stream, 431, "Request Header Fields Too Large",
               "the request is larger than " + std::to_string(limits_.max_request_bytes) + " bytes\n");
      }
    }
    if (!ok || closed || stream.expired() || stream.over_budget()) break;
  }
  return ok;
}

bool GuardedServer::admit(const std::string& client) {
  std::lock_guard lock(clients_mutex_);
  int& count = clients_[client];
  if (limits_.max_connections_per_client > 0 && count >= limits_.max_connections_per_client) return false;
  ++count;
  return true;
}

void GuardedServer::release(const std::string& client) {
  std::lock_guard lock(clients_mutex_);
  auto it = clients_.find(client);
  if (it != clients_.end() && --it->second <= 0) clients_.erase(it);
}

// 503 without reading the request: the thread is free again at once. What the client sent
// so far is drained first, so the close sends a FIN (and the client reads the answer), not
// a reset.
void GuardedServer::refuse(socket_t sock, const std::string& client) const {
  std::string body = "too many connections from " + (client.empty() ? std::string("this client") : client) +
                     ": at most " + std::to_string(limits_.max_connections_per_client) + " at once; try again later\n";
  std::string text =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body;
  (void)::send(sock, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  std::array<char, 4096> scratch{};
  for (int i = 0; i < 16 && ::recv(sock, scratch.data(), scratch.size(), MSG_DONTWAIT) > 0; ++i) {
  }
}

}  // namespace wasme::cache
