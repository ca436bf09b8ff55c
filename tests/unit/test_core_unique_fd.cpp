#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "wasme/core/unique_fd.hpp"

using wasme::UniqueFd;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int open_null() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

TEST_CASE("UniqueFd closes its descriptor when it goes, and owns nothing after a failed open") {
  int raw = -1;
  {
    UniqueFd fd(open_null());
    REQUIRE(fd);
    raw = fd.get();
    CHECK(is_open(raw));
  }
  CHECK_FALSE(is_open(raw));
  UniqueFd failed(::open("missing/file", O_RDONLY | O_CLOEXEC));
  CHECK_FALSE(failed);
  CHECK(failed.get() == -1);
}

TEST_CASE("UniqueFd moves ownership, and release gives it up without closing") {
  UniqueFd a(open_null());
  const int raw = a.get();
  UniqueFd b(std::move(a));
  CHECK_FALSE(a);  // moved from: owns nothing
  CHECK(b.get() == raw);
  UniqueFd c;
  c = std::move(b);
  CHECK(c.get() == raw);
  CHECK(is_open(raw));

  const int released = c.release();
  CHECK_FALSE(c);
  CHECK(is_open(released));
  CHECK(::close(released) == 0);
}

TEST_CASE("UniqueFd reset closes what it held") {
  UniqueFd fd(open_null());
  const int first = fd.get();
  fd.reset(open_null());  // opened before the first is closed: another number
  CHECK(fd.get() != first);
  CHECK_FALSE(is_open(first));
  fd.reset();
  CHECK_FALSE(fd);
}
