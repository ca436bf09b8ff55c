#include "wasme/registry/curl_transport.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>

#include "wasme/core/fs.hpp"
#include "wasme/core/unique_fd.hpp"
#include "wasme/registry/request_error.hpp"
#include "wasme/registry/url.hpp"

namespace wasme::registry {
namespace {

constexpr std::size_t error_body_cap = 64u << 10;

// libcurl's handles, owned, so every way out (a throw included) frees them.
struct EasyCleanup {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;
using HeaderList = std::unique_ptr<curl_slist, SlistFree>;

// Appends one header line. libcurl returns the list's head (the new node when the list was
// empty) or nullptr when out of memory, leaving the list as it was.
void append_header(HeaderList& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (!head) throw Error(ErrorKind::network, "building the request headers: out of memory");
  if (!list) list.reset(head);
}

// Per-request state shared with libcurl's C callbacks. Exceptions never cross libcurl:
// a callback stores them here and aborts the transfer; send() rethrows.
struct Exchange {
  const Request* request = nullptr;
  Response* response = nullptr;
  CURL* easy = nullptr;
  UniqueFd fd;  // the request body's file, when it has one
  std::uint64_t sent = 0;
  std::exception_ptr error;
  bool too_large = false;
  int read_errno = 0;
  // When bytes last moved either way (response headers or body, request body): tells a
  // stall (nothing for the whole window) from a transfer under the minimum rate.
  std::chrono::steady_clock::time_point last_data = std::chrono::steady_clock::now();
};

bool is_success(CURL* easy) {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  return status >= 200 && status < 300;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  ex->last_data = std::chrono::steady_clock::now();
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    ex->response->headers = Headers{};  // a new response (after 100 Continue, say)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    ex->response->headers.add(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  ex->last_data = std::chrono::steady_clock::now();
  std::string_view chunk(data, size * count);
  std::string& body = ex->response->body;
  if (!is_success(ex->easy)) {
    if (body.size() < error_body_cap) body.append(chunk.substr(0, error_body_cap - body.size()));
    return chunk.size();
  }
  if (ex->request->sink) {
    try {
      ex->request->sink(chunk);
    } catch (...) {
      ex->error = std::current_exception();
      return 0;
    }
    return chunk.size();
  }
  if (body.size() + chunk.size() > ex->request->max_body) {
    ex->too_large = true;
    return 0;
  }
  body.append(chunk);
  return chunk.size();
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const RequestBody& body = *ex->request->body;
  std::uint64_t left = body.size() - ex->sent;
  size_t want = static_cast<size_t>(std::min<std::uint64_t>(left, size * count));
  if (want == 0) return 0;
  if (!body.file) {
    std::memcpy(buffer, body.bytes.data() + ex->sent, want);
    ex->sent += want;
    ex->last_data = std::chrono::steady_clock::now();
    return want;
  }
  ssize_t n = ::pread(ex->fd.get(), buffer, want, static_cast<off_t>(body.offset + ex->sent));
  if (n <= 0) {
    ex->read_errno = n < 0 ? errno : EIO;
    return CURL_READFUNC_ABORT;
  }
  ex->sent += static_cast<std::uint64_t>(n);
  ex->last_data = std::chrono::steady_clock::now();
  return static_cast<size_t>(n);
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* ex = static_cast<Exchange*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  ex->sent = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal;
  (void)ultotal;
  auto* ex = static_cast<Exchange*>(user);
  if (!ex->request->progress) return 0;
  try {
    ex->request->progress(static_cast<std::uint64_t>(std::max(dlnow, ulnow)));
  } catch (...) {  // e.g. a cancellation: abort the transfer, send() rethrows
    ex->error = std::current_exception();
    return 1;
  }
  return 0;
}

// The environment variable name when it holds a positive integer, else fallback.
long positive_from_env(const char* name, long fallback) {
  if (const char* env = std::getenv(name); env && *env) {
    char* end = nullptr;
    long value = std::strtol(env, &end, 10);
    if (end && *end == '\0' && value > 0) return value;
  }
  return fallback;
}

Failure classify(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return Failure::connect;
    case CURLE_OPERATION_TIMEDOUT: return Failure::connect_timeout;  // refined by fail()
    case CURLE_SSL_CONNECT_ERROR: return Failure::tls_not_spoken;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM: return Failure::tls_verify;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return Failure::reset;
    default: return Failure::other;
  }
}

class CurlTransport : public Transport {
 public:
  CurlTransport(const RemoteOptions& options, Log log)
      : options_(options),
        connect_seconds_(positive_from_env("WASME_CONNECT_TIMEOUT", options.connect_timeout_seconds)),
        stall_seconds_(positive_from_env("WASME_STALL_TIMEOUT", options.stall_timeout_seconds)),
        min_rate_(positive_from_env("WASME_MIN_RATE", std::max(1L, options.min_bytes_per_second))),
        log_(std::move(log)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    easy_.reset(curl_easy_init());
    if (!easy_) throw Error(ErrorKind::network, "initialising libcurl failed");
  }

  Response send(const Request& request) override;

 private:
  // Sets up easy_ for request; the header list returned must outlive the transfer.
  HeaderList configure(const Request& request, Exchange& ex, char* errbuf);
  [[noreturn]] void fail(CURLcode code, const Request& request, const Exchange& ex, const char* errbuf);

  RemoteOptions options_;
  long connect_seconds_;
  long stall_seconds_;
  long min_rate_;  // bytes a second
  Log log_;
  EasyHandle easy_;
};

HeaderList CurlTransport::configure(const Request& request, Exchange& ex, char* errbuf) {
  CURL* e = easy_.get();
  curl_easy_reset(e);  // keeps the connection cache and TLS sessions
  curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "wasme");
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  // Bigger buffers than the 16 KiB default: fewer callbacks and writes per blob.
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L << 10);
  curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 256L << 10);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, connect_seconds_);
  // Aborts when the transfer (libcurl averages its speed over the last few seconds) stays
  // under min_rate_ for stall_seconds_: a hang, and a trickle as well.
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, min_rate_);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, stall_seconds_);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  if (options_.insecure) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (options_.ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file->c_str());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, &ex);
  if (request.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET" || request.body) {
    // Every other method sends a body of known length (possibly empty): Content-Length,
    // never chunked encoding, which some registries mishandle.
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body ? request.body->size() : 0));
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, &ex);
    curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(e, CURLOPT_SEEKDATA, &ex);
  }
  HeaderList list;
  append_header(list, "Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : request.headers.fields()) append_header(list, name + ": " + value);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list.get());
  return list;
}

// The HTTP version the answer came in, for -v.
const char* protocol_name(CURL* easy) {
  long version = 0;
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
  switch (version) {
    case CURL_HTTP_VERSION_1_0: return "HTTP/1.0";
    case CURL_HTTP_VERSION_1_1: return "HTTP/1.1";
    case CURL_HTTP_VERSION_2_0: return "HTTP/2";
    case CURL_HTTP_VERSION_3: return "HTTP/3";
    default: return "HTTP/?";
  }
}

Response CurlTransport::send(const Request& request) {
  Response response;
  Exchange ex;
  ex.request = &request;
  ex.response = &response;
  ex.easy = easy_.get();
  if (request.body && request.body->file) {
    ex.fd.reset(::open(request.body->file->c_str(), O_RDONLY | O_CLOEXEC));
    if (!ex.fd) {
      throw Error(ErrorKind::io, "opening " + request.body->file->string() + ": " + std::strerror(errno));
    }
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  HeaderList headers = configure(request, ex, errbuf);  // read by curl_easy_perform, freed on return
  auto start = std::chrono::steady_clock::now();
  CURLcode code = curl_easy_perform(easy_.get());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::string where = Url::parse(request.url).redacted();
  std::string shown = request.method + " " + where;
  if (code != CURLE_OK) {
    try {
      fail(code, request, ex, errbuf);
    } catch (const Error& e) {
      std::string_view why = e.what();
      if (why.substr(0, where.size() + 2) == where + ": ") why.remove_prefix(where.size() + 2);
      if (log_) log_(shown + " failed " + std::to_string(ms.count()) + "ms: " + std::string(why));
      throw;
    }
  }
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &response.status);
  if (log_) {
    log_(shown + " " + std::to_string(response.status) + " " + std::to_string(ms.count()) + "ms " +
         protocol_name(easy_.get()));
  }
  return response;
}

void CurlTransport::fail(CURLcode code, const Request& request, const Exchange& ex, const char* errbuf) {
  if (ex.error) std::rethrow_exception(ex.error);
  std::string where = Url::parse(request.url).redacted() + ": ";
  if (ex.too_large) {
    throw RequestError(ErrorKind::registry,
                       where + "the answer is larger than the limit of " + format_size(request.max_body), "",
                       Failure::too_large);
  }
  if (ex.read_errno) {
    throw RequestError(ErrorKind::io,
                       where + "reading " + request.body->file->string() + ": " + std::strerror(ex.read_errno), "",
                       Failure::other);
  }
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(code);
  Failure failure = classify(code);
  std::string what = detail;
  std::string hint;
  switch (failure) {
    case Failure::connect: hint = "is the registry running and the address right?"; break;
    case Failure::connect_timeout: {
      // Both timeouts give CURLE_OPERATION_TIMEDOUT; only the low-speed check says "too slow"
      // (connect times cannot tell: a reused connection reports 0).
      if (detail.find("too slow") == std::string::npos) {
        what = "no connection after " + std::to_string(connect_seconds_) + " s";
        hint = "is the registry reachable from here? WASME_CONNECT_TIMEOUT=SECONDS sets the connect timeout";
        break;
      }
      failure = Failure::stall;
      // Nothing moved for (about) the whole window: a stall. Else bytes did come, too slowly.
      auto quiet = std::chrono::steady_clock::now() - ex.last_data;
      if (quiet >= std::chrono::milliseconds(stall_seconds_ * 900)) {
        what = "the transfer stalled: no data for " + std::to_string(stall_seconds_) + " s (stall timeout)";
        hint = "check the network; WASME_STALL_TIMEOUT=SECONDS sets the stall timeout";
      } else {
        what = "the transfer was too slow: under " + format_size(static_cast<std::uint64_t>(min_rate_)) + "/s for " +
               std::to_string(stall_seconds_) + " s (minimum rate)";
        hint =
            "check the network or the registry; WASME_MIN_RATE=BYTES_PER_SECOND sets the minimum "
            "rate, WASME_STALL_TIMEOUT=SECONDS how long a transfer may stay under it";
      }
      break;
    }
    case Failure::tls_not_spoken:
      what = "TLS handshake failed: " + detail;
      hint = "if the registry speaks plain HTTP, pass --plain-http";
      break;
    case Failure::tls_verify:
      what = "TLS certificate verification failed: " + detail;
      hint =
          "pass --ca-file FILE with the registry's CA certificate, or --insecure to skip "
          "verification";
      break;
    case Failure::reset: what = "the connection broke: " + detail; break;
    default: break;
  }
  throw RequestError(ErrorKind::network, where + what, hint, failure);
}

}  // namespace

std::unique_ptr<Transport> make_curl_transport(const RemoteOptions& options, Log log) {
  return std::make_unique<CurlTransport>(options, std::move(log));
}

}  // namespace wasme::registry
