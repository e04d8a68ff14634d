// Runs the roofprof binary as a user would (separate process), with a timeout, capturing
// exit status, stdout and stderr; optional signal after a delay.
#ifndef ROOFPROF_TESTS_CLI_CLI_UTIL_H_
#define ROOFPROF_TESTS_CLI_CLI_UTIL_H_

#include <string>
#include <vector>

namespace roofprof::testing_util {

struct CliResult {
  int status = -1;  // exit code, or 128 + signal
  bool timed_out = false;
  std::string out, err;
};

// When and how to interrupt the child: after `after_seconds`, and (if `when_file` is set) only
// once that file exists.
struct Interrupt {
  int signal = 0;  // 0 = never
  double after_seconds = 0;
  std::string when_file;
};

// Runs `args` (argv[0] included) in `cwd` (empty = current), interrupting it as `interrupt`
// says. Kills the child after `timeout` seconds (and reports timed_out).
CliResult RunProcess(const std::vector<std::string>& args, double timeout,
                     const std::string& cwd = "", const Interrupt& interrupt = {});

// The roofprof binary under test.
std::string RoofprofBinary();

// A fresh empty directory under the system temp dir; removed with its contents by the
// destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Names of the entries in the directory, sorted.
  std::vector<std::string> List() const { return ListOf(path_); }
  static std::vector<std::string> ListOf(const std::string& dir);
  void Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace roofprof::testing_util

#endif  // ROOFPROF_TESTS_CLI_CLI_UTIL_H_
