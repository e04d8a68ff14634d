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

// Runs `args` (argv[0] included) in `cwd` (empty = current). If `signal_after` > 0, sends
// `signal` to the child after that many seconds. Kills the child after `timeout` seconds.
CliResult RunProcess(const std::vector<std::string>& args, double timeout, const std::string& cwd = "",
                     double signal_after = 0, int signal = 0);

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
  std::vector<std::string> List() const;
  void Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace roofprof::testing_util

#endif  // ROOFPROF_TESTS_CLI_CLI_UTIL_H_
