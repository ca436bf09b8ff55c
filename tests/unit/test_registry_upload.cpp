#include <doctest/doctest.h>

#include "test_registry_fakes.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/registry/client.hpp"
#include "wasme/registry/upload.hpp"

using namespace wasme::registry;
using testing::respond;

TEST_CASE("plan_chunks covers every byte once, in order") {
  struct Case {
    std::uint64_t size, chunk;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> expected;
  };
  for (const Case& c : {
           Case{10, 4, {{0, 4}, {4, 4}, {8, 2}}},
           Case{8, 4, {{0, 4}, {4, 4}}},
           Case{3, 4, {{0, 3}}},
           Case{1, 1, {{0, 1}}},
           Case{0, 4, {}},
           Case{5, 0, {{0, 5}}},
       }) {
    CAPTURE(c.size);
    CAPTURE(c.chunk);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
    for (const Chunk& chunk : plan_chunks(c.size, c.chunk)) got.emplace_back(chunk.offset, chunk.length);
    CHECK(got == c.expected);
  }
}

TEST_CASE("Content-Range is first-last, both inclusive") {
  CHECK(content_range({0, 1}) == "0-0");
  CHECK(content_range({0, 8388608}) == "0-8388607");
  CHECK(content_range({8388608, 100}) == "8388608-8388707");
  CHECK(content_range({5000000000ull, 10}) == "5000000000-5000000009");
}

TEST_CASE("Range headers give the bytes the registry holds") {
  CHECK(parse_range_received("0-1023") == 1024u);
  CHECK(parse_range_received("bytes=0-0") == 1u);
  CHECK(parse_range_received("0-5000000009") == 5000000010ull);
  for (const char* bad :
       {"", "0-", "-5", "5-10", "0-x", "a-b", "0-99999999999999999999999", "0-18446744073709551615"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_range_received(bad));
  }
}

namespace {

// A scripted upload endpoint: HEAD 404, POST 202 with a relative Location, PATCH appends and
// answers the new Range, PUT checks the digest parameter.
struct UploadServer {
  std::string received;
  int posts = 0;
  int fail_first_patch = 0;  // answer 503 to this many PATCHes
  Response operator()(const Request& r) {
    if (r.method == "HEAD") return respond(404);
    if (r.method == "POST") {
      ++posts;
      received.clear();
      return respond(202, "", {{"Location", "/v2/a/blobs/uploads/u" + std::to_string(posts) + "?_state=s"}});
    }
    if (r.method == "PATCH") {
      if (fail_first_patch > 0) {
        --fail_first_patch;
        return respond(503);
      }
      received += r.body->bytes.empty() ? wasme::read_file(*r.body->file).substr(r.body->offset, r.body->length)
                                        : r.body->bytes;
      return respond(202, "",
                     {{"Location", "/v2/a/blobs/uploads/u" + std::to_string(posts) + "?_state=t"},
                      {"Range", "0-" + std::to_string(received.size() - 1)}});
    }
    if (r.method == "PUT") {
      if (r.body) received += wasme::read_file(*r.body->file).substr(r.body->offset, r.body->length);
      return respond(201);
    }
    return respond(400);
  }
};

}  // namespace

TEST_CASE("push_blob: monolithic PUT below the chunk size, PATCHes with Content-Range above") {
  std::string content(1000, 'x');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>('a' + i % 26);
  wasme::write_file_atomic("blob", content);
  BlobSource blob{"blob", wasme::oci::sha256_of(content), content.size(), "filter.wasm"};
  for (std::uint64_t chunk_size : {4096ull, 300ull}) {
    CAPTURE(chunk_size);
    UploadServer server;
    auto transport = std::make_shared<testing::FakeTransport>(std::ref(server));
    testing::FakeClock clock;
    RemoteOptions options;
    options.chunk_size = chunk_size;
    Client client(options, {}, {transport, &clock, nullptr});
    CHECK(push_blob(client, "r.example", "a", blob) == UploadOutcome::uploaded);
    CHECK(server.received == content);
    std::vector<std::string> methods, ranges;
    for (const auto& r : transport->requests) {
      methods.push_back(r.method);
      if (r.method == "PATCH") ranges.push_back(r.headers.get("Content-Range").value_or(""));
    }
    const Request& put = transport->requests.back();
    CHECK(put.url == "https://r.example/v2/a/blobs/uploads/u1?_state=" + std::string(chunk_size > 1000 ? "s" : "t") +
                         "&digest=sha256%3A" + blob.digest.hex());
    if (chunk_size > 1000) {
      CHECK(methods == std::vector<std::string>{"HEAD", "POST", "PUT"});
    } else {
      CHECK(methods == std::vector<std::string>{"HEAD", "POST", "PATCH", "PATCH", "PATCH", "PATCH", "PUT"});
      CHECK(ranges == std::vector<std::string>{"0-299", "300-599", "600-899", "900-999"});
      CHECK_FALSE(put.body);
    }
  }
}

TEST_CASE("push_blob: skips a blob the registry has; a failed chunk restarts from a fresh POST") {
  wasme::write_file_atomic("blob", std::string(10, 'z'));
  BlobSource blob{"blob", wasme::oci::sha256_of(std::string(10, 'z')), 10, "x"};
  testing::FakeClock clock;
  auto present = std::make_shared<testing::FakeTransport>([](const Request&) { return respond(200); });
  Client has_it({}, {}, {present, &clock, nullptr});
  CHECK(push_blob(has_it, "r.example", "a", blob) == UploadOutcome::skipped);
  CHECK(present->requests.size() == 1);

  UploadServer server;
  server.fail_first_patch = 1;
  auto transport = std::make_shared<testing::FakeTransport>(std::ref(server));
  RemoteOptions options;
  options.chunk_size = 4;
  Client client(options, {}, {transport, &clock, nullptr});
  CHECK(push_blob(client, "r.example", "a", blob) == UploadOutcome::uploaded);
  CHECK(server.posts == 2);
  CHECK(server.received == std::string(10, 'z'));
  CHECK(clock.sleeps.size() == 1);
}

TEST_CASE("push_blob: a registry that holds the wrong number of bytes after a PATCH is retried, then fails") {
  wasme::write_file_atomic("blob", std::string(10, 'z'));
  BlobSource blob{"blob", wasme::oci::sha256_of(std::string(10, 'z')), 10, "x"};
  testing::FakeClock clock;
  auto transport = std::make_shared<testing::FakeTransport>([](const Request& r) {
    if (r.method == "HEAD") return respond(404);
    if (r.method == "POST") return respond(202, "", {{"Location", "/up"}});
    return respond(202, "", {{"Location", "/up"}, {"Range", "0-1"}});
  });
  RemoteOptions options;
  options.chunk_size = 4;
  Client client(options, {}, {transport, &clock, nullptr});
  try {
    push_blob(client, "r.example", "a", blob);
    FAIL("expected an error");
  } catch (const wasme::Error& e) {
    CHECK(std::string(e.what()).find("the registry holds 2 bytes, expected 4") != std::string::npos);
  }
  CHECK(clock.sleeps.size() == 4);  // five attempts
}
