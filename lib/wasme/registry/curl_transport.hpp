#pragma once
#include <memory>
#include <string_view>

#include "wasme/core/log.hpp"
#include "wasme/registry/options.hpp"
#include "wasme/registry/transport.hpp"

namespace wasme::registry {

// The real transport: one libcurl easy handle reused for every request, so connections
// (and TLS sessions) are reused; HTTP/2 over TLS when the server offers it. It applies the
// connect timeout and the minimum rate (below min_bytes_per_second over stall_timeout_seconds; there is
// no total timeout, which would kill large uploads), TLS verification (on unless insecure;
// ca_file as the trust bundle), and never follows redirects itself. Each request is logged
// as "GET https://host/v2/… 200 12ms": no headers, and no query string (it may hold tokens).
// The environment variables WASME_CONNECT_TIMEOUT and WASME_STALL_TIMEOUT (seconds) override
// the two timeouts.
std::unique_ptr<Transport> make_curl_transport(const RemoteOptions& options, Log log);

}  // namespace wasme::registry
