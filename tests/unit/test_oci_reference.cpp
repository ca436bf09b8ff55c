#include <doctest/doctest.h>

#include <string>

#include "wasme/core/error.hpp"
#include "wasme/oci/reference.hpp"

using wasme::Error;
using wasme::oci::Digest;
using wasme::oci::Reference;

namespace {

const std::string hex(64, 'a');
const std::string digest = "sha256:" + hex;

struct Good {
  std::string input;
  std::string canonical;
};

struct Bad {
  std::string input;
  std::string message;
};

}  // namespace

TEST_CASE("references normalize like docker") {
  const Good cases[] = {
      {"ubuntu", "docker.io/library/ubuntu:latest"},
      {"ubuntu:22.04", "docker.io/library/ubuntu:22.04"},
      {"library/ubuntu", "docker.io/library/ubuntu:latest"},
      {"docker.io/ubuntu", "docker.io/library/ubuntu:latest"},
      {"index.docker.io/ubuntu", "docker.io/library/ubuntu:latest"},
      {"index.docker.io/team/x:v1", "docker.io/team/x:v1"},
      {"Docker.IO/team/x", "docker.io/team/x:latest"},
      {"team/filter", "docker.io/team/filter:latest"},
      {"team/sub/filter:v2", "docker.io/team/sub/filter:v2"},
      {"webassemblyhub.io/yuval-k/istio-example:1.4.2", "webassemblyhub.io/yuval-k/istio-example:1.4.2"},
      {"ghcr.io/team/filters/add-header:v1", "ghcr.io/team/filters/add-header:v1"},
      {"GHCR.io/team/x:V1", "ghcr.io/team/x:V1"},
      {"localhost/filter", "localhost/filter:latest"},
      {"localhost:5000/filter", "localhost:5000/filter:latest"},
      {"localhost:5000/a/b:tag", "localhost:5000/a/b:tag"},
      {"127.0.0.1:5000/filter:v1", "127.0.0.1:5000/filter:v1"},
      {"[::1]:5000/filter:v1", "[::1]:5000/filter:v1"},
      {"[::1]/filter", "[::1]/filter:latest"},
      {"[FE80::1]:443/x", "[fe80::1]:443/x:latest"},
      {"registry:5000/filter", "registry:5000/filter:latest"},
      {"my-registry.example.com:65535/a/b", "my-registry.example.com:65535/a/b:latest"},
      {"r.io/a.b/c_d/e__f/g-h/i---j", "r.io/a.b/c_d/e__f/g-h/i---j:latest"},
      {"r.io/x:_tag", "r.io/x:_tag"},
      {"r.io/x:Tag.With-Mixed_chars", "r.io/x:Tag.With-Mixed_chars"},
      {"r.io/x:" + std::string(128, 't'), "r.io/x:" + std::string(128, 't')},
      {"r.io/x@" + digest, "r.io/x@" + digest},
      {"r.io/x:v1@" + digest, "r.io/x:v1@" + digest},
      {"ubuntu@" + digest, "docker.io/library/ubuntu@" + digest},
      {"localhost:5000/x:5000", "localhost:5000/x:5000"},
      {"localhost:5000", "docker.io/library/localhost:5000"},
      {"docker.io", "docker.io/library/docker.io:latest"},
      {"a0/b1", "docker.io/a0/b1:latest"},
      {"x.y", "docker.io/library/x.y:latest"},
      {"r.io/" + std::string(250, 'a'), "r.io/" + std::string(250, 'a') + ":latest"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    Reference ref = Reference::parse(c.input);
    CHECK(ref.str() == c.canonical);
    // Canonical form is stable.
    CHECK(Reference::parse(ref.str()).str() == c.canonical);
    CHECK(Reference::parse(ref.str()) == ref);
  }
}

TEST_CASE("reference fields") {
  Reference ref = Reference::parse("localhost:5000/team/filter:v1@" + digest);
  CHECK(ref.registry == "localhost:5000");
  CHECK(ref.repository == "team/filter");
  CHECK(ref.tag == "v1");
  CHECK(ref.digest == Digest::parse(digest));
  CHECK(ref.name() == "localhost:5000/team/filter");
  CHECK(ref.manifest_ref() == digest);

  Reference tagged = Reference::parse("ubuntu");
  CHECK(tagged.registry == "docker.io");
  CHECK(tagged.repository == "library/ubuntu");
  CHECK(tagged.tag == "latest");
  CHECK_FALSE(tagged.digest);
  CHECK(tagged.manifest_ref() == "latest");

  Reference by_digest = Reference::parse("r.io/x@" + digest);
  CHECK_FALSE(by_digest.tag);
}

TEST_CASE("with_tag and with_digest") {
  Reference ref = Reference::parse("r.io/x:v1@" + digest);
  Reference retagged = ref.with_tag("v2");
  CHECK(retagged.str() == "r.io/x:v2");
  CHECK_FALSE(retagged.digest);
  CHECK(Reference::parse("r.io/x:v1").with_digest(Digest::parse(digest)).str() == "r.io/x:v1@" + digest);
  CHECK_THROWS_WITH_AS(ref.with_tag("bad tag"), doctest::Contains("invalid character ' '"), Error);
  CHECK_THROWS_WITH_AS(ref.with_tag(""), doctest::Contains("empty tag"), Error);
}

TEST_CASE("malformed references get their own message") {
  const Bad cases[] = {
      {"", "invalid reference \"\": empty reference"},
      {"Foo/bar", "invalid reference \"Foo/bar\": repository must be lowercase"},
      {"ghcr.io/Team/x", "repository must be lowercase"},
      {"a//b", "empty path component"},
      {"a/b/", "trailing slash"},
      {"/a", "must not start with '/'"},
      {"ghcr.io/", "missing repository path"},
      {"a/b:", "empty tag after ':'"},
      {"a/b:" + std::string(129, 't'), "tag is 129 characters, the limit is 128"},
      {"a/b:v1!", "invalid character '!' in tag \"v1!\""},
      {"a/b:.v1", "tag must start with a letter, digit or '_'"},
      {"a/b:-v1", "tag must start with a letter, digit or '_'"},
      {"a/b@", "'@' must be followed by a digest"},
      {"a/b@sha256:abc", "invalid digest \"sha256:abc\": expected 64 hex characters, got 3"},
      {"a/b@md5:" + hex, "unsupported algorithm \"md5\""},
      {"a/b@" + digest + "@" + digest, "invalid digest"},
      {"a b", "contains whitespace"},
      {" ubuntu", "contains whitespace"},
      {"ubuntu\n", "contains whitespace"},
      {"ubu\x01ntu", "control or non-ASCII"},
      {"caf\xc3\xa9/x", "control or non-ASCII"},
      {"localhost:abc/x", "bad port \"abc\""},
      {"localhost:0/x", "bad port \"0\""},
      {"localhost:65536/x", "bad port \"65536\""},
      {"localhost:123456/x", "bad port \"123456\""},
      {"localhost:/x", "empty port"},
      {"[::1:5000/x", "unclosed '['"},
      {"[::1]:5000", "must be followed by /repository"},
      {"[nope]:5000/x", "\"nope\" is not an IPv6 address"},
      {"[::1]x/y", "expected ':' or '/' after ']'"},
      {"-bad.io/x", "invalid registry host \"-bad.io\""},
      {"bad..io/x", "invalid registry host \"bad..io\""},
      {"bad_host.io/x", "invalid registry host \"bad_host.io\""},
      {"a/-b", "invalid path component \"-b\""},
      {"a/b-", "invalid path component \"b-\""},
      {"a/b...c", "invalid path component \"b...c\""},
      {"a/b___c", "invalid path component \"b___c\""},
      {"a/b.-c", "invalid path component \"b.-c\""},
      {"a:b/c", "bad port \"b\""},
      {"r.io/a:b/c", "invalid path component \"a:b\""},
      {":v1", "missing repository name"},
      {"@" + digest, "missing repository name"},
      {"r.io/" + std::string(251, 'a'), "is 256 characters, the limit is 255"},
      {std::string(240, 'a'), "the limit is 255"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    try {
      Reference::parse(c.input);
      FAIL("accepted a bad reference");
    } catch (const Error& e) {
      CHECK(e.kind() == wasme::ErrorKind::invalid_input);
      std::string message = e.what();
      CHECK(message.find("invalid reference \"" + c.input + "\"") == 0);
      CHECK(message.find(c.message) != std::string::npos);
    }
  }
}

TEST_CASE("registry_host and loopback") {
  struct Case {
    std::string registry;
    std::string host;
    bool loopback;
  };
  const Case cases[] = {
      {"localhost", "localhost", true},
      {"localhost:5000", "localhost", true},
      {"LOCALHOST:5000", "LOCALHOST", true},
      {"127.0.0.1:5000", "127.0.0.1", true},
      {"127.1.2.3", "127.1.2.3", true},
      {"[::1]:5000", "::1", true},
      {"[::1]", "::1", true},
      {"[0:0:0:0:0:0:0:1]:80", "0:0:0:0:0:0:0:1", true},
      {"[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", true},
      {"128.0.0.1:5000", "128.0.0.1", false},
      {"10.0.0.1", "10.0.0.1", false},
      {"[::2]:5000", "::2", false},
      {"docker.io", "docker.io", false},
      {"ghcr.io:443", "ghcr.io", false},
      {"localhost.example.com", "localhost.example.com", false},
      {"127.0.0.1.nip.io", "127.0.0.1.nip.io", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.registry);
    CHECK(wasme::oci::registry_host(c.registry) == c.host);
    CHECK(wasme::oci::is_loopback_registry(c.registry) == c.loopback);
  }
  CHECK(wasme::oci::is_loopback_registry(Reference::parse("[::1]:5000/x").registry));
}
