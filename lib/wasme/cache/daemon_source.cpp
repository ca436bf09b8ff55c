// The daemon as the HTTP server's ModuleSource: open, pull on demand, readiness, status.
#include "wasme/cache/daemon.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/oci/reference.hpp"

namespace wasme::cache {
namespace {

// With --serve-unlisted, GET /<ref> lets anyone who reaches the port name a ref, and the
// daemon pulls with its credentials: those must never go to a host it was not told about.
// So an unlisted ref is pulled only from a registry that some listed ref names.
void check_on_demand_registry(const std::string& ref, const std::vector<std::string>& listed) {
  std::string registry = oci::Reference::parse(ref).registry;
  std::string known;
  for (const auto& l : listed) {
    std::string r;
    try {
      r = oci::Reference::parse(l).registry;
    } catch (const Error&) {
      continue;
    }
    if (r == registry) return;
    if (known.find(r) == std::string::npos) known += (known.empty() ? "" : ", ") + r;
  }
  throw Error(ErrorKind::not_found,
              "pulling \"" + ref + "\": on demand, the cache pulls only from the registries of its listed refs (" +
                  (known.empty() ? "none listed" : known) + ")",
              "list the ref in the ref file");
}

}  // namespace

std::shared_ptr<OpenModule> Daemon::open_module(const oci::Digest& digest) {
  std::lock_guard lock(mutex_);  // prune removes files under this lock
  auto path = dir_.module_path(digest);
  // O_NOFOLLOW: only files the daemon wrote are served, never what a symlink planted in DIR names.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return nullptr;
  }
  std::string hex = digest.hex();
  ++serving_[hex];
  return std::make_shared<OpenModule>(digest, static_cast<std::uint64_t>(st.st_size), fd, [this, hex] {
    std::lock_guard release(mutex_);
    if (--serving_[hex] == 0) serving_.erase(hex);
  });
}

bool Daemon::serves_module(const oci::Digest& digest) const {
  if (config_.serve_unlisted) return true;
  std::lock_guard lock(mutex_);
  return catalog_.is_listed_module(digest);
}

std::shared_ptr<OpenModule> Daemon::pull_and_open(const std::string& requested) {
  std::unique_lock lock(mutex_);
  auto stopping = [&] { return Error(ErrorKind::io, "the cache is shutting down"); };
  if (stopping_) throw stopping();
  // Whoever reaches the port gets only what the node was told to cache: an unlisted ref
  // would be pulled with the daemon's credentials from any repository they can read.
  std::string ref = requested;
  if (auto listed = catalog_.listed_as(requested)) {
    ref = *listed;
  } else if (!config_.serve_unlisted) {
    (void)oci::Reference::parse(requested);  // not a ref at all: a 404 (invalid_input), as ever
    throw Refused("\"" + requested + "\" is not listed: this cache serves only the refs in its ref file " +
                      "and on its command line (and their modules by digest)",
                  "list the ref, or start the cache with --serve-unlisted to pull unlisted refs on demand");
  }
  if (const RefStatus* s = catalog_.find(ref); s && s->state == RefState::cached) {
    oci::Digest digest = s->digest;
    lock.unlock();
    if (auto module = open_module(digest)) return module;
    lock.lock();
    catalog_.module_lost(digest);
  }
  if (const RefStatus* s = catalog_.find(ref); !s || !s->listed) check_on_demand_registry(ref, catalog_.listed());
  if (!catalog_.request(ref, config_.max_requested_refs)) {
    throw Error(ErrorKind::io, "pulling \"" + ref + "\": too many refs were requested over HTTP",
                "list the refs in the ref file instead");
  }
  if (waiting_requests_ >= config_.max_waiting_requests) {
    throw Error(ErrorKind::io, "pulling \"" + ref + "\": " + std::to_string(waiting_requests_) +
                                   " requests already wait for pulls; try again later");
  }
  std::uint64_t before = catalog_.find(ref)->attempts;
  wake_.notify_all();
  const RefStatus* s = nullptr;
  ++waiting_requests_;
  bool done = wait_until(clock_, wake_, lock, clock_.now() + config_.request_timeout, [&] {
    s = catalog_.find(ref);
    return stopping_ || !s || s->state == RefState::cached || s->attempts > before;
  });
  --waiting_requests_;
  if (stopping_) throw stopping();
  if (!done) {
    throw Error(ErrorKind::network,
                "pulling \"" + ref + "\": still not done after " + format_duration(config_.request_timeout));
  }
  if (!s) throw Error(ErrorKind::not_found, "pulling \"" + ref + "\": the ref was dropped");
  if (s->state != RefState::cached) throw Error(s->last_error_kind, s->last_error);
  oci::Digest digest = s->digest;
  lock.unlock();
  if (auto module = open_module(digest)) return module;
  throw Error(ErrorKind::io, "pulling \"" + ref + "\": " + digest.hex() + " vanished after the pull");
}

std::vector<std::string> Daemon::missing(std::size_t* listed_count) const {
  std::lock_guard lock(mutex_);
  if (listed_count) *listed_count = catalog_.listed().size();
  return catalog_.missing();
}

std::vector<RefStatus> Daemon::statuses() const {
  std::lock_guard lock(mutex_);
  return catalog_.snapshot();
}

std::string Daemon::images_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& s : statuses()) {
    nlohmann::json entry = {
        {"state", to_string(s.state)},
        {"listed", s.listed},
        {"digest", s.digest.empty() ? nlohmann::json() : nlohmann::json(s.digest.str())},
        {"size", s.digest.empty() ? nlohmann::json() : nlohmann::json(s.size)},
        {"file", s.digest.empty() ? nlohmann::json() : nlohmann::json(dir_.module_path(s.digest).string())},
        {"last_error", s.last_error.empty() ? nlohmann::json() : nlohmann::json(s.last_error)},
        {"failures", s.failures},
    };
    out[s.ref] = std::move(entry);
  }
  // Errors quote registries and files, which need not be UTF-8: replace, never throw.
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace wasme::cache
