// What we know about common cores' floating-point units, for theoretical peaks shown beside
// the measured ones. Per-architecture knowledge lives in src/arch/cpu_<arch>.cc.
#ifndef ROOFPROF_SRC_CPU_DB_H_
#define ROOFPROF_SRC_CPU_DB_H_

#include <string>

namespace roofprof {

struct CoreSpec {
  bool known = false;
  std::string name;                 // "Zen 5", "Neoverse V2", ...
  int fma_pipes = 0;                // vector FMA pipes per core
  int add_pipes = 0;                // pipes that execute a vector FP add (FMA pipes included where
                                    // adds issue there)
  bool separate_add_pipes = false;  // adds have their own pipes next to the FMA pipes (AMD Zen)
  int datapath_bits = 0;            // native width of one pipe; wider ops are split (Zen 4: 256)
  std::string why_unknown;          // when !known: what was seen
};

// A recognised core's entry.
inline CoreSpec KnownCore(const char* name, int fma_pipes, int add_pipes, bool separate_add_pipes,
                          int datapath_bits) {
  CoreSpec s;
  s.known = true;
  s.name = name;
  s.fma_pipes = fma_pipes;
  s.add_pipes = add_pipes;
  s.separate_add_pipes = separate_add_pipes;
  s.datapath_bits = datapath_bits;
  return s;
}

// Recognises the core this process runs on (x86 CPUID, Arm MIDR, ...). Never throws.
CoreSpec RecognizeCore();

// Theoretical GFLOP/s for `threads` cores at `ghz` running vectors of `vector_bits` with
// elements of `elem_bits`; op is "fma", "mul+add" (no FMA instruction), "add" or "fma+add". NaN
// when the core is unknown, the op does not apply (fma+add without separate add pipes) or the width
// is unknown.
double TheoreticalGflops(const CoreSpec& core, double ghz, int vector_bits, int elem_bits,
                         const std::string& op, int threads);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_CPU_DB_H_
