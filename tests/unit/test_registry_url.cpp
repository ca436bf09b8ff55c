#include <doctest/doctest.h>

#include "wasme/core/error.hpp"
#include "wasme/registry/url.hpp"

using wasme::registry::Url;

TEST_CASE("Url::parse splits absolute http(s) URLs") {
  struct Case {
    const char* text;
    const char* scheme;
    const char* authority;
    const char* path;
    const char* query;
  };
  for (const Case& c : {
           Case{"https://ghcr.io/v2/", "https", "ghcr.io", "/v2/", ""},
           Case{"http://127.0.0.1:5000", "http", "127.0.0.1:5000", "/", ""},
           Case{"HTTPS://h/a?b=c&d", "https", "h", "/a", "b=c&d"},
           Case{"http://[::1]:5000/v2/x?y", "http", "[::1]:5000", "/v2/x", "y"},
           Case{"https://h?q=1", "https", "h", "/", "q=1"},
           Case{"https://h/p#frag", "https", "h", "/p", ""},
       }) {
    CAPTURE(c.text);
    Url url = Url::parse(c.text);
    CHECK(url.scheme == c.scheme);
    CHECK(url.authority == c.authority);
    CHECK(url.path == c.path);
    CHECK(url.query == c.query);
  }
}

TEST_CASE("a refused URL is named in the error without its user info or query") {
  for (const char* text : {"https://user:s3cret@h/v2/", "ftp://h/x?X-Amz-Signature=s3cret",
                           "gopher://user:s3cret@h/p?token=s3cret#s3cret"}) {
    CAPTURE(text);
    try {
      Url::parse(text);
      FAIL("expected an error");
    } catch (const wasme::Error& e) {
      std::string message = e.what();
      CHECK(message.find("s3cret") == std::string::npos);
      CHECK(message.find("invalid URL") != std::string::npos);
    }
  }
  try {
    Url::parse("ftp://user:pw@h/x?q=1");
  } catch (const wasme::Error& e) {
    CHECK(std::string(e.what()) == "invalid URL \"ftp://…@h/x?…\": only http and https are allowed");
  }
}

TEST_CASE("Url::parse refuses what is not an absolute http(s) URL") {
  for (const char* text :
       {"", "/v2/", "ftp://h/x", "file:///etc/passwd", "https://", "https://u:p@h/", "javascript://x"}) {
    CAPTURE(text);
    CHECK_THROWS_AS(Url::parse(text), wasme::Error);
  }
}

TEST_CASE("redacted URLs never show the query") {
  CHECK(Url::parse("https://s3.example/blob?X-Amz-Signature=secret").redacted() == "https://s3.example/blob?…");
  CHECK(Url::parse("https://h/v2/").redacted() == "https://h/v2/");
}

TEST_CASE("host() drops the port and IPv6 brackets") {
  CHECK(Url::parse("http://[::1]:5000/").host() == "::1");
  CHECK(Url::parse("http://localhost:5000/").host() == "localhost");
  CHECK(Url::parse("http://example.com/").host() == "example.com");
}

TEST_CASE("Location headers resolve against the request URL and keep their query") {
  Url base = Url::parse("http://r:5000/v2/a/blobs/uploads/?x=1");
  struct Case {
    const char* location;
    const char* expected;
  };
  for (const Case& c : {
           Case{"/v2/a/blobs/uploads/u1?_state=abc", "http://r:5000/v2/a/blobs/uploads/u1?_state=abc"},
           Case{"https://other/up?sig=1", "https://other/up?sig=1"},
           Case{"//cdn.example/b", "http://cdn.example/b"},
           Case{"u2", "http://r:5000/v2/a/blobs/uploads/u2"},
           Case{"u3?k=v", "http://r:5000/v2/a/blobs/uploads/u3?k=v"},
       }) {
    CAPTURE(c.location);
    CHECK(wasme::registry::resolve_location(base, c.location).str() == c.expected);
  }
}

TEST_CASE("with_param encodes and appends") {
  Url url = Url::parse("https://auth/token");
  url = url.with_param("scope", "repository:a/b:pull,push").with_param("service", "reg y");
  CHECK(url.query == "scope=repository%3Aa%2Fb%3Apull%2Cpush&service=reg%20y");
}

TEST_CASE("same_origin_host compares host and port with default ports") {
  using wasme::registry::same_origin_host;
  CHECK(same_origin_host(Url::parse("https://h/a"), Url::parse("https://H:443/b")));
  CHECK(same_origin_host(Url::parse("http://h:5000/a"), Url::parse("http://h:5000/")));
  CHECK_FALSE(same_origin_host(Url::parse("http://h:5000/a"), Url::parse("http://h:5001/")));
  CHECK_FALSE(same_origin_host(Url::parse("https://h/a"), Url::parse("https://storage.h/")));
  CHECK_FALSE(same_origin_host(Url::parse("http://127.0.0.1:80/"), Url::parse("http://localhost/")));
  // A downgrade to plain http on the same host and port is another origin: no credentials.
  CHECK_FALSE(same_origin_host(Url::parse("http://h:5000/v2/"), Url::parse("https://h:5000/")));
  CHECK_FALSE(same_origin_host(Url::parse("http://h:443/v2/"), Url::parse("https://h/")));
}
