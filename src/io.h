// File I/O with the guarantees users rely on: atomic writes, bounded reads, clean interruption.
#ifndef ROOFPROF_SRC_IO_H_
#define ROOFPROF_SRC_IO_H_

#include <cstdint>
#include <string>

namespace roofprof {

// Writes `content` to `path` atomically: a temporary file in the same directory, flushed and
// fsynced, then renamed over `path`. Readers see the old file or the whole new one, never a
// part. Throws EnvironmentError with the path and errno text on failure (the temp is removed).
void WriteFileAtomic(const std::string& path, const std::string& content);

// Reads a whole text file of at most `max_bytes`. Throws UsageError naming the file when it is
// missing, unreadable, a directory, larger than the limit, or holds NUL bytes (binary).
std::string ReadTextFile(const std::string& path, uint64_t max_bytes);

// Checks before any long work that `path` can be written: its directory exists and is
// writable and `path` is not a directory. "-" (stdout) is accepted. Throws UsageError.
void CheckWritablePath(const std::string& path, const std::string& what);

// Checks before any long work that `dir` is a writable directory or can be created (its
// nearest existing ancestor is a writable directory). Throws UsageError.
void CheckCreatableDirectory(const std::string& dir, const std::string& what);

// Creates `dir` (and parents) if needed. Throws UsageError when a non-directory is in the way,
// EnvironmentError when the system refuses (permissions, read-only file system).
void EnsureDirectory(const std::string& dir);

// Installs SIGINT/SIGTERM handlers that only set a flag. Long loops call CheckInterrupted()
// at safe points; it throws Interrupted once a signal has arrived.
void InstallSignalHandlers();
bool StopRequested();
void CheckInterrupted();
// For tests: pretend a signal arrived (or clear it).
void SetStopRequestedForTest(bool value);

// Current UTC time as ISO 8601 ("2026-11-25T17:03:12Z"), stamped into output files.
std::string NowIso8601();

// True when file descriptor 2 (stderr) is a terminal.
bool StderrIsTerminal();

}  // namespace roofprof

#endif  // ROOFPROF_SRC_IO_H_
