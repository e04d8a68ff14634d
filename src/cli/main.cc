// roofprof command line (provisional: probe only).
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "probes/probe.h"
#include "src/io.h"
#include "src/topology.h"

int main(int argc, char** argv) {
  using namespace roofprof;
  CLI::App app{"roofprof"};
  auto* probe = app.add_subcommand("probe", "measure the machine");
  bool quick = false;
  std::string json;
  probe->add_flag("--quick", quick);
  probe->add_option("--json", json);
  CLI11_PARSE(app, argc, argv);
  Topology topo = DetectTopology();
  ProbeOptions opt;
  opt.quick = quick;
  opt.progress = [](const std::string& s, double f) { std::fprintf(stderr, "\r[%3.0f%%] %-70s", f * 100, s.c_str()); };
  Machine m = RunProbe(topo, opt);
  std::fprintf(stderr, "\n");
  const std::string text = MachineToJsonText(m);
  if (!json.empty()) WriteFileAtomic(json, text); else std::cout << text;
}
