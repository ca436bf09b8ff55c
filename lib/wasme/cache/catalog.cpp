#include "wasme/cache/catalog.hpp"

#include <algorithm>

#include "wasme/oci/reference.hpp"

namespace wasme::cache {

const char* to_string(RefState state) {
  switch (state) {
    case RefState::pending: return "pending";
    case RefState::pulling: return "pulling";
    case RefState::cached: return "cached";
    case RefState::failed: return "failed";
  }
  return "unknown";
}

void Catalog::restore(const std::string& ref, const oci::Digest& digest, std::uint64_t size) {
  RefStatus& s = refs_[ref];
  s.ref = ref;
  s.state = RefState::cached;
  s.digest = digest;
  s.size = size;
}

ListChange Catalog::set_listed(const std::vector<std::string>& refs) {
  ListChange change;
  for (const auto& ref : refs) {
    auto [it, inserted] = refs_.try_emplace(ref);
    if (inserted) it->second.ref = ref;
    if (!it->second.listed) change.added.push_back(ref);
    it->second.listed = true;
  }
  std::set<std::string> still(refs.begin(), refs.end());
  for (const auto& old : listed_) {
    if (still.count(old)) continue;
    change.removed.push_back(old);
    if (auto it = refs_.find(old); it != refs_.end()) {
      it->second.listed = false;
      erase_if_unwanted(old);
    }
  }
  listed_ = refs;
  canonical_.clear();
  for (const auto& ref : refs) {
    try {
      canonical_.emplace(oci::Reference::parse(ref).str(), ref);
    } catch (const Error&) {
      // A ref that does not parse is only ever named by its own text.
    }
  }
  return change;
}

bool Catalog::request(const std::string& ref, std::size_t limit) {
  if (auto it = refs_.find(ref); it != refs_.end()) {
    it->second.requested = true;
    if (it->second.state == RefState::failed) it->second.next_attempt = {};
    return true;
  }
  auto requested_only = [](const RefStatus& s) { return s.requested && !s.listed; };
  // Make room by forgetting failed on-demand refs: nobody waits for them any more.
  for (auto it = refs_.begin(); it != refs_.end();) {
    bool stale = requested_only(it->second) && it->second.state == RefState::failed;
    it = stale ? refs_.erase(it) : std::next(it);
  }
  auto count = std::count_if(refs_.begin(), refs_.end(), [&](const auto& e) { return requested_only(e.second); });
  if (static_cast<std::size_t>(count) >= limit) return false;
  RefStatus& s = refs_[ref];
  s.ref = ref;
  s.requested = true;
  return true;
}

Catalog::Running Catalog::running(Clock::time_point now) const {
  Running r;
  for (const auto& [ref, s] : refs_) {
    if (s.state != RefState::pulling) continue;
    ++r.pulls;
    if (slots_.slow_after.count() <= 0) continue;
    Clock::time_point slow_at = s.pull_started + slots_.slow_after;
    if (slow_at <= now) {
      ++r.slow;
    } else {
      r.next_slow = std::min(r.next_slow, slow_at);
    }
  }
  return r;
}

// A slow pull keeps running but gives its slot up: a registry that trickles delays only
// its own refs. max_pulls still bounds threads and connections.
bool Catalog::slot_free(const Running& r) const {
  return r.pulls < slots_.max_pulls && r.pulls - r.slow < slots_.concurrency;
}

std::optional<std::string> Catalog::start_next(Clock::time_point now) {
  if (!slot_free(running(now))) return std::nullopt;
  auto due = [&](const RefStatus& s) {
    if (s.state == RefState::pending) return wanted(s);
    if (s.state != RefState::failed) return false;
    if (s.listed) return s.next_attempt <= now;
    // A failed on-demand ref is retried only when asked for again (request() resets it).
    return s.requested && s.next_attempt == Clock::time_point{};
  };
  RefStatus* pick = nullptr;
  for (auto& [ref, s] : refs_) {
    if (s.requested && due(s)) {
      pick = &s;
      break;
    }
  }
  if (!pick) {
    // Fewest failures first, then list order: a ref that keeps failing (or timing out
    // behind a slow registry) goes after every ref not tried yet.
    RefStatus* best = nullptr;
    for (const auto& ref : listed_) {
      auto it = refs_.find(ref);
      if (it == refs_.end() || !due(it->second)) continue;
      if (!best || it->second.failures < best->failures) best = &it->second;
      if (best->failures == 0) break;
    }
    pick = best;
  }
  if (!pick) return std::nullopt;
  pick->state = RefState::pulling;
  pick->pull_started = now;
  return pick->ref;
}

Clock::time_point Catalog::next_due() const {
  Clock::time_point next = Clock::time_point::max();
  for (const auto& [ref, s] : refs_) {
    if (!wanted(s)) continue;
    if (s.state == RefState::pending) return Clock::time_point::min();
    if (s.state != RefState::failed) continue;
    if (s.listed) {
      next = std::min(next, s.next_attempt);
    } else if (s.next_attempt == Clock::time_point{}) {
      return Clock::time_point::min();  // asked for again over HTTP
    }
  }
  return next;
}

Clock::time_point Catalog::next_start(Clock::time_point now) const {
  Clock::time_point due = next_due();
  if (due == Clock::time_point::max()) return due;
  Running r = running(now);
  if (slot_free(r)) return due;
  if (r.pulls >= slots_.max_pulls) return Clock::time_point::max();
  return std::max(due, r.next_slow);
}

bool Catalog::mark_cached(const std::string& ref, const oci::Digest& digest, std::uint64_t size) {
  auto it = refs_.find(ref);
  if (it == refs_.end()) return false;
  RefStatus& s = it->second;
  s.state = RefState::cached;
  s.digest = digest;
  s.size = size;
  s.last_error.clear();
  s.failures = 0;
  ++s.attempts;
  return true;
}

namespace {

std::string without_digits(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (out.empty() || out.back() != '#') out.push_back('#');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

bool Catalog::mark_failed(const std::string& ref, const Error& error, Clock::time_point now) {
  auto it = refs_.find(ref);
  if (it == refs_.end()) return false;
  RefStatus& s = it->second;
  // The same failure again is not news, even when its text carries changing numbers
  // (curl's "after 1503 ms", ports, request ids): compare kinds and texts without digits.
  bool news = s.failures == 0 || s.last_error_kind != error.kind() ||
              without_digits(s.last_error) != without_digits(error.what());
  s.state = RefState::failed;
  s.last_error = error.what();
  s.last_error_kind = error.kind();
  ++s.failures;
  ++s.attempts;
  s.next_attempt = now + backoff_.delay(s.failures);
  erase_if_unwanted(ref);
  return news;
}

std::vector<std::string> Catalog::module_lost(const oci::Digest& digest) {
  std::vector<std::string> lost;
  for (auto it = refs_.begin(); it != refs_.end();) {
    RefStatus& s = it->second;
    if (s.state != RefState::cached || s.digest != digest) {
      ++it;
      continue;
    }
    if (!wanted(s)) {
      it = refs_.erase(it);
      continue;
    }
    s.state = RefState::pending;
    s.digest = {};
    s.size = 0;
    lost.push_back(s.ref);
    ++it;
  }
  return lost;
}

void Catalog::module_removed(const oci::Digest& digest) {
  for (auto it = refs_.begin(); it != refs_.end();) {
    bool gone = it->second.state == RefState::cached && it->second.digest == digest && !it->second.listed;
    it = gone ? refs_.erase(it) : std::next(it);
  }
  module_lost(digest);  // a listed ref cannot point at a pruned module, but stay consistent
}

const RefStatus* Catalog::find(const std::string& ref) const {
  auto it = refs_.find(ref);
  return it == refs_.end() ? nullptr : &it->second;
}

std::optional<std::string> Catalog::listed_as(const std::string& ref) const {
  if (auto it = refs_.find(ref); it != refs_.end() && it->second.listed) return ref;
  std::string canonical;
  try {
    canonical = oci::Reference::parse(ref).str();
  } catch (const Error&) {
    return std::nullopt;
  }
  auto it = canonical_.find(canonical);
  if (it == canonical_.end()) return std::nullopt;
  return it->second;
}

bool Catalog::is_listed_module(const oci::Digest& digest) const {
  for (const auto& ref : listed_) {
    const RefStatus* s = find(ref);
    if (s && s->state == RefState::cached && s->digest == digest) return true;
  }
  return false;
}

std::vector<std::string> Catalog::missing() const {
  std::vector<std::string> out;
  for (const auto& ref : listed_) {
    const RefStatus* s = find(ref);
    if (!s || s->state != RefState::cached) out.push_back(ref);
  }
  return out;
}

std::set<std::string> Catalog::needed_modules() const {
  std::set<std::string> out;
  for (const auto& [ref, s] : refs_) {
    if (s.listed && s.state == RefState::cached) out.insert(s.digest.hex());
  }
  return out;
}

std::vector<RefStatus> Catalog::snapshot() const {
  std::vector<RefStatus> out;
  out.reserve(refs_.size());
  for (const auto& [ref, s] : refs_) out.push_back(s);
  return out;
}

void Catalog::erase_if_unwanted(const std::string& ref) {
  auto it = refs_.find(ref);
  if (it == refs_.end() || wanted(it->second)) return;
  if (it->second.state == RefState::pending || it->second.state == RefState::failed) refs_.erase(it);
}

}  // namespace wasme::cache
