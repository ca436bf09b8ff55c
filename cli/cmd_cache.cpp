// wasme cache: the node-local daemon that keeps DIR/<sha256> filled with listed modules and
// serves them over HTTP. Flags here; the daemon is lib/wasme/cache.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "cli/verify_key.hpp"
#include "wasme/sign/verified.hpp"
#include "wasme/cache/daemon.hpp"
#include "wasme/core/error.hpp"
#include "wasme/oci/reference.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string directory;
  std::string ref_file;
  std::vector<std::string> refs;
  int port = 9979;
  std::string address = "0.0.0.0";
  std::string interval = "2s";
  int concurrency = 4;
  bool prune = false;
  std::string prune_grace = "10m";
  std::string max_backoff = "1m";
  std::string shutdown_grace = "10s";
  std::uint64_t max_size = 0;
  bool serve_unlisted = false;
  RegistryFlags registry;
  std::string verify_key;
  OutputFormat output = OutputFormat::text;
};

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

// One line per event on stderr, text or JSON, whole lines even from several threads.
Log make_log(OutputFormat format) {
  auto mutex = std::make_shared<std::mutex>();
  return [mutex, format](std::string_view text) {
    std::string line(text);
    // A line quotes registries' error text: one log line stays one line, with no control
    // characters (a newline in an error once forged a whole "cached …" line).
    std::string out = format == OutputFormat::json ? nlohmann::json{{"time", utc_now()}, {"msg", line}}.dump(
                                                         -1, ' ', false, nlohmann::json::error_handler_t::replace)
                                                   : utc_now() + " wasme cache: " + printable(line);
    std::lock_guard lock(*mutex);
    std::cerr << out << std::endl;
  };
}

cache::DaemonConfig make_config(const Flags& f) {
  cache::DaemonConfig c;
  c.directory = f.directory;
  if (!f.ref_file.empty()) c.ref_file = f.ref_file;
  // A ref on the command line that cannot parse never will; one in the ref file may be
  // fixed while the daemon runs, so only these are refused here.
  for (const auto& ref : f.refs) {
    try {
      oci::Reference::parse(ref);
    } catch (const Error& e) {
      throw Error(ErrorKind::usage, e.what(), "fix the ref on the command line");
    }
  }
  c.refs = f.refs;
  c.address = f.address;
  c.port = f.port == 0 ? std::nullopt : std::optional<int>(f.port);
  c.interval = cache::parse_duration(f.interval, "--interval");
  if (c.interval.count() == 0) throw Error(ErrorKind::usage, "--interval must be more than 0s");
  c.concurrency = f.concurrency;
  c.prune = f.prune ? cache::Prune::remove_unlisted : cache::Prune::keep;
  c.prune_grace = cache::parse_duration(f.prune_grace, "--prune-grace");
  c.backoff.max = cache::parse_duration(f.max_backoff, "--max-backoff");
  c.backoff.initial = std::min(c.backoff.initial, c.backoff.max);
  c.shutdown_grace = cache::parse_duration(f.shutdown_grace, "--shutdown-grace");
  c.serve_unlisted = f.serve_unlisted;
  return c;
}

void run(const Flags& flags, const GlobalOptions& globals) {
  cache::DaemonConfig config = make_config(flags);
  registry::RemoteOptions options = flags.registry.resolve();
  if (flags.max_size > 0) options.max_module_size = flags.max_size;
  registry::Observer observer;
  if (globals.verbosity > 0) {
    observer.log = make_log(flags.output);
  }
  cache::Fetcher fetcher = cache::registry_fetcher(options, observer);
  if (!flags.verify_key.empty()) {
    // Each pull first checks the ref's signatures and then fetches exactly the verified digest;
    // a ref that does not verify fails like a failed pull (logged, retried, 503 in /ready).
    auto key = std::make_shared<sign::Key>(read_public_key(flags.verify_key));
    fetcher = [inner = fetcher, key, options, observer](const std::string& ref, const std::filesystem::path& dir,
                                                        const std::atomic<bool>& cancel) {
      registry::Client client(options, observer);
      client.set_cancel(&cancel);
      oci::Reference pinned = sign::verified_reference(client, oci::Reference::parse(ref), *key);
      return inner(pinned.str(), dir, cancel);
    };
  }
  auto result = cache::run_until_signal(config, fetcher, make_log(flags.output));
  if (result.abandoned_pulls > 0) {
    // Their threads still run inside the daemon, which was left alive for them: leave now,
    // without running destructors under their feet. Their temp files are already gone.
    std::cerr.flush();
    std::_Exit(0);
  }
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto f = std::make_shared<Flags>();
  app.add_option("--directory", f->directory, "Where modules are kept, as DIR/<sha256-hex>")->required();
  app.add_option("--ref-file", f->ref_file,
                 "File listing image refs, one a line (# comments); re-read every --interval");
  app.add_option("REF", f->refs, "More image refs to keep cached");
  app.add_option("--port", f->port, "HTTP port; 0 serves no HTTP")->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_option("--address", f->address, "HTTP listen address")->capture_default_str();
  app.add_option("--interval", f->interval, "How often the ref file is checked")->capture_default_str();
  app.add_option("--concurrency", f->concurrency,
                 "Pulls at the same time (up to as many more beside pulls running over 10s)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_flag("--prune", f->prune, "Delete modules no ref lists any more (after --prune-grace)");
  app.add_option("--prune-grace", f->prune_grace, "How long an unlisted module is kept")->capture_default_str();
  app.add_option("--max-backoff", f->max_backoff, "Longest wait between retries of a failing ref")
      ->capture_default_str();
  app.add_option("--shutdown-grace", f->shutdown_grace,
                 "On SIGTERM, how long pulls in progress may take before they are discarded")
      ->capture_default_str();
  app.add_flag("--serve-unlisted", f->serve_unlisted,
               "Over HTTP, also serve refs that are not listed (pulled on demand with the cache's "
               "credentials, from the registries of listed refs) and every module in DIR");
  app.add_option("--max-size", f->max_size, "Largest module to accept (default 256MiB, as Istio)")
      ->transform(CLI::AsSizeValue(false));
  add_registry_flags(app, f->registry);
  add_verify_key_option(app, f->verify_key);
  add_output_option(app, f->output);
  app.callback([f, &globals] { run(*f, globals); });
}

const Registration registration{
    {"cache", "Run the node-local module cache: pull listed images into a directory and serve them", &setup}};

}  // namespace
}  // namespace wasme::cli
