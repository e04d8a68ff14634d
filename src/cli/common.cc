// Shared CLI helpers: progress line, thread validation, output writing.
#include "src/cli/common.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "probes/probe.h"
#include "src/error.h"
#include "src/harness.h"
#include "src/io.h"
#include "src/memory.h"
#include "src/units.h"

namespace roofprof::cli {

Progress::Progress(bool quiet) : enabled_(!quiet && StderrIsTerminal()), start_(NowSeconds()) {}

Progress::~Progress() { Finish(); }

std::function<void(const std::string&, double)> Progress::Callback() {
  return [this](const std::string& stage, double done) { Update(stage, done); };
}

void Progress::Update(const std::string& stage, double done) {
  if (!enabled_) return;
  const double elapsed = NowSeconds() - start_;
  std::string eta;
  // An estimate only means something once a few percent are done.
  if (done > 0.03 && done < 1) eta = fmt::format("  ~{:.0f} s left", elapsed * (1 - done) / done);
  std::string line = fmt::format("[{:3.0f}%] {}{}", 100 * done, stage, eta);
  if (line.size() > 110) line = line.substr(0, 107) + "...";
  const size_t pad = last_width_ > line.size() ? last_width_ - line.size() : 0;
  std::fprintf(stderr, "\r%s%*s", line.c_str(), static_cast<int>(pad), "");
  std::fflush(stderr);
  last_width_ = line.size();
}

void Progress::Finish() {
  if (!enabled_ || last_width_ == 0) return;
  std::fprintf(stderr, "\r%*s\r", static_cast<int>(last_width_), "");
  std::fflush(stderr);
  last_width_ = 0;
}

int ResolveThreads(int requested, const Topology& topo) {
  if (requested == 0) return topo.usable_threads;
  if (requested < 0) throw UsageError("--threads: must be positive");
  if (requested > topo.usable_threads) {
    throw UsageError(fmt::format("--threads: {} is more than the {} CPU(s) this process may use",
                                 requested, topo.usable_threads));
  }
  return requested;
}

Machine LoadOrProbeMachine(const std::string& path, const Topology& topo, int threads,
                           Progress* progress, double share) {
  if (!path.empty()) return LoadMachine(path);
  ProbeOptions popt;
  popt.quick = true;
  popt.threads = threads;
  popt.parts = {"clock", "compute", "bandwidth"};
  popt.progress = [&](const std::string& s, double d) {
    progress->Update("probe: " + s, share * d);
  };
  Machine m = RunProbe(topo, popt);
  m.notes.push_back("ceilings from a quick probe (no --machine given)");
  return m;
}

const CLI::Validator& WholeNumberAtLeastOne() {
  static const CLI::Validator v(
      [](std::string& text) -> std::string {
        try {
          ParseInt(text, 1, 999999999, "");  // at most nine digits: always fits an int
          return "";
        } catch (const UsageError&) {
          return "must be a whole number of at least 1, not '" + text + "'";
        }
      },
      "INT>=1");
  return v;
}

const CLI::Validator& PositiveAmount() {
  static const CLI::Validator v(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double x = text.empty() ? 0 : std::strtod(text.c_str(), &end);
        if (end != nullptr && *end == '\0' && std::isfinite(x) && x > 0) return "";
        return "must be a positive number such as 2.4e12, not '" + text + "'";
      },
      "NUMBER>0");
  return v;
}

uint64_t ParseProbeMaxBytes(const std::string& text) {
  const uint64_t bytes = ParseSize(text, "--max-bytes");
  if (bytes < (1u << 20))
    throw UsageError("--max-bytes: at least 1MiB is needed to see any cache level");
  CheckFitsInMemory(bytes, "--max-bytes");
  return bytes;
}

void WriteOutput(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    std::cout.flush();
    return;
  }
  WriteFileAtomic(path, text);
}

bool UnicodeLocale() {
  for (const char* var : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* v = std::getenv(var);
    if (v == nullptr || v[0] == '\0') continue;
    const std::string s(v);
    return s.find("UTF-8") != std::string::npos || s.find("utf8") != std::string::npos ||
           s.find("UTF8") != std::string::npos || s.find("utf-8") != std::string::npos;
  }
  return false;
}

void Say(const std::string& message) { std::fprintf(stderr, "roofprof: %s\n", message.c_str()); }

}  // namespace roofprof::cli
