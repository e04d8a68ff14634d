// Atomic writes (temp + fsync + rename), bounded text reads, and signal-flag interruption.
#include "src/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

#include "src/error.h"

namespace roofprof {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void OnStopSignal(int /*sig*/) { g_stop = 1; }

std::string ErrnoText() { return std::strerror(errno); }

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void WriteFileAtomic(const std::string& path, const std::string& content) {
  if (path.empty()) throw UsageError("output path is empty");
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = mkstemp(name.data());
  if (fd < 0) {
    throw EnvironmentError("cannot write '" + path + "': " + ErrnoText());
  }
  const std::string tmp(name.data());
  const auto fail = [&](const std::string& what) {
    const std::string reason = ErrnoText();
    ::close(fd);
    ::unlink(tmp.c_str());
    return EnvironmentError("cannot write '" + path + "': " + what + ": " + reason);
  };
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw fail("write");
    }
    done += static_cast<size_t>(n);
  }
  // Files are created 0600 by mkstemp; give them the usual umask-respecting mode.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0) throw fail("chmod");
  if (::fsync(fd) != 0) throw fail("fsync");
  if (::close(fd) != 0) {
    const std::string reason = ErrnoText();
    ::unlink(tmp.c_str());
    throw EnvironmentError("cannot write '" + path + "': close: " + reason);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = ErrnoText();
    ::unlink(tmp.c_str());
    throw EnvironmentError("cannot write '" + path + "': rename: " + reason);
  }
  // Make the rename durable too; failure here loses nothing already visible, so ignore it.
  const int dfd = ::open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string ReadTextFile(const std::string& path, uint64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw UsageError(path + ": cannot read: " + ErrnoText());
  }
  if (S_ISDIR(st.st_mode)) throw UsageError(path + ": is a directory, expected a file");
  if (!S_ISREG(st.st_mode)) throw UsageError(path + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    throw UsageError(path + ": too large (" + std::to_string(st.st_size) + " bytes, limit " +
                     std::to_string(max_bytes) + ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot open: " + ErrnoText());
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > max_bytes) throw UsageError(path + ": too large");
  if (text.find('\0') != std::string::npos) {
    throw UsageError(path + ": binary data (NUL byte), expected a text file");
  }
  if (text.empty()) throw UsageError(path + ": empty file");
  return text;
}

void CheckWritablePath(const std::string& path, const std::string& what) {
  if (path == "-") return;
  if (path.empty()) throw UsageError(what + ": empty path");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw UsageError(what + ": '" + path + "' is a directory");
  }
  const std::string dir = DirectoryOf(path);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw UsageError(what + ": directory '" + dir + "' does not exist");
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw UsageError(what + ": directory '" + dir + "' is not writable");
  }
}

void CheckCreatableDirectory(const std::string& dir, const std::string& what) {
  if (dir.empty()) throw UsageError(what + ": empty path");
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  for (;;) {
    struct stat st {};
    if (::stat(d.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        throw UsageError(what + ": '" + d + "' exists and is not a directory");
      }
      if (::access(d.c_str(), W_OK) != 0) {
        throw UsageError(what + ": directory '" + d + "' is not writable");
      }
      return;
    }
    const std::string parent = DirectoryOf(d);
    if (parent == d) return;
    d = parent;
  }
}

void EnsureDirectory(const std::string& dir) {
  if (dir.empty()) throw UsageError("output directory is empty");
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    struct stat st {};
    if (::stat(partial.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        throw UsageError("cannot create directory '" + dir + "': '" + partial +
                         "' exists and is not a directory");
      }
      continue;
    }
    if (::mkdir(partial.c_str(), 0777) != 0 && errno != EEXIST) {
      throw EnvironmentError("cannot create directory '" + partial + "': " + ErrnoText());
    }
  }
}

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR so we notice quickly
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop != 0; }

void CheckInterrupted() {
  if (g_stop) throw Interrupted();
}

void SetStopRequestedForTest(bool value) { g_stop = value ? 1 : 0; }

std::string NowIso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool StderrIsTerminal() { return ::isatty(2) == 1; }

}  // namespace roofprof
