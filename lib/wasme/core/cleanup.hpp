#pragma once
#include <filesystem>

// What an interrupted command leaves behind: temp files and temp dirs are registered while
// they exist, removed by a SIGINT/SIGTERM/SIGHUP handler before the process dies of the
// signal, and swept by the next run when a SIGKILL left them (their names carry the pid).
namespace wasme {

// Installs the handlers (once, from main). Commands that wait for signals themselves (cache,
// run) block them, so the handlers never run there.
void install_cleanup_handlers();

// A path to remove if a signal ends the process; unregistered by the returned slot's owner.
// Registration is best effort: with all slots in use the path is simply not registered.
int register_temp_path(const std::filesystem::path& path, bool directory);
void unregister_temp_path(int slot);

// Removes dir's files named `prefix…-<pid>-<16 hex>` (AtomicFile's temp files) whose
// process is gone. Returns how many were removed.
int sweep_stale_temp_files(const std::filesystem::path& dir, const std::string& prefix);
// Removes the system temp dir's wasme temp directories whose process is gone.
int sweep_stale_temp_dirs();

// The pid a temp name carries ("…-<pid>-<suffix>"), 0 when it carries none.
long pid_in_temp_name(const std::string& name);

}  // namespace wasme
