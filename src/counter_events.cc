// Per-vendor hardware event tables. Event and umask spellings are libpfm4's (the tables PAPI's
// perf_event component resolves names with); tests resolve every name here through PAPI with
// libpfm4 forced to each PMU model, so a misspelling fails the build's tests, not a user's run.
#include "src/counter_events.h"

#include <papi.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>

namespace roofprof {

const char* QuantityName(Quantity q) {
  switch (q) {
    case Quantity::kFlops:
      return "flops";
    case Quantity::kBytesL1:
      return "bytes_L1";
    case Quantity::kBytesL2:
      return "bytes_L2";
    case Quantity::kBytesL3:
      return "bytes_L3";
    case Quantity::kBytesDram:
      return "bytes_DRAM";
    case Quantity::kCycles:
      return "cycles";
    case Quantity::kInstructions:
      return "instructions";
  }
  return "?";
}

Quantity BytesQuantity(int level) {
  return static_cast<Quantity>(static_cast<int>(Quantity::kBytesL1) + std::clamp(level, 0, 3));
}

const char* CpuFamilyName(CpuFamily f) {
  switch (f) {
    case CpuFamily::kIntel:
      return "Intel";
    case CpuFamily::kAmdZen1:
      return "AMD Zen 1";
    case CpuFamily::kAmdZen:
      return "AMD Zen 2+";
    case CpuFamily::kArm:
      return "Arm";
    default:
      return "unknown";
  }
}

CpuFamily FamilyFromPmu(const std::string& pmu, int papi_vendor) {
  if (pmu.rfind("amd64_fam17h_zen1", 0) == 0) return CpuFamily::kAmdZen1;
  // amd64_fam17h_zen2, amd64_fam19h_zen3/zen4, amd64_fam1ah_zen5 and later.
  if (std::regex_search(pmu, std::regex("^amd64_fam[0-9a-f]+h_zen[2-9]")))
    return CpuFamily::kAmdZen;
  if (pmu.rfind("amd64_", 0) == 0) return CpuFamily::kUnknown;  // pre-Zen AMD
  if (pmu.rfind("arm_", 0) == 0) return CpuFamily::kArm;
  // libpfm4's Intel core PMUs carry no vendor prefix: recognise their names, and trust PAPI's
  // vendor for names newer than this list.
  static const std::regex intel(
      "^(nhm|wsm|snb|ivb|hsw|bdw|skl|skx|clx|icl|icx|tgl|rkl|spr|emr|gnr|srf|adl|mtl|arl|lnl|"
      "knl|knm|slm|glm|gnm|tmt)(_|$)");
  if (std::regex_search(pmu, intel)) return CpuFamily::kIntel;
  if (papi_vendor == PAPI_VENDOR_INTEL && !pmu.empty() && pmu.rfind("perf", 0) != 0) {
    return CpuFamily::kIntel;
  }
  return CpuFamily::kUnknown;
}

double IntelFpArithWeight(int vector_bits, int element_bits) {
  if (vector_bits == 0) return 1;
  return static_cast<double>(vector_bits) / element_bits;
}

EventRecipe IntelFlopRecipe(int max_vector_bits) {
  struct Umask {
    const char* name;
    int vector_bits;
    int element_bits;
  };
  static constexpr Umask kUmasks[] = {
      {"SCALAR_SINGLE", 0, 32},        {"SCALAR_DOUBLE", 0, 64},
      {"128B_PACKED_SINGLE", 128, 32}, {"128B_PACKED_DOUBLE", 128, 64},
      {"256B_PACKED_SINGLE", 256, 32}, {"256B_PACKED_DOUBLE", 256, 64},
      {"512B_PACKED_SINGLE", 512, 32}, {"512B_PACKED_DOUBLE", 512, 64},
  };
  // Group umasks by weight: one counter counts the OR of its umasks, and every instruction it
  // counts carries the same number of FLOPs.
  std::map<double, std::string> by_weight;
  for (const Umask& u : kUmasks) {
    if (u.vector_bits > max_vector_bits) continue;
    by_weight[IntelFpArithWeight(u.vector_bits, u.element_bits)] += std::string(":") + u.name;
  }
  EventRecipe r;
  r.label = "FP_ARITH_INST_RETIRED x lanes";
  for (const auto& [weight, umasks] : by_weight) {
    r.terms.push_back({"FP_ARITH_INST_RETIRED" + umasks, weight});
  }
  r.note =
      "retired SSE/AVX arithmetic instructions times their lanes; the event counts an FMA "
      "twice; x87 and AMX work are not counted";
  return r;
}

double ArmScalableWeight(int sve_bits) { return sve_bits / 128.0; }

namespace {

EventRecipe Single(const std::string& label, const std::string& event, double weight,
                   const std::string& note) {
  return EventRecipe{label, {{event, weight}}, EventScope::kThread, note};
}

// PAPI's presets first; the family's native events where PAPI has no preset mapping for the
// core (PAPI 7.0 has none for Sapphire Rapids or Zen 4, for example).
QuantityEvents Cycles(const char* native) {
  QuantityEvents q{Quantity::kCycles,
                   {Single("PAPI_TOT_CYC", "PAPI_TOT_CYC", 1, "core cycles while the thread runs")},
                   ""};
  if (native) q.recipes.push_back(Single(native, native, 1, "core cycles while the thread runs"));
  return q;
}

QuantityEvents Instructions(const char* native) {
  QuantityEvents q{Quantity::kInstructions,
                   {Single("PAPI_TOT_INS", "PAPI_TOT_INS", 1, "retired instructions")},
                   ""};
  if (native) q.recipes.push_back(Single(native, native, 1, "retired instructions"));
  return q;
}

QuantityEvents NoL1Bytes() {
  return {Quantity::kBytesL1,
          {},
          "no counter gives the bytes loads and stores move: instruction counts lack their "
          "widths, so bytes_L1 comes from the model or its SDE count"};
}

// PMU names matching `pattern` among the uncore PMUs, in order.
std::vector<std::string> UncorePmus(const EventTableOptions& opt, const char* pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (const std::string& p : opt.uncore_pmus) {
    if (std::regex_search(p, re)) out.push_back(p);
  }
  return out;
}

std::vector<QuantityEvents> IntelTable(const EventTableOptions& opt) {
  const double line = opt.line_bytes;
  std::vector<QuantityEvents> t;
  t.push_back({Quantity::kFlops,
               {IntelFlopRecipe(512), IntelFlopRecipe(256)},
               "this Intel core has no FP_ARITH_INST_RETIRED (it arrived with Broadwell); the "
               "older FP_COMP_OPS_EXE counts executed, re-dispatched uops and over-counts, so it "
               "is not used"});
  t.push_back(NoL1Bytes());
  t.push_back({Quantity::kBytesL2,
               {Single("L1D.REPLACEMENT x line", "L1D:REPLACEMENT", line,
                       "lines filled into L1D (demand and prefetch); write-backs to L2 are not "
                       "counted")},
               ""});
  t.push_back({Quantity::kBytesL3,
               {Single("L2_LINES_IN.ALL x line", "L2_LINES_IN:ALL", line,
                       "lines filled into L2 (demand and prefetch); write-backs to L3 are not "
                       "counted")},
               ""});
  QuantityEvents dram{Quantity::kBytesDram, {}, ""};
  // Integrated memory controller channels: each CAS command moves one 64-byte burst.
  const std::vector<std::string> imcs = UncorePmus(opt, "_unc_imc[0-9]+$");
  if (!imcs.empty()) {
    EventRecipe r;
    r.label = "UNC_M_CAS_COUNT.RD+WR x 64 over " + std::to_string(imcs.size()) + " channels";
    for (const std::string& pmu : imcs) {
      r.terms.push_back({pmu + "::UNC_M_CAS_COUNT:RD", 64});
      r.terms.push_back({pmu + "::UNC_M_CAS_COUNT:WR", 64});
    }
    r.scope = EventScope::kSocket;
    r.note =
        "memory controller reads and writes of the whole socket: other processes' traffic "
        "is included";
    dram.recipes.push_back(r);
  }
  dram.recipes.push_back(Single("LONGEST_LAT_CACHE.MISS x line", "LONGEST_LAT_CACHE:MISS", line,
                                "core requests (demand, RFO, prefetch) that miss L3: reads from "
                                "memory; write-backs are not counted"));
  t.push_back(dram);
  // Intel's architectural events, present on every Intel core.
  t.push_back(Cycles("UNHALTED_CORE_CYCLES"));
  t.push_back(Instructions("INSTRUCTION_RETIRED"));
  return t;
}

// Zen generations spell the fill-source and prefetcher umasks differently; each generation
// gets its own recipes and the first whose events all exist wins.
struct ZenSpelling {
  const char* generation;
  std::vector<std::string> l1_fills;    // sum: every L1D fill, demand and prefetch
  std::vector<std::string> l2_fills;    // sum: every L2 fill (from L3 or beyond)
  std::vector<std::string> dram_fills;  // sum: lines read from memory
};

std::vector<ZenSpelling> ZenSpellings() {
  const std::string l2_miss = "CORE_TO_L2_CACHEABLE_REQUEST_ACCESS_STATUS:LS_RD_BLK_C";
  // Zen 4's L2 prefetchers (its L1_* umasks are L1 prefetcher requests, which LS_RD_BLK_C
  // already counts).
  const std::string zen4_pf = ":L2_STREAM:L2_NEXT_LINE:L2_UP_DOWN:L2_BURST:L2_STRIDE";
  return {
      // libpfm4 releases after 4.13 add Zen 5. Its fill-source umasks are renamed; its
      // L2-prefetch miss event carries fill-source umasks whose meaning is unclear, so only the
      // L1D fills are used.
      {"Zen 5",
       {"ANY_DATA_CACHE_FILLS_FROM_SYSTEM:LCL_L2:LOCAL_CCX:NEAR_FAR_CACHE_NEAR:DRAM_IO_NEAR:"
        "NEAR_FAR_CACHE_FAR:DRAM_IO_FAR:ALT_MEM_NEAR_FAR"},
       {},
       {}},
      {"Zen 4",
       {"ANY_DATA_CACHE_FILLS_FROM_SYSTEM:LCL_L2:LOCAL_CCX:NEAR_CACHE_NEAR_FAR:DRAM_IO_NEAR:"
        "FAR_CACHE_NEAR_FAR:DRAM_IO_FAR:ALT_MEM_NEAR_FAR"},
       {l2_miss, "L2_PREFETCH_HIT_L3" + zen4_pf, "L2_PREFETCH_MISS_L3" + zen4_pf},
       {"ANY_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_NEAR:DRAM_IO_FAR",
        "L2_PREFETCH_MISS_L3" + zen4_pf}},
      {"Zen 3",
       {"ANY_DATA_CACHE_FILLS_FROM_SYSTEM:LCL_L2:INT_CACHE:EXT_CACHE_LCL:MEM_IO_LCL:"
        "EXT_CACHE_RMT:MEM_IO_RMT"},
       {l2_miss, "L2_PREFETCH_HIT_L3:L2_HW_PREFETCHER", "L2_PREFETCH_MISS_L3:L2_HW_PREFETCHER"},
       {"ANY_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_LCL:MEM_IO_RMT",
        "L2_PREFETCH_MISS_L3:L2_HW_PREFETCHER"}},
      {"Zen 2",
       {"DATA_CACHE_REFILLS_FROM_SYSTEM:MABRESP_LCL_L2:LS_MABRESP_LCL_CACHE:LS_MABRESP_LCL_DRAM:"
        "LS_MABRESP_RMT_CACHE:LS_MABRESP_RMT_DRAM",
        "HARDWARE_PREFETCH_DATA_CACHE_FILLS:MABRESP_LCL_L2:LS_MABRESP_LCL_CACHE:"
        "LS_MABRESP_LCL_DRAM:LS_MABRESP_RMT_CACHE:LS_MABRESP_RMT_DRAM"},
       {l2_miss, "L2_PREFETCH_HIT_L3:ANY", "L2_PREFETCH_MISS_L3:ANY"},
       {"DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_LCL_DRAM:LS_MABRESP_RMT_DRAM",
        "HARDWARE_PREFETCH_DATA_CACHE_FILLS:LS_MABRESP_LCL_DRAM:LS_MABRESP_RMT_DRAM",
        "L2_PREFETCH_MISS_L3:ANY"}},
  };
}

// A recipe of `events`, each weighted by one cache line; none when `events` is empty.
void AddLineRecipe(QuantityEvents* q, const std::string& label,
                   const std::vector<std::string>& events, double line, const std::string& note) {
  if (events.empty()) return;
  EventRecipe r{label, {}, EventScope::kThread, note};
  for (const std::string& e : events) r.terms.push_back({e, line});
  q->recipes.push_back(r);
}

std::vector<QuantityEvents> AmdZenTable(const EventTableOptions& opt, bool zen1) {
  const double line = opt.line_bytes;
  std::vector<QuantityEvents> t;
  if (zen1) {
    t.push_back(
        {Quantity::kFlops,
         {Single("RETIRED_SSE_AVX_OPERATIONS",
                 "RETIRED_SSE_AVX_OPERATIONS:SP_ADD_SUB_FLOPS:SP_MULT_FLOPS:SP_DIV_FLOPS:"
                 "SP_MULT_ADD_FLOPS:DP_ADD_SUB_FLOPS:DP_MULT_FLOPS:DP_DIV_FLOPS:DP_MULT_ADD_FLOPS",
                 1,
                 "retired SSE/AVX FLOPs (lanes included); whether a multiply-add counts 2 is not "
                 "stated for this family, the self-check settles it")},
         ""});
  } else {
    t.push_back({Quantity::kFlops,
                 {Single("RETIRED_SSE_AVX_FLOPS", "RETIRED_SSE_AVX_FLOPS:ANY", 1,
                         "retired SSE/AVX FLOPs (lanes included, a MAC counts 2). It can count "
                         "above 15 per cycle and so needs the MergeEvent: Linux pairs its counter "
                         "with the merge counter itself, so it occupies two of the six counters")},
                 ""});
  }
  t.push_back(NoL1Bytes());
  QuantityEvents l2{Quantity::kBytesL2, {}, zen1 ? "no L1D fill event in this family's table" : ""};
  QuantityEvents l3{Quantity::kBytesL3, {}, zen1 ? "no L2 fill event in this family's table" : ""};
  QuantityEvents dram{Quantity::kBytesDram, {}, ""};
  const std::vector<std::string> l3_pmus = UncorePmus(opt, "_l3$");
  if (!l3_pmus.empty()) {
    EventRecipe r;
    r.label = "UNC_L3_MISSES x line";
    r.terms.push_back({l3_pmus.front() + "::UNC_L3_MISSES:ALL", line});
    r.scope = EventScope::kSocket;
    r.note =
        "misses of the L3 of the counted CPU's core complex, every core in it and every "
        "process included";
    dram.recipes.push_back(r);
  }
  if (!zen1) {
    for (const ZenSpelling& z : ZenSpellings()) {
      const std::string gen = std::string(" (") + z.generation + " names)";
      AddLineRecipe(&l2, "L1D fills x line" + gen, z.l1_fills, line,
                    "every L1D fill, demand and prefetch, from any source; write-backs to L2 "
                    "are not counted");
      AddLineRecipe(&l3, "L2 misses x line" + gen, z.l2_fills, line,
                    "data requests missing L2 plus L2-prefetcher lines fetched from L3 or "
                    "memory; write-backs are not counted");
      AddLineRecipe(&dram, "fills from memory x line" + gen, z.dram_fills, line,
                    "L1D fills sourced from memory plus L2-prefetcher misses of L3: reads only, "
                    "write-backs are not counted");
    }
  }
  if (dram.recipes.empty()) dram.none = "no memory-traffic event in this family's table";
  t.push_back(l2);
  t.push_back(l3);
  t.push_back(dram);
  t.push_back(Cycles("CYCLES_NOT_IN_HALT"));
  t.push_back(Instructions("RETIRED_INSTRUCTIONS"));
  return t;
}

std::vector<QuantityEvents> ArmTable(const EventTableOptions& opt) {
  const double line = opt.line_bytes;
  std::vector<QuantityEvents> t;
  QuantityEvents flops{Quantity::kFlops,
                       {},
                       "this core has no FP_FIXED_OPS_SPEC / FP_SCALE_OPS_SPEC; ASE_SPEC and "
                       "VFP_SPEC count instructions without their widths, which is not FLOPs"};
  if (opt.sve_bits > 0) {
    flops.recipes.push_back(
        {"FP_SCALE_OPS_SPEC x VL/128 + FP_FIXED_OPS_SPEC",
         {{"FP_SCALE_OPS_SPEC", ArmScalableWeight(opt.sve_bits)}, {"FP_FIXED_OPS_SPEC", 1}},
         EventScope::kThread,
         "speculatively executed FP operations (an FMA counts 2): SVE ones per 128-bit granule, "
         "scaled by the " +
             std::to_string(opt.sve_bits) +
             "-bit vector length, plus scalar and NEON ones; wrong-path work adds a little"});
  } else {
    flops.recipes.push_back(Single("FP_FIXED_OPS_SPEC", "FP_FIXED_OPS_SPEC", 1,
                                   "speculatively executed scalar and NEON FP operations (an FMA "
                                   "counts 2); wrong-path work adds a little"));
  }
  t.push_back(flops);
  t.push_back(NoL1Bytes());
  t.push_back({Quantity::kBytesL2,
               {Single("L1D_CACHE_REFILL x line", "L1D_CACHE_REFILL", line,
                       "L1D refills; write-backs are not counted")},
               ""});
  t.push_back({Quantity::kBytesL3,
               {Single("L2D_CACHE_REFILL x line", "L2D_CACHE_REFILL", line,
                       "L2 refills; write-backs are not counted")},
               ""});
  t.push_back({Quantity::kBytesDram,
               {Single("L3D_CACHE_REFILL x line", "L3D_CACHE_REFILL", line,
                       "reads the L3 had to fetch from outside it (system cache or memory)"),
                Single("LL_CACHE_MISS_RD x line", "LL_CACHE_MISS_RD", line,
                       "last-level cache read misses")},
               ""});
  // Armv8's common architectural events.
  t.push_back(Cycles("CPU_CYCLES"));
  t.push_back(Instructions("INST_RETIRED"));
  return t;
}

}  // namespace

std::vector<QuantityEvents> HardwareEventTable(CpuFamily family, const EventTableOptions& opt) {
  switch (family) {
    case CpuFamily::kIntel:
      return IntelTable(opt);
    case CpuFamily::kAmdZen1:
      return AmdZenTable(opt, true);
    case CpuFamily::kAmdZen:
      return AmdZenTable(opt, false);
    case CpuFamily::kArm:
      return ArmTable(opt);
    default:
      break;
  }
  // Unknown core: PAPI's presets still give cycles and instructions.
  std::vector<QuantityEvents> t;
  for (Quantity q : kAllQuantities) {
    if (q == Quantity::kCycles) {
      t.push_back(Cycles(nullptr));
    } else if (q == Quantity::kInstructions) {
      t.push_back(Instructions(nullptr));
    } else {
      t.push_back({q, {}, "roofprof has no event table for this CPU"});
    }
  }
  return t;
}

const EventRecipe* ChooseRecipe(const QuantityEvents& q,
                                const std::function<bool(const std::string&)>& exists,
                                std::string* why) {
  std::string reasons;
  for (const EventRecipe& r : q.recipes) {
    std::string missing;
    for (const EventTerm& t : r.terms) {
      if (!exists(t.event)) missing += (missing.empty() ? "" : ", ") + t.event;
    }
    if (missing.empty()) return &r;
    reasons += (reasons.empty() ? "" : "; ") + r.label + ": missing " + missing;
  }
  if (why) *why = q.recipes.empty() ? q.none : reasons;
  return nullptr;
}

double CombineTerms(const EventRecipe& recipe, const std::vector<double>& counts) {
  double sum = 0;
  for (size_t i = 0; i < recipe.terms.size() && i < counts.size(); ++i) {
    sum += recipe.terms[i].weight * counts[i];
  }
  return sum;
}

std::string DescribeTerm(const EventTerm& term) {
  char weight[32];
  std::snprintf(weight, sizeof(weight), "%g", term.weight);
  return term.event + " x" + weight;
}

}  // namespace roofprof
