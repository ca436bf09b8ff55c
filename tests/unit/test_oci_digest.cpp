#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "wasme/core/error.hpp"
#include "wasme/oci/digest.hpp"

using wasme::Error;
using wasme::oci::Digest;

TEST_CASE("sha256 of known inputs") {
  CHECK(wasme::oci::sha256_of("").hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(wasme::oci::sha256_of("abc").str() ==
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("streaming sha256 equals one-shot sha256") {
  std::string data(1 << 20, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  wasme::oci::Sha256 h;
  for (size_t off = 0; off < data.size(); off += 4097) h.update(std::string_view(data).substr(off, 4097));
  CHECK(h.bytes_seen() == data.size());
  CHECK(h.finish() == wasme::oci::sha256_of(data));

  std::ofstream("blob.bin", std::ios::binary) << data;
  auto file = wasme::oci::sha256_of_file("blob.bin");
  CHECK(file.size == data.size());
  CHECK(file.digest == wasme::oci::sha256_of(data));
}

TEST_CASE("digest parsing") {
  const std::string hex(64, 'a');
  CHECK(Digest::parse("sha256:" + hex).hex() == hex);
  struct Bad {
    std::string input;
    std::string message;
  };
  const Bad cases[] = {
      {"", "missing the algorithm prefix"},
      {hex, "missing the algorithm prefix"},
      {"sha512:" + hex, "unsupported algorithm \"sha512\""},
      {"sha256:" + hex.substr(1), "expected 64 hex characters, got 63"},
      {"sha256:" + hex + "a", "expected 64 hex characters, got 65"},
      {"sha256:" + std::string(63, 'a') + "A", "hex must be lowercase"},
      {"sha256:" + std::string(63, 'a') + "g", "'g' is not a hex character"},
      {"sha256:", "expected 64 hex characters, got 0"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    try {
      Digest::parse(c.input);
      FAIL("accepted a bad digest");
    } catch (const Error& e) {
      CHECK(e.kind() == wasme::ErrorKind::invalid_input);
      CHECK(std::string(e.what()).find(c.message) != std::string::npos);
    }
  }
}

TEST_CASE("missing file is not_found") {
  try {
    wasme::oci::sha256_of_file("nope.wasm");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::not_found);
    CHECK(std::string(e.what()).find("nope.wasm") != std::string::npos);
  }
}
