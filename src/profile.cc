// Child process execution (POSIX fork/exec), region file parsing, classification.
#include "src/profile.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "src/error.h"
#include "src/harness.h"
#include "src/io.h"
#include "src/json_util.h"
#include "src/kernel_runner.h"
#include "src/version.h"

namespace roofprof {
namespace {

std::string TempPath() {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = std::string(dir && dir[0] ? dir : "/tmp") + "/roofprof-regions-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = mkstemp(buf.data());
  if (fd < 0)
    throw EnvironmentError(std::string("cannot create a temporary file: ") + std::strerror(errno));
  ::close(fd);
  ::unlink(buf.data());  // the child creates it (atomically) if it uses the marker library
  return buf.data();
}

}  // namespace

ChildRun RunChild(const std::vector<std::string>& command) {
  if (command.empty())
    throw UsageError("profile: no command given (use: roofprof profile -- PROGRAM ARGS...)");
  const std::string regions = TempPath();
  // A close-on-exec pipe tells the parent whether exec succeeded: it reads EOF on success and
  // the child's errno on failure.
  int pipefd[2];
  if (pipe(pipefd) != 0) throw EnvironmentError(std::string("pipe: ") + std::strerror(errno));
  fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const double t0 = NowSeconds();
  const pid_t pid = fork();
  if (pid < 0) throw EnvironmentError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(pipefd[0]);
    setenv("ROOFPROF_REGIONS", regions.c_str(), 1);
    // Default signal dispositions for the child (the parent's handlers only set a flag).
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execvp(argv[0], argv.data());
    const int err = errno;
    (void)!write(pipefd[1], &err, sizeof(err));
    _exit(127);
  }
  ::close(pipefd[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(pipefd[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  ::close(pipefd[0]);
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw EnvironmentError(std::string("wait: ") + std::strerror(errno));
  }
  const double t1 = NowSeconds();
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    throw UsageError("cannot run '" + command[0] + "': " + std::strerror(child_errno));
  }
  ChildRun r;
  r.wall_seconds = t1 - t0;
  r.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(regions);
  if (in) {
    std::ostringstream ss;
    ss << in.rdbuf();
    r.regions_json = ss.str();
    std::remove(regions.c_str());
  }
  return r;
}

KernelsFile ProfileResults(const ProfileOptions& opt, const ChildRun& run, const Machine& m) {
  KernelsFile out;
  out.created = NowIso8601();
  out.tool_version = kVersion;
  out.machine_model = m.cpu.model;
  out.machine_created = m.created;
  std::string cmd;
  for (const auto& a : opt.command) cmd += (cmd.empty() ? "" : " ") + a;
  const auto add = [&](const std::string& name, double seconds, double flops, double bytes,
                       const std::string& source, const std::string& description) {
    KernelResult r;
    r.name = name;
    r.threads = opt.threads;
    r.precision = opt.precision;
    r.description = description;
    r.seconds = seconds;
    r.median_seconds = seconds;
    r.flops = flops;
    r.flops_source = source;
    // Only DRAM traffic is given by the user; inner levels are unknown, not zero, so they
    // cannot bind (their ceilings are compared with zero bytes).
    r.bytes = {0, 0, 0, bytes};
    r.bytes_source = source;
    r.gflops = seconds > 0 ? flops / seconds / 1e9 : 0;
    ClassifyResult(m, &r);
    if (flops <= 0 && bytes <= 0) {
      r.bound = "unknown";
      r.advice.push_back(
          "no FLOP or byte counts: give --flops/--bytes, call "
          "roofprof_region_add_work, or run where hardware counters are available");
    }
    out.results.push_back(r);
  };
  const double flops = opt.flops > 0 ? opt.flops : 0;
  const double bytes = opt.dram_bytes > 0 ? opt.dram_bytes : 0;
  add("program", run.wall_seconds, flops, bytes, kSourceUser, cmd);
  out.notes.push_back("command: " + cmd);
  out.notes.push_back(
      "wall " + std::to_string(run.wall_seconds) + " s, CPU " + std::to_string(run.cpu_seconds) +
      " s (" + std::to_string(run.wall_seconds > 0 ? run.cpu_seconds / run.wall_seconds : 0) +
      " CPUs busy on average)");
  if (run.exit_status != 0) {
    out.notes.push_back("the command exited with status " + std::to_string(run.exit_status));
  }
  if (!run.regions_json.empty()) {
    const Json doc = ParseJsonText(run.regions_json, "regions file");
    const JsonCursor root = JsonCursor(doc, "regions file").Object();
    if (root["schema"].String() != "roofprof.regions/1") root["schema"].Fail("unexpected schema");
    const JsonCursor list = root["regions"].Array();
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonCursor reg = list[i].Object();
      const double seconds = reg["seconds"].Number(0, 1e12);
      const double f = reg.Has("flops") ? reg["flops"].Number(0, 1e30) : 0;
      const double b = reg.Has("dram_bytes") ? reg["dram_bytes"].Number(0, 1e30) : 0;
      add("region:" + reg["name"].String(), seconds, f, b, kSourceUser,
          std::to_string(reg["calls"].Integer(0, INT64_MAX)) + " call(s)");
    }
  }
  return out;
}

}  // namespace roofprof
