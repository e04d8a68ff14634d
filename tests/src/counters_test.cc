// Counter layer: the diagnosis of each environment, PAPI error paths, the per-vendor event
// tables (weights, and every name resolved through PAPI with libpfm4 forced to each PMU), and
// the hardware counting path, which skips with the status's reason where there is no PMU.
#include "src/counters.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>

#include "probes/peak_flops.h"
#include "src/counter_events.h"
#include "src/sde.h"
#include "src/targets.h"
#include "src/topology.h"

namespace roofprof {
namespace {

// ---------------------------------------------------------------------------------------------
// Status and diagnosis

TEST(CounterStatus, SaysPlainlyWhatWorksHere) {
  const CounterStatus& s = GetCounterStatus();
  std::cout << "[ status   ] " << s.Line() << "\n";
  ASSERT_TRUE(s.papi_ok) << s.papi_error;
  EXPECT_EQ(s.papi_version.rfind("7.", 0), 0u) << s.papi_version;
  bool perf = false, sde = false;
  for (const PapiComponent& c : s.components) {
    perf = perf || c.name == "perf_event";
    sde = sde || c.name == "sde";
    if (c.disabled) {
      EXPECT_FALSE(c.disabled_reason.empty()) << c.name;
    }
  }
  EXPECT_TRUE(perf);
  EXPECT_TRUE(sde);
  // The build links libsde into the test binary, so PAPI's sde component finds it.
  EXPECT_TRUE(s.sde_usable) << s.sde_reason;
  if (s.hardware_usable) {
    EXPECT_TRUE(s.hardware_reason.empty());
    EXPECT_GT(s.hardware_counters, 0);
    EXPECT_NE(s.Line().find("available (PMU"), std::string::npos);
  } else {
    EXPECT_FALSE(s.hardware_reason.empty());
    EXPECT_FALSE(s.hardware_fix.empty());
    EXPECT_NE(s.Line().find(s.hardware_reason), std::string::npos);
    EXPECT_NE(s.Line().find(s.hardware_fix), std::string::npos);
  }
  EXPECT_GT(s.table_options.line_bytes, 0);
}

TEST(CounterStatus, IsComputedOnceAndThreadIdsAreUniquePerThread) {
  const CounterStatus* first = &GetCounterStatus();
  unsigned long ids[4] = {};
#pragma omp parallel num_threads(4)
  {
#pragma omp critical
    for (unsigned long& id : ids) {
      if (id == 0) {
        id = PapiThreadId();
        break;
      }
    }
    EXPECT_EQ(&GetCounterStatus(), first);
  }
  EXPECT_EQ(PapiThreadId(), PapiThreadId());
  // Threads of the pool each get their own id (OpenMP may run fewer than 4 threads).
  for (int i = 0; i < 4; ++i) {
    for (int j = i + 1; j < 4; ++j) {
      if (ids[i] != 0 && ids[j] != 0) {
        EXPECT_NE(ids[i], ids[j]);
      }
    }
  }
}

CounterFacts BareMetalFacts() {
  CounterFacts f;
  f.papi_ok = true;
  f.perf_component = true;
  f.perf_disabled = false;
  f.perf_counters = 6;
  f.kernel_cpu_pmu = true;
  f.kernel_pmus = "cpu, software, tracepoint";
  f.paranoid = 2;
  f.perf_open_errno = 0;
  f.cpu = "AuthenticAMD family 25 model 17 (AMD EPYC 9654)";
  return f;
}

TEST(DiagnoseHardwareCounters, UsableOnBareMetal) {
  const CounterDiagnosis d = DiagnoseHardwareCounters(BareMetalFacts());
  EXPECT_TRUE(d.usable);
  EXPECT_TRUE(d.reason.empty());
}

TEST(DiagnoseHardwareCounters, VirtualMachineWithoutVpmu) {
  CounterFacts f = BareMetalFacts();
  f.kernel_cpu_pmu = false;
  f.kernel_pmus = "breakpoint, software, tracepoint";
  f.hypervisor = true;
  // libpfm4 knows the CPU, so PAPI enables perf_event; the kernel still has nothing to count.
  CounterDiagnosis d = DiagnoseHardwareCounters(f);
  EXPECT_FALSE(d.usable);
  EXPECT_NE(d.reason.find("virtual machine without a virtual PMU"), std::string::npos);
  EXPECT_NE(d.fix.find("run on bare metal or enable the vPMU"), std::string::npos);
  EXPECT_EQ(d.reason.find("libpfm4"), std::string::npos);
  // When libpfm4 does not know the CPU either, both problems are named.
  f.perf_disabled = true;
  f.perf_disabled_reason = "Error libpfm4 no default PMU found";
  d = DiagnoseHardwareCounters(f);
  EXPECT_NE(d.reason.find("virtual machine"), std::string::npos);
  EXPECT_NE(d.reason.find("libpfm4 has no event table for AuthenticAMD family 25"),
            std::string::npos);
  EXPECT_NE(d.fix.find("newer PAPI/libpfm4"), std::string::npos);
}

TEST(DiagnoseHardwareCounters, NoPmuDriverOnBareMetal) {
  CounterFacts f = BareMetalFacts();
  f.kernel_cpu_pmu = false;
  f.kernel_pmus = "software, tracepoint";
  const CounterDiagnosis d = DiagnoseHardwareCounters(f);
  EXPECT_FALSE(d.usable);
  EXPECT_NE(d.reason.find("no CPU PMU driver"), std::string::npos);
}

TEST(DiagnoseHardwareCounters, UnlistableEventSourcesAreNotTakenAsMissingPmu) {
  CounterFacts f = BareMetalFacts();
  f.kernel_cpu_pmu = false;
  f.kernel_pmus = "";
  EXPECT_TRUE(DiagnoseHardwareCounters(f).usable);
}

TEST(DiagnoseHardwareCounters, LibpfmDoesNotKnowTheCpu) {
  CounterFacts f = BareMetalFacts();
  f.perf_disabled = true;
  f.perf_disabled_reason = "Error libpfm4 no default PMU found";
  const CounterDiagnosis d = DiagnoseHardwareCounters(f);
  EXPECT_FALSE(d.usable);
  EXPECT_NE(d.reason.find("libpfm4 has no event table"), std::string::npos);
  EXPECT_NE(d.fix.find("newer PAPI/libpfm4"), std::string::npos);
}

TEST(DiagnoseHardwareCounters, ParanoidLevelBlocksPerfEventOpen) {
  CounterFacts f = BareMetalFacts();
  f.paranoid = 3;
  f.perf_open_errno = EACCES;
  CounterDiagnosis d = DiagnoseHardwareCounters(f);
  EXPECT_FALSE(d.usable);
  EXPECT_NE(d.reason.find("perf_event_paranoid=3"), std::string::npos);
  EXPECT_NE(d.fix.find("sudo sysctl kernel.perf_event_paranoid=1"), std::string::npos);
  // Root is not bound by the paranoid level: then the refusal has another cause.
  f.privileged = true;
  d = DiagnoseHardwareCounters(f);
  EXPECT_EQ(d.reason.find("forbids"), std::string::npos);
  // PAPI saying so itself gets the same fix.
  f = BareMetalFacts();
  f.perf_disabled = true;
  f.perf_disabled_reason = "perf_event support disabled by Linux with paranoid=4";
  d = DiagnoseHardwareCounters(f);
  EXPECT_NE(d.fix.find("perf_event_paranoid"), std::string::npos);
}

TEST(DiagnoseHardwareCounters, ContainerSeccompBlocksPerfEventOpen) {
  CounterFacts f = BareMetalFacts();
  f.container = true;
  f.perf_open_errno = EPERM;
  const CounterDiagnosis d = DiagnoseHardwareCounters(f);
  EXPECT_FALSE(d.usable);
  EXPECT_NE(d.reason.find("container"), std::string::npos);
  EXPECT_NE(d.fix.find("seccomp"), std::string::npos);
}

TEST(DiagnoseHardwareCounters, KernelWithoutPerfEventsOrPapi) {
  CounterFacts f = BareMetalFacts();
  f.perf_open_errno = ENOSYS;
  EXPECT_NE(DiagnoseHardwareCounters(f).fix.find("CONFIG_PERF_EVENTS"), std::string::npos);
  f = BareMetalFacts();
  f.papi_ok = false;
  f.papi_error = "PAPI_library_init: PAPI_ESYS";
  const CounterDiagnosis d = DiagnoseHardwareCounters(f);
  EXPECT_FALSE(d.usable);
  EXPECT_NE(d.reason.find("PAPI_ESYS"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// PAPI error paths, through the real PAPI

TEST(PapiErrors, UnknownEventNameSaysSo) {
  std::string why;
  EXPECT_FALSE(EventAvailable("ROOFPROF_NO_SUCH_EVENT", &why));
  EXPECT_NE(why.find("no event named 'ROOFPROF_NO_SUCH_EVENT'"), std::string::npos) << why;
  EXPECT_NE(why.find("papi_native_avail"), std::string::npos);
  PapiEventSet set;
  ASSERT_TRUE(set.created().ok()) << set.created().message;
  const PapiResult r = set.Add("ROOFPROF_NO_SUCH_EVENT");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message.find("no event named"), std::string::npos) << r.message;
  EXPECT_TRUE(set.events().empty());
}

TEST(PapiErrors, DisabledPerfEventComponentGivesItsReason) {
  const CounterStatus& s = GetCounterStatus();
  const PapiComponent* perf = nullptr;
  for (const PapiComponent& c : s.components) {
    if (c.name == "perf_event") perf = &c;
  }
  ASSERT_NE(perf, nullptr);
  if (!perf->disabled) GTEST_SKIP() << "perf_event is enabled here; nothing disabled to report";
  std::string why;
  EXPECT_FALSE(EventAvailable("PAPI_TOT_CYC", &why));
  EXPECT_NE(why.find(perf->disabled_reason), std::string::npos) << why;
  PapiEventSet set;
  const PapiResult r = set.Add("PAPI_TOT_CYC");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message.find("perf_event"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find(perf->disabled_reason), std::string::npos) << r.message;
}

TEST(PapiErrors, RunningSetRefusesChangesAndStoppedSetRefusesStop) {
  ASSERT_TRUE(GetCounterStatus().sde_usable) << GetCounterStatus().sde_reason;
  PapiEventSet set;
  std::vector<long long> values;
  PapiResult r = set.Start();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message.find("no events"), std::string::npos) << r.message;
  ASSERT_TRUE(set.Add(SdeEventName(Quantity::kFlops)).ok());
  r = set.Stop(&values);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message.find("not counting"), std::string::npos) << r.message;
  ASSERT_TRUE(set.Start().ok());
  r = set.Add(SdeEventName(Quantity::kBytesL1));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message.find("the event set is counting"), std::string::npos) << r.message;
  r = set.Start();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message.find("already counting"), std::string::npos) << r.message;
  EXPECT_TRUE(set.Stop(&values).ok());
  EXPECT_EQ(values.size(), 1u);
}

TEST(PapiErrors, OneEventSetPerComponent) {
  const CounterStatus& s = GetCounterStatus();
  ASSERT_TRUE(s.sde_usable) << s.sde_reason;
  PapiEventSet set;
  ASSERT_TRUE(set.Add(SdeEventName(Quantity::kFlops)).ok());
  const PapiResult r = set.Add("PAPI_TOT_CYC");
  EXPECT_FALSE(r.ok());
  // Where the hardware event cannot be counted here at all (component disabled, or a preset
  // with no native event on this CPU), that reason comes first; otherwise the set belongs to sde.
  std::string why;
  if (!EventAvailable("PAPI_TOT_CYC", &why)) {
    EXPECT_NE(r.message.find(why), std::string::npos) << r.message;
  } else {
    EXPECT_NE(r.message.find("one event set per component"), std::string::npos) << r.message;
  }
}

TEST(PapiErrors, ErrorTextNamesTheCode) {
  EXPECT_NE(PapiErrorText(-8).find("PAPI_ECNFLCT"), std::string::npos);
  EXPECT_NE(PapiErrorText(-10).find("PAPI_EISRUN"), std::string::npos);
  EXPECT_TRUE((PapiResult{-8, ""}).conflict());
  EXPECT_FALSE((PapiResult{-7, ""}).conflict());
}

// ---------------------------------------------------------------------------------------------
// Event tables (pure)

TEST(EventTables, IntelWeightsAreLanes) {
  EXPECT_EQ(IntelFpArithWeight(0, 32), 1);
  EXPECT_EQ(IntelFpArithWeight(0, 64), 1);
  EXPECT_EQ(IntelFpArithWeight(128, 64), 2);
  EXPECT_EQ(IntelFpArithWeight(128, 32), 4);
  EXPECT_EQ(IntelFpArithWeight(256, 64), 4);
  EXPECT_EQ(IntelFpArithWeight(256, 32), 8);
  EXPECT_EQ(IntelFpArithWeight(512, 64), 8);
  EXPECT_EQ(IntelFpArithWeight(512, 32), 16);
}

TEST(EventTables, IntelFlopRecipeGroupsUmasksOfEqualWeight) {
  const EventRecipe avx512 = IntelFlopRecipe(512);
  ASSERT_EQ(avx512.terms.size(), 5u);  // weights 1, 2, 4, 8, 16
  EXPECT_EQ(avx512.terms[0].event, "FP_ARITH_INST_RETIRED:SCALAR_SINGLE:SCALAR_DOUBLE");
  EXPECT_EQ(avx512.terms[2].event, "FP_ARITH_INST_RETIRED:128B_PACKED_SINGLE:256B_PACKED_DOUBLE");
  EXPECT_EQ(avx512.terms[4].event, "FP_ARITH_INST_RETIRED:512B_PACKED_SINGLE");
  const EventRecipe avx2 = IntelFlopRecipe(256);
  ASSERT_EQ(avx2.terms.size(), 4u);
  for (const EventTerm& t : avx2.terms) EXPECT_EQ(t.event.find("512B"), std::string::npos);
  // A loop of n 512-bit fp64 FMAs and m scalar fp32 adds: the event counts each FMA twice,
  // so the 256S:512D counter reads 2n and the scalar one m; FLOPs are 16n + m.
  const double n = 1000, m = 7;
  EXPECT_EQ(CombineTerms(avx512, {m, 0, 0, 2 * n, 0}), 16 * n + m);
  // 256-bit fp32 FMAs on an AVX2 core: 8 lanes x 2.
  EXPECT_EQ(CombineTerms(avx2, {0, 0, 0, 2 * n}), 16 * n);
}

TEST(EventTables, AmdCountsFlopsDirectly) {
  const auto table = HardwareEventTable(CpuFamily::kAmdZen, EventTableOptions{});
  const EventRecipe& r = table[static_cast<size_t>(Quantity::kFlops)].recipes.at(0);
  ASSERT_EQ(r.terms.size(), 1u);
  EXPECT_EQ(r.terms[0].event, "RETIRED_SSE_AVX_FLOPS:ANY");
  EXPECT_EQ(r.terms[0].weight, 1);
  EXPECT_NE(r.note.find("MergeEvent"), std::string::npos);
}

TEST(EventTables, ArmScalesScalableOpsByVectorLength) {
  EXPECT_EQ(ArmScalableWeight(128), 1);
  EXPECT_EQ(ArmScalableWeight(256), 2);
  EXPECT_EQ(ArmScalableWeight(512), 4);
  EventTableOptions opt;
  opt.sve_bits = 512;  // A64FX
  opt.line_bytes = 256;
  const auto table = HardwareEventTable(CpuFamily::kArm, opt);
  const EventRecipe& flops = table[static_cast<size_t>(Quantity::kFlops)].recipes.at(0);
  ASSERT_EQ(flops.terms.size(), 2u);
  EXPECT_EQ(flops.terms[0].event, "FP_SCALE_OPS_SPEC");
  EXPECT_EQ(flops.terms[1].event, "FP_FIXED_OPS_SPEC");
  // 10 scalable ops counted per 128-bit granule on 512-bit vectors, plus 3 scalar ones.
  EXPECT_EQ(CombineTerms(flops, {10, 3}), 43);
  const EventRecipe& l1 = table[static_cast<size_t>(Quantity::kBytesL2)].recipes.at(0);
  EXPECT_EQ(l1.terms.at(0).weight, 256);  // fills move whole lines
  opt.sve_bits = 0;
  const auto neon = HardwareEventTable(CpuFamily::kArm, opt);
  ASSERT_EQ(neon[0].recipes.at(0).terms.size(), 1u);
  EXPECT_EQ(neon[0].recipes.at(0).terms[0].event, "FP_FIXED_OPS_SPEC");
}

TEST(EventTables, EveryFamilyHasEveryQuantityInOrder) {
  for (CpuFamily f : {CpuFamily::kIntel, CpuFamily::kAmdZen1, CpuFamily::kAmdZen, CpuFamily::kArm,
                      CpuFamily::kUnknown}) {
    const auto table = HardwareEventTable(f, EventTableOptions{});
    ASSERT_EQ(table.size(), static_cast<size_t>(kNumQuantities)) << CpuFamilyName(f);
    for (int i = 0; i < kNumQuantities; ++i) {
      const QuantityEvents& q = table[static_cast<size_t>(i)];
      EXPECT_EQ(static_cast<int>(q.quantity), i);
      // A quantity without recipes says why.
      if (q.recipes.empty()) {
        EXPECT_FALSE(q.none.empty()) << QuantityName(q.quantity);
      }
      for (const EventRecipe& r : q.recipes) {
        EXPECT_FALSE(r.terms.empty());
        for (const EventTerm& t : r.terms) EXPECT_GT(t.weight, 0) << t.event;
      }
    }
    EXPECT_EQ(table[static_cast<size_t>(Quantity::kCycles)].recipes.at(0).terms[0].event,
              "PAPI_TOT_CYC");
  }
}

TEST(EventTables, FamilyFromLibpfmPmuName) {
  EXPECT_EQ(FamilyFromPmu("skx", 1), CpuFamily::kIntel);
  EXPECT_EQ(FamilyFromPmu("spr", 1), CpuFamily::kIntel);
  EXPECT_EQ(FamilyFromPmu("amd64_fam17h_zen1", 2), CpuFamily::kAmdZen1);
  EXPECT_EQ(FamilyFromPmu("amd64_fam17h_zen2", 2), CpuFamily::kAmdZen);
  EXPECT_EQ(FamilyFromPmu("amd64_fam19h_zen4", 2), CpuFamily::kAmdZen);
  EXPECT_EQ(FamilyFromPmu("amd64_fam1ah_zen5", 2), CpuFamily::kAmdZen);
  EXPECT_EQ(FamilyFromPmu("amd64_fam15h_interlagos", 2), CpuFamily::kUnknown);
  EXPECT_EQ(FamilyFromPmu("arm_v1", 7), CpuFamily::kArm);
  EXPECT_EQ(FamilyFromPmu("adl_glc", 2), CpuFamily::kIntel);  // the name decides, not the vendor
  EXPECT_EQ(FamilyFromPmu("future_core", 1), CpuFamily::kIntel);
  EXPECT_EQ(FamilyFromPmu("future_core", 2), CpuFamily::kUnknown);
  EXPECT_EQ(FamilyFromPmu("", 1), CpuFamily::kUnknown);
  EXPECT_EQ(FamilyFromPmu("perf", 2), CpuFamily::kUnknown);
}

TEST(EventTables, UncoreMemoryControllersBecomeASocketRecipe) {
  EventTableOptions opt;
  opt.uncore_pmus = {"skx_unc_cha0", "skx_unc_imc0", "skx_unc_imc1", "skx_unc_imc_free"};
  const auto table = HardwareEventTable(CpuFamily::kIntel, opt);
  const QuantityEvents& dram = table[static_cast<size_t>(Quantity::kBytesDram)];
  ASSERT_EQ(dram.recipes.size(), 2u);
  const EventRecipe& imc = dram.recipes[0];
  EXPECT_EQ(imc.scope, EventScope::kSocket);
  ASSERT_EQ(imc.terms.size(), 4u);  // RD and WR of imc0 and imc1
  EXPECT_EQ(imc.terms[0].event, "skx_unc_imc0::UNC_M_CAS_COUNT:RD");
  EXPECT_EQ(imc.terms[3].event, "skx_unc_imc1::UNC_M_CAS_COUNT:WR");
  EXPECT_EQ(dram.recipes[1].scope, EventScope::kThread);
  opt.uncore_pmus = {"amd64_fam19h_zen3_l3"};
  const auto amd = HardwareEventTable(CpuFamily::kAmdZen, opt);
  EXPECT_EQ(amd[static_cast<size_t>(Quantity::kBytesDram)].recipes.at(0).terms.at(0).event,
            "amd64_fam19h_zen3_l3::UNC_L3_MISSES:ALL");
}

TEST(EventTables, ChooseRecipeTakesTheFirstWhoseEventsExist) {
  const auto table = HardwareEventTable(CpuFamily::kIntel, EventTableOptions{});
  const QuantityEvents& flops = table[0];
  std::string why;
  // An AVX2 core: no 512B umasks.
  const EventRecipe* r = ChooseRecipe(
      flops, [](const std::string& e) { return e.find("512B") == std::string::npos; }, &why);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->terms.size(), 4u);
  r = ChooseRecipe(
      flops, [](const std::string&) { return false; }, &why);
  EXPECT_EQ(r, nullptr);
  EXPECT_NE(why.find("missing FP_ARITH_INST_RETIRED"), std::string::npos) << why;
  r = ChooseRecipe(
      table[static_cast<size_t>(Quantity::kBytesL1)], [](const std::string&) { return true; },
      &why);
  EXPECT_EQ(r, nullptr);
  EXPECT_NE(why.find("widths"), std::string::npos) << why;
}

TEST(EventTables, DescribeTermShowsTheWeight) {
  EXPECT_EQ(DescribeTerm({"L1D:REPLACEMENT", 64}), "L1D:REPLACEMENT x64");
  EXPECT_EQ(DescribeTerm({"FP_SCALE_OPS_SPEC", 0.5}), "FP_SCALE_OPS_SPEC x0.5");
}

#if defined(__x86_64__) || defined(__i386__)
// libpfm4 only builds the PMU tables of the architecture it is compiled for, so the forced-PMU
// checks cover the x86 tables; the Arm names follow libpfm4's arm_neoverse_* tables.

// Every name the tables offer, resolved by PAPI itself with libpfm4 forced to a PMU model (in a
// child process, so this process's PAPI keeps the real machine). Expected: the recipe each
// quantity should get on that core.
struct ForcedPmu {
  const char* pmu;
  CpuFamily family;
  size_t flop_terms;      // 0: no FLOP recipe on this core
  const char* l2_recipe;  // substring of the bytes_L2 recipe label, "" for none
  const char* l3_recipe;
  const char* dram_recipe;
  const char* cycles;  // PAPI's preset where PAPI 7.0 maps it on this core, else the native event
  const char* instructions;
};

void PrintTo(const ForcedPmu& c, std::ostream* os) { *os << c.pmu; }

class ForcedPmuTables : public testing::TestWithParam<ForcedPmu> {};

// Runs in the child: prints what was chosen and exits 0 only when it is what `c` expects.
[[noreturn]] void CheckTablesUnderForcedPmu(const ForcedPmu& c) {
  setenv("LIBPFM_FORCE_PMU", c.pmu, 1);
  const CounterStatus& s = GetCounterStatus();
  bool ok = s.papi_ok && s.pmu == c.pmu && s.family == c.family;
  std::cerr << "pmu=" << s.pmu << " family=" << CpuFamilyName(s.family) << "\n";
  const auto exists = [](const std::string& e) {
    std::string why;
    return EventAvailable(e, &why);
  };
  const auto table = HardwareEventTable(s.family, s.table_options);
  const auto check = [&](Quantity q, const char* want, size_t want_terms) {
    std::string why;
    const EventRecipe* r = ChooseRecipe(table[static_cast<size_t>(q)], exists, &why);
    std::cerr << QuantityName(q) << ": " << (r ? r->label : "none (" + why + ")") << "\n";
    if (want == nullptr) return;
    if (std::string(want).empty()) {
      ok = ok && r == nullptr;
    } else {
      ok = ok && r != nullptr && r->label.find(want) != std::string::npos;
      if (r && want_terms) ok = ok && r->terms.size() == want_terms;
    }
  };
  check(Quantity::kFlops, nullptr, 0);  // printed here, checked by term count below
  {
    const EventRecipe* r = ChooseRecipe(table[0], exists);
    ok = ok && (c.flop_terms == 0 ? r == nullptr : r != nullptr && r->terms.size() == c.flop_terms);
  }
  check(Quantity::kBytesL2, c.l2_recipe, 0);
  check(Quantity::kBytesL3, c.l3_recipe, 0);
  check(Quantity::kBytesDram, c.dram_recipe, 0);
  check(Quantity::kCycles, c.cycles, 1);
  check(Quantity::kInstructions, c.instructions, 1);
  // The VM has no PMU, so the kernel refuses the events PAPI now believes in: adding one must
  // say so rather than fail silently.
  if (const EventRecipe* r = ChooseRecipe(table[static_cast<size_t>(Quantity::kBytesL2)], exists)) {
    if (!GetCounterStatus().facts.kernel_cpu_pmu) {
      PapiEventSet set;
      const PapiResult add = set.Add(r->terms[0].event);
      std::cerr << "add " << r->terms[0].event << ": " << (add.ok() ? "ok" : add.message) << "\n";
      ok = ok && !add.ok() && add.message.find("kernel refused") != std::string::npos;
    }
  }
  std::cerr << (ok ? "tables match" : "tables differ") << std::endl;
  std::_Exit(ok ? 0 : 1);
}

TEST_P(ForcedPmuTables, ResolveThroughPapi) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const ForcedPmu c = GetParam();
  EXPECT_EXIT(CheckTablesUnderForcedPmu(c), testing::ExitedWithCode(0), "tables match");
}

INSTANTIATE_TEST_SUITE_P(
    Libpfm4, ForcedPmuTables,
    testing::Values(ForcedPmu{"skx", CpuFamily::kIntel, 5, "L1D.REPLACEMENT", "L2_LINES_IN",
                              "LONGEST_LAT", "PAPI_TOT_CYC", "PAPI_TOT_INS"},
                    ForcedPmu{"icl", CpuFamily::kIntel, 5, "L1D.REPLACEMENT", "L2_LINES_IN",
                              "LONGEST_LAT", "UNHALTED_CORE_CYCLES", "INSTRUCTION_RETIRED"},
                    ForcedPmu{"spr", CpuFamily::kIntel, 5, "L1D.REPLACEMENT", "L2_LINES_IN",
                              "LONGEST_LAT", "UNHALTED_CORE_CYCLES", "INSTRUCTION_RETIRED"},
                    ForcedPmu{"bdw", CpuFamily::kIntel, 4, "L1D.REPLACEMENT", "L2_LINES_IN",
                              "LONGEST_LAT", "PAPI_TOT_CYC", "PAPI_TOT_INS"},
                    ForcedPmu{"hsw", CpuFamily::kIntel, 0, "L1D.REPLACEMENT", "L2_LINES_IN",
                              "LONGEST_LAT", "PAPI_TOT_CYC", "PAPI_TOT_INS"},
                    ForcedPmu{"amd64_fam17h_zen1", CpuFamily::kAmdZen1, 1, "", "", "",
                              "PAPI_TOT_CYC", "PAPI_TOT_INS"},
                    ForcedPmu{"amd64_fam17h_zen2", CpuFamily::kAmdZen, 1, "Zen 2", "Zen 2", "Zen 2",
                              "PAPI_TOT_CYC", "PAPI_TOT_INS"},
                    ForcedPmu{"amd64_fam19h_zen3", CpuFamily::kAmdZen, 1, "Zen 3", "Zen 3", "Zen 3",
                              "PAPI_TOT_CYC", "PAPI_TOT_INS"},
                    ForcedPmu{"amd64_fam19h_zen4", CpuFamily::kAmdZen, 1, "Zen 4", "Zen 4", "Zen 4",
                              "CYCLES_NOT_IN_HALT", "RETIRED_INSTRUCTIONS"}),
    [](const testing::TestParamInfo<ForcedPmu>& info) { return std::string(info.param.pmu); });
#endif  // x86

// ---------------------------------------------------------------------------------------------
// Sessions and the hardware path

TEST(CounterSession, ReportsEveryQuantityWithItsProvenance) {
  const CounterStatus& s = GetCounterStatus();
  CounterOptions opt;
  CounterSession session(opt);
  ASSERT_GE(session.passes(), 1);
  const std::vector<CounterReading> before = session.Readings();
  for (Quantity q : kAllQuantities) {
    const CounterReading* hw = FindReading(before, q, "counters");
    ASSERT_NE(hw, nullptr) << QuantityName(q);
    EXPECT_FALSE(hw->available);  // nothing measured yet
    EXPECT_FALSE(hw->problem.empty());
    if (!s.hardware_usable) {
      EXPECT_NE(hw->problem.find(s.hardware_reason), std::string::npos);
    }
    const CounterReading* sde = FindReading(before, q, "sde");
    EXPECT_EQ(sde != nullptr, QuantityHasSde(q)) << QuantityName(q);
    if (sde) {
      EXPECT_EQ(sde->scope, "process");
      EXPECT_EQ(sde->events.at(0), SdeEventName(q) + " x1");
    }
  }
  if (!s.hardware_usable) {
    ASSERT_FALSE(session.problems().empty());
    EXPECT_NE(session.problems()[0].find(s.hardware_reason), std::string::npos);
  }
}

TEST(CounterSession, HooksOutsideTheTeamAreReportedNotFatal) {
  CounterOptions opt;
  opt.threads = 2;
  opt.hardware = false;
  CounterSession session(opt);
  session.BeginPass(0);
  session.ThreadStart(0);  // thread 1 never counts
  session.ThreadStart(7);  // out of range: ignored
  session.ThreadStop(7);
  session.ThreadStop(0);
  session.EndPass(1, 1);
  const std::vector<CounterReading> readings = session.Readings();
  const CounterReading* r = FindReading(readings, Quantity::kFlops, "sde");
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->available);
  EXPECT_NE(r->problem.find("not every one of the 2 threads"), std::string::npos) << r->problem;
}

std::string SkipReason() {
  const CounterStatus& s = GetCounterStatus();
  return "no hardware counters here: " + s.hardware_reason + ". Fix: " + s.hardware_fix;
}

TEST(HardwareCounters, FlopsOfThePeakKernelMatchItsModel) {
  if (!GetCounterStatus().hardware_usable) GTEST_SKIP() << SkipReason();
  const int64_t target = BestTarget();
  const double per_iter = FlopsPerIteration(target, Precision::kFp64, FlopOp::kFma);
  const uint64_t iters = 1000000;
  CounterOptions opt;
  opt.sde = false;
  opt.quantities = {Quantity::kFlops, Quantity::kCycles, Quantity::kInstructions};
  CounterSession session(opt);
  volatile double sink = 0;
  for (int p = 0; p < session.passes(); ++p) {
    session.BeginPass(p);
    session.ThreadStart(0);
    sink = sink + RunFlopKernel(target, Precision::kFp64, FlopOp::kFma, iters);
    session.ThreadStop(0);
    session.EndPass(iters, 1);
  }
  const std::vector<CounterReading> r = session.Readings();
  const CounterReading* flops = FindReading(r, Quantity::kFlops, "counters");
  ASSERT_NE(flops, nullptr);
  ASSERT_TRUE(flops->available) << flops->problem;
  EXPECT_EQ(flops->source, "counters");
  EXPECT_FALSE(flops->events.empty());
  EXPECT_NEAR(flops->per_iteration / per_iter, 1.0, kSelfCheckTolerance);
  const CounterReading* cycles = FindReading(r, Quantity::kCycles, "counters");
  ASSERT_TRUE(cycles && cycles->available) << (cycles ? cycles->problem : "");
  EXPECT_GT(cycles->per_iteration, 0);
}

TEST(HardwareCounters, ThreadsCountSeparatelyAndSum) {
  if (!GetCounterStatus().hardware_usable) GTEST_SKIP() << SkipReason();
  const Topology topo = DetectTopology();
  const int threads = std::min(2, topo.usable_threads);
  Team team(topo, threads);
  CounterOptions opt;
  opt.threads = threads;
  opt.sde = false;
  opt.quantities = {Quantity::kFlops};
  CounterSession session(opt);
  const int64_t target = BestTarget();
  const double per_iter = FlopsPerIteration(target, Precision::kFp32, FlopOp::kFma);
  MeasureConfig cfg;
  cfg.min_seconds = 0.005;
  cfg.repetitions = 3;
  for (int p = 0; p < session.passes(); ++p) {
    session.BeginPass(p);
    const Timing t = MeasureTeam(
        team, cfg,
        [&](int, uint64_t iters) {
          return RunFlopKernel(target, Precision::kFp32, FlopOp::kFma, iters);
        },
        &session);
    session.EndPass(t.iterations, t.repetitions);
  }
  const std::vector<CounterReading> readings = session.Readings();
  const CounterReading* flops = FindReading(readings, Quantity::kFlops, "counters");
  ASSERT_TRUE(flops && flops->available) << (flops ? flops->problem : "");
  EXPECT_NEAR(flops->per_iteration / (threads * per_iter), 1.0, kSelfCheckTolerance);
}

TEST(SelfCheck, RunsOrSaysWhyNot) {
  const CounterStatus& s = GetCounterStatus();
  const SelfCheck check = RunCounterSelfCheck(DetectTopology().caches);
  std::cout << "[ selfchk  ] " << check.Summary() << "\n";
  if (!s.hardware_usable) {
    EXPECT_FALSE(check.ran);
    EXPECT_TRUE(check.verdicts.empty());
    EXPECT_NE(check.reason.find(s.hardware_reason), std::string::npos);
    EXPECT_NE(check.Summary().find("did not run"), std::string::npos);
    return;
  }
  ASSERT_TRUE(check.ran);
  ASSERT_FALSE(check.verdicts.empty());
  for (const SelfCheckVerdict& v : check.verdicts) {
    EXPECT_FALSE(v.verdict.empty());
    // FLOP events are exact on every table here; traffic verdicts are the check's output.
    if (v.quantity == Quantity::kFlops) {
      EXPECT_EQ(v.verdict, "agrees") << v.check << v.detail;
    }
  }
}

TEST(SelfCheck, JudgesWithinTheTolerance) {
  CounterReading r;
  r.available = true;
  r.events = {"E x1"};
  r.per_iteration = 109;
  EXPECT_EQ(JudgeCount("c", Quantity::kFlops, 100, &r).verdict, "agrees");
  r.per_iteration = 91;
  EXPECT_EQ(JudgeCount("c", Quantity::kFlops, 100, &r).verdict, "agrees");
  r.per_iteration = 250;  // traffic over-reported 2.5x
  const SelfCheckVerdict over = JudgeCount("c", Quantity::kBytesDram, 100, &r);
  EXPECT_EQ(over.verdict, "disagrees");
  EXPECT_DOUBLE_EQ(over.ratio, 2.5);
  EXPECT_NE(over.detail.find("ratio 2.500"), std::string::npos) << over.detail;
  r.per_iteration = 80;
  EXPECT_EQ(JudgeCount("c", Quantity::kFlops, 100, &r).verdict, "disagrees");
  r.available = false;
  r.problem = "why";
  const SelfCheckVerdict none = JudgeCount("c", Quantity::kFlops, 100, &r);
  EXPECT_EQ(none.verdict, "not counted");
  EXPECT_EQ(none.detail, "why");
  EXPECT_EQ(JudgeCount("c", Quantity::kFlops, 100, nullptr).verdict, "not counted");
}

}  // namespace
}  // namespace roofprof
