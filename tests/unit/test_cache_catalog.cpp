#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "wasme/cache/catalog.hpp"

using namespace std::chrono_literals;
using wasme::Error;
using wasme::ErrorKind;
using wasme::cache::Catalog;
using wasme::cache::Clock;
using wasme::cache::RefState;
using Refs = std::vector<std::string>;

namespace {

const wasme::cache::Backoff backoff{wasme::cache::Millis{100}, wasme::cache::Millis{1000}};
const Clock::time_point t0 = Clock::now();

wasme::oci::Digest digest_of(const std::string& s) { return wasme::oci::sha256_of(s); }

Error network(const std::string& what) { return Error(ErrorKind::network, what); }

}  // namespace

TEST_CASE("listing refs reports what came and went") {
  Catalog c(backoff);
  auto first = c.set_listed({"a/x:1", "a/y:1"});
  CHECK(first.added == Refs{"a/x:1", "a/y:1"});
  CHECK(first.removed.empty());
  auto second = c.set_listed({"a/y:1", "a/z:1"});
  CHECK(second.added == Refs{"a/z:1"});
  CHECK(second.removed == Refs{"a/x:1"});
  CHECK(c.find("a/x:1") == nullptr);  // pending and unlisted: forgotten
  CHECK(c.set_listed({"a/y:1", "a/z:1"}).empty());
  CHECK(c.missing() == Refs{"a/y:1", "a/z:1"});
}

TEST_CASE("pulls start in list order, once each") {
  Catalog c(backoff);
  c.set_listed({"b", "a", "c"});
  CHECK(c.start_next(t0) == "b");
  CHECK(c.start_next(t0) == "a");
  CHECK(c.start_next(t0) == "c");
  CHECK_FALSE(c.start_next(t0).has_value());
  CHECK(c.find("a")->state == RefState::pulling);
  CHECK(c.next_due() == Clock::time_point::max());
}

TEST_CASE("a cached ref is no longer missing and its module is needed") {
  Catalog c(backoff);
  c.set_listed({"a", "b"});
  c.start_next(t0);
  CHECK(c.mark_cached("a", digest_of("A"), 1));
  CHECK(c.missing() == Refs{"b"});
  CHECK(c.needed_modules() == std::set<std::string>{digest_of("A").hex()});
  CHECK(c.find("a")->attempts == 1);
}

TEST_CASE("failures back off and are news only when the error changes") {
  Catalog c(backoff);
  c.set_listed({"a"});
  c.start_next(t0);
  CHECK(c.mark_failed("a", network("refused"), t0));
  CHECK(c.find("a")->state == RefState::failed);
  CHECK(c.find("a")->last_error_kind == ErrorKind::network);
  CHECK_FALSE(c.start_next(t0 + 99ms).has_value());
  CHECK(c.next_due() == t0 + 100ms);
  CHECK(c.start_next(t0 + 100ms) == "a");
  CHECK_FALSE(c.mark_failed("a", network("refused"), t0 + 100ms));  // same error: quiet
  CHECK(c.next_due() == t0 + 300ms);                                 // 100 ms doubled
  c.start_next(t0 + 300ms);
  CHECK(c.mark_failed("a", Error(ErrorKind::not_found, "manifest unknown"), t0 + 300ms));
  c.start_next(t0 + 10s);
  c.mark_cached("a", digest_of("A"), 1);
  CHECK(c.find("a")->failures == 0);
  CHECK(c.find("a")->last_error.empty());
}

TEST_CASE("the same failure with other numbers in its text is not news; another kind is") {
  Catalog c(backoff);
  c.set_listed({"a"});
  c.start_next(t0);
  CHECK(c.mark_failed("a", network("Failed to connect to 127.0.0.1 port 5000 after 1503 ms"), t0));
  c.start_next(t0 + 10s);
  CHECK_FALSE(c.mark_failed("a", network("Failed to connect to 127.0.0.1 port 5000 after 7 ms"), t0 + 10s));
  c.start_next(t0 + 20s);
  CHECK(c.mark_failed("a", Error(ErrorKind::auth, "Failed to connect to 127.0.0.1 port 5000 after 7 ms"), t0 + 20s));
  c.start_next(t0 + 30s);
  CHECK(c.mark_failed("a", Error(ErrorKind::auth, "unauthorized"), t0 + 30s));
}

TEST_CASE("a request makes a backing-off ref due at once, and goes first") {
  Catalog c(backoff);
  c.set_listed({"a", "b"});
  c.start_next(t0);
  c.mark_failed("a", network("refused"), t0);
  CHECK(c.request("b", 8));
  CHECK(c.request("a", 8));
  auto first = c.start_next(t0);
  auto second = c.start_next(t0);
  CHECK(((first == "a" && second == "b") || (first == "b" && second == "a")));
}

TEST_CASE("on-demand refs: pulled when asked, not retried unasked, bounded") {
  Catalog c(backoff);
  CHECK(c.request("r/one:1", 2));
  CHECK(c.request("r/two:1", 2));
  CHECK_FALSE(c.request("r/three:1", 2));
  CHECK(c.missing().empty());  // not listed: /ready does not wait for them
  CHECK(c.start_next(t0) == "r/one:1");
  CHECK(c.start_next(t0) == "r/two:1");
  c.mark_failed("r/one:1", network("refused"), t0);
  c.mark_cached("r/two:1", digest_of("2"), 1);
  CHECK_FALSE(c.start_next(t0 + 1h).has_value());  // nobody asks for r/one any more
  CHECK(c.request("r/one:1", 2));                   // asked again: due again
  CHECK(c.start_next(t0 + 1h) == "r/one:1");
  c.mark_failed("r/one:1", network("refused"), t0 + 1h);
  CHECK(c.request("r/three:1", 2));  // the failed on-demand ref made room
  CHECK(c.find("r/one:1") == nullptr);
  CHECK(c.needed_modules().empty());  // on-demand modules are not protected from prune
}

TEST_CASE("restored refs need no pull once listed") {
  Catalog c(backoff);
  c.restore("a", digest_of("A"), 1);
  c.restore("old", digest_of("O"), 1);
  auto change = c.set_listed({"a", "b"});
  CHECK(change.added == Refs{"a", "b"});
  CHECK(c.start_next(t0) == "b");
  CHECK_FALSE(c.start_next(t0).has_value());
  CHECK(c.missing() == Refs{"b"});
  CHECK(c.needed_modules() == std::set<std::string>{digest_of("A").hex()});
  CHECK(c.find("old")->state == RefState::cached);  // kept for prune to decide
}

TEST_CASE("a vanished module sends its listed refs back to pending") {
  Catalog c(backoff);
  c.set_listed({"a", "a2"});
  c.start_next(t0);
  c.start_next(t0);
  c.mark_cached("a", digest_of("A"), 1);
  c.mark_cached("a2", digest_of("A"), 1);  // two tags, one module
  c.restore("old", digest_of("A"), 1);
  auto lost = c.module_lost(digest_of("A"));
  CHECK(lost == Refs{"a", "a2"});
  CHECK(c.find("old") == nullptr);
  CHECK(c.find("a")->state == RefState::pending);
  CHECK(c.missing() == Refs{"a", "a2"});
}

TEST_CASE("a pruned module forgets the unlisted refs that pointed at it") {
  Catalog c(backoff);
  c.restore("old", digest_of("O"), 1);
  c.set_listed({"new"});
  c.module_removed(digest_of("O"));
  CHECK(c.find("old") == nullptr);
  CHECK(c.find("new") != nullptr);
}

TEST_CASE("unlisting a ref mid-pull keeps it until the pull ends") {
  Catalog c(backoff);
  c.set_listed({"a"});
  c.start_next(t0);
  c.set_listed({});
  CHECK(c.find("a") != nullptr);
  c.mark_failed("a", network("refused"), t0);
  CHECK(c.find("a") == nullptr);
}
