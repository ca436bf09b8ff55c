#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "wasme/cache/catalog.hpp"

using namespace std::chrono_literals;
using wasme::Clock;
using wasme::Error;
using wasme::ErrorKind;
using wasme::cache::Catalog;
using wasme::cache::RefState;
using Refs = std::vector<std::string>;

namespace {

const wasme::cache::Backoff backoff{wasme::cache::Millis{100}, wasme::cache::Millis{1000}};
const Clock::time_point t0 = wasme::FakeClock().now();

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
  CHECK(c.next_due() == t0 + 300ms);                                // 100 ms doubled
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
  CHECK(c.request("r/one:1", 2));                  // asked again: due again
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

TEST_CASE("a pull running past slow_after gives its slot up, up to max_pulls") {
  // Two slots, four pulls at most: refs behind a registry that trickles cannot keep the
  // others waiting, and the number of pulls stays bounded.
  Catalog c(backoff, {2, 4, 10s});
  c.set_listed({"s1", "s2", "h1", "h2", "h3"});
  CHECK(c.start_next(t0) == "s1");
  CHECK(c.start_next(t0) == "s2");
  CHECK_FALSE(c.start_next(t0 + 9s).has_value());  // two running, neither slow yet
  CHECK(c.next_start(t0 + 9s) == t0 + 10s);        // when they turn slow
  CHECK(c.start_next(t0 + 10s) == "h1");
  CHECK(c.start_next(t0 + 10s) == "h2");
  CHECK_FALSE(c.start_next(t0 + 10s).has_value());            // four pulls: the most
  CHECK(c.next_start(t0 + 10s) == Clock::time_point::max());  // only a finished pull frees one
  c.mark_cached("h1", digest_of("H1"), 1);
  CHECK(c.start_next(t0 + 11s) == "h3");  // s1 and s2 still slow, h2 not yet: one slot free
  CHECK(c.find("s1")->state == RefState::pulling);
  CHECK(c.find("h3")->pull_started == t0 + 11s);
}

TEST_CASE("without slow_after a running pull holds its slot until it ends") {
  Catalog c(backoff, {1, 1, wasme::cache::Millis{0}});
  c.set_listed({"slow", "ok"});
  CHECK(c.start_next(t0) == "slow");
  CHECK_FALSE(c.start_next(t0 + 1h).has_value());
  CHECK(c.next_start(t0 + 1h) == Clock::time_point::max());
  c.mark_failed("slow", network("too slow"), t0 + 1h);
  CHECK(c.start_next(t0 + 1h) == "ok");
}

TEST_CASE("refs that have failed go after refs not tried yet") {
  Catalog c(backoff);
  c.set_listed({"a", "b", "c"});
  CHECK(c.start_next(t0) == "a");
  CHECK(c.start_next(t0) == "b");
  c.mark_failed("a", network("the transfer was too slow"), t0);
  CHECK(c.start_next(t0 + 1s) == "c");  // a is due again, but c was never tried
  CHECK(c.start_next(t0 + 1s) == "a");
}

TEST_CASE("a ref is listed by its text or by the reference it parses to") {
  Catalog c(backoff);
  c.set_listed({"r/a:1", "127.0.0.1:5000/team/b", "Not A Ref"});
  CHECK(c.listed_as("r/a:1") == "r/a:1");
  CHECK(c.listed_as("docker.io/r/a:1") == "r/a:1");
  CHECK(c.listed_as("index.docker.io/r/a:1") == "r/a:1");
  CHECK(c.listed_as("127.0.0.1:5000/team/b:latest") == "127.0.0.1:5000/team/b");
  CHECK(c.listed_as("Not A Ref") == "Not A Ref");  // listed text, even though it cannot parse
  CHECK_FALSE(c.listed_as("r/a:2").has_value());
  CHECK_FALSE(c.listed_as("127.0.0.1:5000/team/c").has_value());
  CHECK_FALSE(c.listed_as("127.0.0.1:5001/team/b").has_value());
  CHECK_FALSE(c.listed_as("a/../../etc/passwd").has_value());
  CHECK(c.request("r/other:1", 8));
  CHECK_FALSE(c.listed_as("r/other:1").has_value());  // requested over HTTP is not listed
}

TEST_CASE("only the modules of listed, cached refs count as listed modules") {
  Catalog c(backoff);
  c.restore("old", digest_of("O"), 1);
  c.set_listed({"a", "b"});
  CHECK_FALSE(c.is_listed_module(digest_of("A")));  // not pulled yet
  CHECK(c.start_next(t0) == "a");
  c.mark_cached("a", digest_of("A"), 1);
  CHECK(c.is_listed_module(digest_of("A")));
  CHECK_FALSE(c.is_listed_module(digest_of("O")));  // on disk, but no listed ref needs it
  c.set_listed({"b"});
  CHECK_FALSE(c.is_listed_module(digest_of("A")));  // unlisted: no longer served by default
}
