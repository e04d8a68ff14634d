// The counter layer on PAPI 7: initialisation, discovery and diagnosis, event sets, the
// per-thread counting session the harness drives, and the self-check against probe kernels.
#include "src/counters.h"

#include <papi.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "probes/bandwidth.h"
#include "probes/peak_flops.h"
#include "src/memory.h"
#include "src/platform.h"
#include "src/sde.h"
#include "src/targets.h"
#include "src/units.h"

namespace roofprof {

// ---------------------------------------------------------------------------------------------
// Facts about the operating system

namespace {

bool IsCpuPmu(const std::string& name) {
  return name == "cpu" || name == "cpu_core" || name == "cpu_atom" || name.rfind("armv8", 0) == 0 ||
         name.rfind("armv9", 0) == 0 || name.rfind("arm_", 0) == 0;
}

const char* kParanoidFix =
    "sudo sysctl kernel.perf_event_paranoid=1 (per-thread counting needs 2 or less; uncore "
    "memory counters need 0 or root)";

}  // namespace

CounterDiagnosis DiagnoseHardwareCounters(const CounterFacts& f) {
  CounterDiagnosis d;
  if (!f.papi_ok) {
    d.reason = "PAPI did not initialise: " + f.papi_error;
    d.fix = "install a PAPI 7 runtime matching the headers roofprof was built with";
    return d;
  }
  const std::string paranoid = f.paranoid == INT_MIN ? "unknown" : std::to_string(f.paranoid);
  if (f.perf_open_errno > 0) {
    const std::string err = std::strerror(f.perf_open_errno);
    if (f.perf_open_errno == ENOSYS) {
      d.reason = "the kernel has no perf_event support (perf_event_open: " + err + ")";
      d.fix = "use a kernel built with CONFIG_PERF_EVENTS";
    } else if (f.paranoid > 2 && !f.privileged) {
      d.reason = "kernel.perf_event_paranoid=" + paranoid +
                 " forbids perf_event_open to unprivileged processes";
      d.fix = kParanoidFix;
    } else if (f.container) {
      d.reason = "perf_event_open is refused inside this container (" + err +
                 "): its seccomp profile blocks the syscall";
      d.fix =
          "run the container with --security-opt seccomp=unconfined (or a profile that "
          "allows perf_event_open) and --cap-add PERFMON";
    } else {
      d.reason = "perf_event_open is refused (" + err + "), kernel.perf_event_paranoid=" + paranoid;
      d.fix = kParanoidFix;
    }
    return d;
  }
  if (!f.perf_component) {
    d.reason = "this PAPI was built without the perf_event component";
    d.fix = "install a PAPI built with perf_event (Debian/Ubuntu libpapi7.0 has it)";
    return d;
  }
  const std::string papi = f.perf_disabled ? " (PAPI: " + f.perf_disabled_reason + ")" : "";
  // libpfm4 recognises the CPU from CPUID (x86) or /proc/cpuinfo (Arm), not from the kernel's
  // PMU, so "no default PMU" means its tables do not know this CPU, wherever it runs.
  const bool libpfm_unknown_cpu =
      f.perf_disabled && f.perf_disabled_reason.find("no default PMU") != std::string::npos;
  const std::string libpfm_fix = "install a newer PAPI/libpfm4 that knows this CPU";
  // Only trust the absence of a CPU PMU when the kernel's event sources could be listed.
  if (!f.kernel_cpu_pmu && !f.kernel_pmus.empty()) {
    if (f.hypervisor) {
      d.reason =
          "this is a virtual machine without a virtual PMU: the kernel exposes no CPU "
          "performance counters (event sources: " +
          f.kernel_pmus + ")";
      d.fix =
          "run on bare metal or enable the vPMU (KVM/QEMU: -cpu host,pmu=on; VMware: "
          "'virtualize CPU performance counters'; clouds: a bare-metal or PMU-enabled "
          "instance type)";
    } else {
      d.reason = "the kernel registered no CPU PMU driver (event sources: " + f.kernel_pmus + ")";
      d.fix =
          "enable the CPU's PMU driver in the kernel (on Arm: the PMU node in the device "
          "tree or ACPI tables)";
    }
    if (libpfm_unknown_cpu) {
      d.reason += "; besides, this PAPI's libpfm4 has no event table for " + f.cpu + papi;
      d.fix += "; and " + libpfm_fix;
    }
    return d;
  }
  if (f.perf_disabled) {
    if (f.perf_disabled_reason.find("aranoid") != std::string::npos) {
      d.reason = "kernel.perf_event_paranoid=" + paranoid + " keeps PAPI from counting" + papi;
      d.fix = kParanoidFix;
    } else if (libpfm_unknown_cpu) {
      d.reason =
          "the kernel has a CPU PMU but this PAPI's libpfm4 has no event table for " + f.cpu + papi;
      d.fix = libpfm_fix;
    } else {
      d.reason = "PAPI's perf_event component is disabled" + papi;
      d.fix = "run papi_component_avail for details";
    }
    return d;
  }
  if (f.perf_counters <= 0) {
    d.reason = "PAPI reports no hardware counters on this CPU";
    d.fix = "run papi_component_avail for details";
    return d;
  }
  d.usable = true;
  return d;
}

// ---------------------------------------------------------------------------------------------
// Initialisation and discovery

unsigned long PapiThreadId() {
  static std::atomic<unsigned long> next{1};
  thread_local const unsigned long id = next.fetch_add(1);
  return id;
}

namespace {

unsigned long PapiThreadIdForPapi(void) { return PapiThreadId(); }

const char* PapiErrorName(int code) {
  switch (code) {
    case PAPI_OK:
      return "PAPI_OK";
    case PAPI_EINVAL:
      return "PAPI_EINVAL";
    case PAPI_ENOMEM:
      return "PAPI_ENOMEM";
    case PAPI_ESYS:
      return "PAPI_ESYS";
    case PAPI_ECMP:
      return "PAPI_ECMP";
    case PAPI_ECLOST:
      return "PAPI_ECLOST";
    case PAPI_EBUG:
      return "PAPI_EBUG";
    case PAPI_ENOEVNT:
      return "PAPI_ENOEVNT";
    case PAPI_ECNFLCT:
      return "PAPI_ECNFLCT";
    case PAPI_ENOTRUN:
      return "PAPI_ENOTRUN";
    case PAPI_EISRUN:
      return "PAPI_EISRUN";
    case PAPI_ENOEVST:
      return "PAPI_ENOEVST";
    case PAPI_ENOTPRESET:
      return "PAPI_ENOTPRESET";
    case PAPI_ENOCNTR:
      return "PAPI_ENOCNTR";
    case PAPI_EMISC:
      return "PAPI_EMISC";
    case PAPI_EPERM:
      return "PAPI_EPERM";
    case PAPI_ENOINIT:
      return "PAPI_ENOINIT";
    case PAPI_ENOCMP:
      return "PAPI_ENOCMP";
    case PAPI_ENOSUPP:
      return "PAPI_ENOSUPP";
    case PAPI_ENOIMPL:
      return "PAPI_ENOIMPL";
    case PAPI_EBUF:
      return "PAPI_EBUF";
    case PAPI_EINVAL_DOM:
      return "PAPI_EINVAL_DOM";
    case PAPI_EATTR:
      return "PAPI_EATTR";
    case PAPI_ECOUNT:
      return "PAPI_ECOUNT";
    case PAPI_ECOMBO:
      return "PAPI_ECOMBO";
    case PAPI_ECMP_DISABLED:
      return "PAPI_ECMP_DISABLED";
    case PAPI_EDELAY_INIT:
      return "PAPI_EDELAY_INIT";
    case PAPI_EMULPASS:
      return "PAPI_EMULPASS";
    default:
      return "PAPI error";
  }
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

CounterStatus GatherStatus() {
  CounterStatus s;
  // Registering roofprof's SDE counters first lets PAPI list them (papi_native_avail-style
  // enumeration) as soon as it is initialised.
  const std::string sde_problem = SdePublisher::Get().problem();

  CounterFacts& f = s.facts;
  const int version = PAPI_library_init(PAPI_VER_CURRENT);
  if (version == PAPI_VER_CURRENT) {
    const int rc = PAPI_thread_init(&PapiThreadIdForPapi);
    if (rc == PAPI_OK) {
      f.papi_ok = true;
    } else {
      f.papi_error = "PAPI_thread_init: " + PapiErrorText(rc);
    }
  } else if (version > 0) {
    f.papi_error = "library version " + std::to_string(PAPI_VERSION_MAJOR(version)) + "." +
                   std::to_string(PAPI_VERSION_MINOR(version)) + " differs from the headers' " +
                   std::to_string(PAPI_VERSION_MAJOR(PAPI_VER_CURRENT)) + "." +
                   std::to_string(PAPI_VERSION_MINOR(PAPI_VER_CURRENT));
  } else {
    f.papi_error = "PAPI_library_init: " + PapiErrorText(version);
  }
  s.papi_ok = f.papi_ok;
  s.papi_error = f.papi_error;
  s.papi_version = std::to_string(PAPI_VERSION_MAJOR(PAPI_VERSION)) + "." +
                   std::to_string(PAPI_VERSION_MINOR(PAPI_VERSION)) + "." +
                   std::to_string(PAPI_VERSION_REVISION(PAPI_VERSION)) + "." +
                   std::to_string(PAPI_VERSION_INCREMENT(PAPI_VERSION));

  const PapiComponent* perf = nullptr;
  const PapiComponent* uncore = nullptr;
  const PapiComponent* sde = nullptr;
  int vendor = PAPI_VENDOR_UNKNOWN;
  if (f.papi_ok) {
    for (int i = 0; i < PAPI_num_components(); ++i) {
      const PAPI_component_info_t* info = PAPI_get_component_info(i);
      if (info == nullptr) continue;
      PapiComponent c;
      c.index = i;
      c.name = info->name;
      c.description = info->description;
      c.disabled = info->disabled != 0;
      c.disabled_reason = info->disabled_reason;
      c.counters = info->num_cntrs;
      c.native_events = info->num_native_events;
      for (int p = 0; p < PAPI_PMU_MAX && info->pmu_names[p] != nullptr; ++p) {
        c.pmus.push_back(info->pmu_names[p]);
      }
      s.components.push_back(c);
    }
    for (const PapiComponent& c : s.components) {
      if (c.name == "perf_event") perf = &c;
      if (c.name == "perf_event_uncore") uncore = &c;
      if (c.name == "sde") sde = &c;
    }
    if (const PAPI_hw_info_t* hw = PAPI_get_hardware_info()) {
      vendor = hw->vendor;
      f.cpu = std::string(hw->vendor_string) + " family " + std::to_string(hw->cpuid_family) +
              " model " + std::to_string(hw->cpuid_model) + " (" + hw->model_string + ")";
    }
  }
  f.perf_component = perf != nullptr;
  if (perf) {
    f.perf_disabled = perf->disabled;
    f.perf_disabled_reason = perf->disabled_reason;
    f.perf_counters = perf->counters;
    for (const std::string& p : perf->pmus) {
      // libpfm4 lists its software PMUs ("perf", "perf_raw") beside the core one.
      if (s.pmu.empty() && p.rfind("perf", 0) != 0) s.pmu = p;
    }
  }
  const std::vector<std::string> sources = platform::KernelEventSources();
  f.kernel_pmus = Join(sources, ", ");
  f.kernel_cpu_pmu = std::any_of(sources.begin(), sources.end(), IsCpuPmu);
  f.hypervisor = platform::UnderHypervisor();
  f.container = platform::InContainer();
  f.paranoid = platform::PerfEventParanoid();
  f.privileged = platform::PrivilegedForPerf();
  f.perf_open_errno = platform::ProbePerfEventOpen();

  const CounterDiagnosis d = DiagnoseHardwareCounters(f);
  s.hardware_usable = d.usable;
  s.hardware_reason = d.reason;
  s.hardware_fix = d.fix;
  s.hardware_counters = d.usable ? f.perf_counters : 0;
  s.family = FamilyFromPmu(s.pmu, vendor);

  if (uncore == nullptr) {
    s.uncore_reason = "this PAPI has no perf_event_uncore component";
  } else if (uncore->disabled) {
    s.uncore_reason = "PAPI's perf_event_uncore component is disabled: " + uncore->disabled_reason;
  } else if (f.paranoid > 0 && !f.privileged) {
    s.uncore_reason = "uncore counters are system-wide and kernel.perf_event_paranoid=" +
                      std::to_string(f.paranoid) +
                      " allows them to root only; fix: " + kParanoidFix;
  } else {
    s.uncore_usable = true;
    s.uncore_pmus = uncore->pmus;
  }

  if (!sde_problem.empty()) {
    s.sde_reason = sde_problem;
  } else if (sde == nullptr) {
    s.sde_reason = f.papi_ok ? "this PAPI was built without the sde component"
                             : "PAPI did not initialise: " + f.papi_error;
  } else if (sde->disabled) {
    s.sde_reason = "PAPI's sde component is disabled: " + sde->disabled_reason +
                   " (the executable must load libsde: link it with -lsde, not dropped by "
                   "--as-needed)";
  } else {
    s.sde_usable = true;
  }

  s.table_options.line_bytes = platform::CacheLineBytes();
  s.table_options.sve_bits = platform::SveVectorBits();
  s.table_options.uncore_pmus = s.uncore_pmus;
  return s;
}

}  // namespace

std::string CounterStatus::Line() const {
  std::string line = "hardware counters: ";
  if (hardware_usable) {
    line += "available (PMU " + pmu + ", " + std::to_string(hardware_counters) + " counters, " +
            CpuFamilyName(family) + " event table)";
  } else {
    line += "unavailable: " + hardware_reason;
    if (!hardware_fix.empty()) line += ". Fix: " + hardware_fix;
  }
  line += ". SDE counters: ";
  line += sde_usable ? "available (" + SdeEventName(Quantity::kFlops) + ", ...)"
                     : "unavailable: " + sde_reason;
  line += ".";
  return line;
}

const CounterStatus& GetCounterStatus() {
  static const CounterStatus* const status = new CounterStatus(GatherStatus());
  return *status;
}

std::string PapiErrorText(int code) {
  const char* text = PAPI_strerror(code);
  return std::string(PapiErrorName(code)) + " (" + (text ? text : "unknown error") + ")";
}

bool EventAvailable(const std::string& event, std::string* why) {
  const CounterStatus& st = GetCounterStatus();
  std::string reason;
  if (!st.papi_ok) {
    reason = "PAPI did not initialise: " + st.papi_error;
  } else {
    int code = 0;
    const int rc = PAPI_event_name_to_code(event.c_str(), &code);
    if (rc != PAPI_OK) {
      reason = "no event named '" + event + "' in any active PAPI component (" + PapiErrorText(rc) +
               "); papi_native_avail lists the events of this machine";
    } else {
      const int cidx = PAPI_get_event_component(code);
      const PAPI_component_info_t* info = cidx >= 0 ? PAPI_get_component_info(cidx) : nullptr;
      if (info != nullptr && info->disabled) {
        reason = "'" + event + "' belongs to PAPI component '" + info->name +
                 "', which is disabled: " + info->disabled_reason;
      } else if (IS_PRESET(code)) {
        PAPI_event_info_t ei;
        if (PAPI_get_event_info(code, &ei) != PAPI_OK || ei.count == 0) {
          reason = "PAPI preset '" + event + "' maps to no native event on this CPU";
        }
      }
    }
  }
  if (why) *why = reason;
  return reason.empty();
}

std::vector<std::string> ComponentEvents(const std::string& component) {
  std::vector<std::string> out;
  if (!GetCounterStatus().papi_ok) return out;
  const int cidx = PAPI_get_component_index(component.c_str());
  const PAPI_component_info_t* info = cidx >= 0 ? PAPI_get_component_info(cidx) : nullptr;
  if (info == nullptr || info->disabled) return out;
  int code = PAPI_NATIVE_MASK;
  for (int rc = PAPI_enum_cmp_event(&code, PAPI_ENUM_FIRST, cidx); rc == PAPI_OK;
       rc = PAPI_enum_cmp_event(&code, PAPI_ENUM_EVENTS, cidx)) {
    char name[PAPI_MAX_STR_LEN] = {};
    if (PAPI_event_code_to_name(code, name) == PAPI_OK) out.push_back(name);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Event sets

bool PapiResult::conflict() const {
  return code == PAPI_ECNFLCT || code == PAPI_ECOUNT || code == PAPI_EMULPASS;
}

PapiEventSet::PapiEventSet() : handle_(PAPI_NULL) {
  const CounterStatus& st = GetCounterStatus();
  if (!st.papi_ok) {
    created_ = {PAPI_ENOINIT, "PAPI did not initialise: " + st.papi_error};
    return;
  }
  PAPI_register_thread();
  const int rc = PAPI_create_eventset(&handle_);
  if (rc != PAPI_OK) {
    handle_ = PAPI_NULL;
    created_ = {rc, "PAPI_create_eventset failed: " + PapiErrorText(rc)};
  }
}

PapiEventSet::~PapiEventSet() {
  if (handle_ == PAPI_NULL) return;
  if (running_) {
    std::vector<long long> ignored;
    Stop(&ignored);
  }
  PAPI_cleanup_eventset(handle_);
  PAPI_destroy_eventset(&handle_);
}

PapiResult PapiEventSet::UseUncore(int cpu) {
  if (!created_.ok()) return created_;
  const int cidx = PAPI_get_component_index("perf_event_uncore");
  if (cidx < 0) return {PAPI_ENOCMP, "this PAPI has no perf_event_uncore component"};
  int rc = PAPI_assign_eventset_component(handle_, cidx);
  if (rc != PAPI_OK) {
    return {rc, "assigning the event set to perf_event_uncore failed: " + PapiErrorText(rc)};
  }
  // Uncore PMUs count for the whole socket: bind the set to one of its CPUs, count every
  // privilege level and system-wide, as PAPI's own uncore tests do.
  PAPI_option_t opt;
  std::memset(&opt, 0, sizeof(opt));
  opt.cpu.eventset = handle_;
  opt.cpu.cpu_num = static_cast<unsigned int>(std::max(0, cpu));
  rc = PAPI_set_opt(PAPI_CPU_ATTACH, &opt);
  if (rc != PAPI_OK) {
    return {rc, "attaching the uncore event set to CPU " + std::to_string(cpu) +
                    " failed: " + PapiErrorText(rc) + " (needs root or perf_event_paranoid<=0)"};
  }
  std::memset(&opt, 0, sizeof(opt));
  opt.granularity.def_cidx = cidx;
  opt.granularity.eventset = handle_;
  opt.granularity.granularity = PAPI_GRN_SYS;
  rc = PAPI_set_opt(PAPI_GRANUL, &opt);
  if (rc != PAPI_OK) return {rc, "system-wide uncore counting refused: " + PapiErrorText(rc)};
  std::memset(&opt, 0, sizeof(opt));
  opt.domain.def_cidx = cidx;
  opt.domain.eventset = handle_;
  opt.domain.domain = PAPI_DOM_ALL;
  rc = PAPI_set_opt(PAPI_DOMAIN, &opt);
  if (rc != PAPI_OK) return {rc, "counting all domains refused: " + PapiErrorText(rc)};
  return {};
}

PapiResult PapiEventSet::Add(const std::string& event) {
  if (!created_.ok()) return created_;
  const int rc = PAPI_add_named_event(handle_, event.c_str());
  if (rc == PAPI_OK) {
    events_.push_back(event);
    return {};
  }
  const std::string quoted = "'" + event + "'";
  if (rc == PAPI_EISRUN || running_) {
    return {rc, "cannot add " + quoted +
                    ": the event set is counting; stop it before changing "
                    "its events (" +
                    PapiErrorText(rc) + ")"};
  }
  if (rc == PAPI_ECNFLCT || rc == PAPI_ECOUNT || rc == PAPI_EMULPASS) {
    return {rc, quoted + " does not fit beside the " + std::to_string(events_.size()) +
                    " events already in this set (" + PapiErrorText(rc) +
                    "): count it in another pass"};
  }
  std::string why;
  if (!EventAvailable(event, &why)) return {rc, why + " [" + PapiErrorText(rc) + "]"};
  int code = 0;
  PAPI_event_name_to_code(event.c_str(), &code);
  const int set_cidx = PAPI_get_eventset_component(handle_);
  const int event_cidx = PAPI_get_event_component(code);
  if (!events_.empty() && set_cidx >= 0 && event_cidx >= 0 && set_cidx != event_cidx) {
    return {rc, quoted + " belongs to PAPI component '" +
                    PAPI_get_component_info(event_cidx)->name + "' but this set counts '" +
                    PAPI_get_component_info(set_cidx)->name +
                    "' events: PAPI needs one event set per component (" + PapiErrorText(rc) + ")"};
  }
  if (rc == PAPI_EPERM) {
    return {rc,
            "not permitted to count " + quoted + " (" + PapiErrorText(rc) + "): " + kParanoidFix};
  }
  if (rc == PAPI_ENOEVNT || rc == PAPI_ESYS) {
    return {rc, "the kernel refused to count " + quoted +
                    " (perf_event_open failed: " + PapiErrorText(rc) + ")"};
  }
  return {rc, "PAPI_add_named_event(" + quoted + ") failed: " + PapiErrorText(rc)};
}

PapiResult PapiEventSet::Start() {
  if (!created_.ok()) return created_;
  const int rc = PAPI_start(handle_);
  if (rc == PAPI_OK) {
    running_ = true;
    return {};
  }
  if (rc == PAPI_EISRUN)
    return {rc, "the event set is already counting (" + PapiErrorText(rc) + ")"};
  if (rc == PAPI_ECNFLCT) {
    return {rc, "another event set of this thread is counting on the same PAPI component (" +
                    PapiErrorText(rc) + ")"};
  }
  if (events_.empty()) return {rc, "the event set has no events (" + PapiErrorText(rc) + ")"};
  return {rc, "PAPI_start failed: " + PapiErrorText(rc)};
}

PapiResult PapiEventSet::Stop(std::vector<long long>* values) {
  if (!created_.ok()) return created_;
  values->assign(events_.size(), 0);
  const int rc = PAPI_stop(handle_, values->data());
  if (rc == PAPI_OK) {
    running_ = false;
    return {};
  }
  if (rc == PAPI_ENOTRUN) return {rc, "the event set is not counting (" + PapiErrorText(rc) + ")"};
  return {rc, "PAPI_stop failed: " + PapiErrorText(rc)};
}

PapiResult PapiEventSet::Read(std::vector<long long>* values) {
  if (!created_.ok()) return created_;
  values->assign(events_.size(), 0);
  const int rc = PAPI_read(handle_, values->data());
  if (rc == PAPI_OK) return {};
  return {rc, "PAPI_read failed: " + PapiErrorText(rc)};
}

// ---------------------------------------------------------------------------------------------
// CounterSession

// Per-thread state. Only the thread with this tid touches it between BeginPass and EndPass.
struct CounterSession::Slot {
  unsigned long owner = 0;  // PapiThreadId() of the thread that built the sets
  int pass = -1;            // pass the sets were built for
  std::unique_ptr<PapiEventSet> core, uncore, sde;
  std::vector<int> core_pos, uncore_pos, sde_pos;  // positions in the pass's event list
  bool start_ok = false;
  std::vector<std::vector<double>> windows;  // per ThreadStop: a value per pass event
  std::vector<bool> window_ok;
  std::string problem;  // first problem this thread met in the current pass
  void Note(const std::string& p) {
    if (problem.empty()) problem = p;
  }
};

namespace {

int CurrentCpu() {
#if defined(__linux__)
  const int cpu = sched_getcpu();
  return cpu >= 0 ? cpu : 0;
#else
  return 0;
#endif
}

// Order in which hardware quantities claim counters: FLOPs, cycles and instructions first so
// they share pass 0.
constexpr Quantity kPlanOrder[] = {Quantity::kFlops,   Quantity::kCycles,  Quantity::kInstructions,
                                   Quantity::kBytesL2, Quantity::kBytesL3, Quantity::kBytesDram,
                                   Quantity::kBytesL1};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

CounterSession::CounterSession(const CounterOptions& options) : options_(options) {
  options_.threads = std::max(1, options_.threads);
  const CounterStatus& status = GetCounterStatus();
  PlanHardware(status);
  PlanSde(status);
  // Passes: core events by their pass, then the uncore and SDE events with pass 0.
  int core_count = 0;
  for (const Event& e : events_) {
    if (e.kind == SetKind::kCore) core_count = std::max(core_count, e.pass + 1);
  }
  pass_events_.assign(static_cast<size_t>(std::max(1, core_count)), {});
  for (SetKind kind : {SetKind::kCore, SetKind::kUncore, SetKind::kSde}) {
    for (size_t i = 0; i < events_.size(); ++i) {
      if (events_[i].kind == kind) {
        pass_events_[static_cast<size_t>(events_[i].pass)].push_back(static_cast<int>(i));
      }
    }
  }
  std::stable_sort(planned_.begin(), planned_.end(), [](const Planned& a, const Planned& b) {
    return static_cast<int>(a.quantity) < static_cast<int>(b.quantity);
  });
  for (int t = 0; t < options_.threads; ++t) slots_.push_back(std::make_unique<Slot>());
}

CounterSession::~CounterSession() = default;

int CounterSession::PlaceCoreEvent(const std::string& name, std::string* why) {
  for (size_t i = 0; i < events_.size(); ++i) {
    if (events_[i].name == name && events_[i].kind == SetKind::kCore) return static_cast<int>(i);
  }
  int passes = 0;
  for (const Event& e : events_) {
    if (e.kind == SetKind::kCore) passes = std::max(passes, e.pass + 1);
  }
  // The first pass whose events still fit with this one; PAPI checks the counter
  // constraints when the event is added (perf_event opens the group and tries to schedule it).
  for (int p = 0; p <= passes; ++p) {
    PapiEventSet trial;
    for (const Event& e : events_) {
      if (e.kind == SetKind::kCore && e.pass == p) trial.Add(e.name);
    }
    const PapiResult r = trial.Add(name);
    if (r.ok()) {
      Event e;
      e.name = name;
      e.kind = SetKind::kCore;
      e.pass = p;
      events_.push_back(e);
      return static_cast<int>(events_.size()) - 1;
    }
    if (!r.conflict() || p == passes) {
      *why = p == passes && r.conflict()
                 ? "'" + name + "' does not fit in an empty event set: " + r.message
                 : r.message;
      return -1;
    }
  }
  return -1;
}

void CounterSession::PlanHardware(const CounterStatus& status) {
  if (!options_.hardware) return;
  std::vector<Quantity> wanted = options_.quantities;
  if (wanted.empty()) wanted.assign(std::begin(kAllQuantities), std::end(kAllQuantities));
  const std::vector<QuantityEvents> table = HardwareEventTable(status.family, status.table_options);
  if (!status.hardware_usable) {
    problems_.push_back("hardware counters: unavailable: " + status.hardware_reason +
                        (status.hardware_fix.empty() ? "" : ". Fix: " + status.hardware_fix));
  }
  for (Quantity q : kPlanOrder) {
    if (std::find(wanted.begin(), wanted.end(), q) == wanted.end()) continue;
    Planned plan;
    plan.quantity = q;
    plan.source = "counters";
    if (!status.hardware_usable) {
      plan.problem = "hardware counters unavailable: " + status.hardware_reason;
      planned_.push_back(plan);
      continue;
    }
    const auto entry = std::find_if(table.begin(), table.end(),
                                    [q](const QuantityEvents& e) { return e.quantity == q; });
    if (entry == table.end()) continue;
    const QuantityEvents& qe = *entry;
    std::string reasons;
    bool placed = false;
    for (const EventRecipe& recipe : qe.recipes) {
      std::string missing;
      for (const EventTerm& t : recipe.terms) {
        std::string why;
        if (!EventAvailable(t.event, &why)) missing += (missing.empty() ? "" : "; ") + why;
      }
      if (!missing.empty()) {
        reasons += (reasons.empty() ? "" : " | ") + recipe.label + ": " + missing;
        continue;
      }
      const std::vector<Event> saved = events_;
      std::vector<int> indices;
      std::string why;
      if (recipe.scope == EventScope::kSocket) {
        if (!status.uncore_usable) {
          why = status.uncore_reason;
        } else {
          PapiEventSet trial;
          PapiResult r = trial.UseUncore(CurrentCpu());
          for (const EventTerm& t : recipe.terms) {
            if (!r.ok()) break;
            r = trial.Add(t.event);
            if (r.ok()) {
              Event e;
              e.name = t.event;
              e.kind = SetKind::kUncore;
              events_.push_back(e);
              indices.push_back(static_cast<int>(events_.size()) - 1);
            }
          }
          if (!r.ok()) why = r.message;
        }
      } else {
        for (const EventTerm& t : recipe.terms) {
          const int index = PlaceCoreEvent(t.event, &why);
          if (index < 0) break;
          indices.push_back(index);
        }
      }
      if (indices.size() == recipe.terms.size() && why.empty()) {
        plan.recipe = recipe;
        plan.events = indices;
        placed = true;
        break;
      }
      events_ = saved;
      reasons += (reasons.empty() ? "" : " | ") + recipe.label + ": " + why;
    }
    if (!placed) {
      plan.problem = qe.recipes.empty() ? qe.none : "no usable events: " + reasons;
    }
    planned_.push_back(plan);
  }
}

void CounterSession::PlanSde(const CounterStatus& status) {
  if (!options_.sde) return;
  for (Quantity q : kAllQuantities) {
    if (!QuantityHasSde(q)) continue;
    Planned plan;
    plan.quantity = q;
    plan.source = "sde";
    const std::string name = SdeEventName(q);
    plan.recipe = {name,
                   {{name, 1}},
                   EventScope::kThread,
                   "the kernel's work model, published per Run() through libsde"};
    if (!status.sde_usable) {
      plan.problem = "SDE counters unavailable: " + status.sde_reason;
    } else {
      PapiEventSet trial;
      const PapiResult r = trial.Add(name);
      if (r.ok()) {
        Event e;
        e.name = name;
        e.kind = SetKind::kSde;
        events_.push_back(e);
        plan.events = {static_cast<int>(events_.size()) - 1};
      } else {
        plan.problem = r.message;
      }
    }
    planned_.push_back(plan);
  }
}

std::vector<std::vector<std::string>> CounterSession::PassEvents() const {
  std::vector<std::vector<std::string>> out;
  for (const std::vector<int>& pass : pass_events_) {
    out.emplace_back();
    for (int i : pass) out.back().push_back(events_[static_cast<size_t>(i)].name);
  }
  return out;
}

void CounterSession::BeginPass(int pass) {
  pass_ = std::clamp(pass, 0, passes() - 1);
  for (auto& slot : slots_) {
    slot->windows.clear();
    slot->window_ok.clear();
    slot->problem.clear();
  }
  for (int i : pass_events_[static_cast<size_t>(pass_)]) {
    Event& e = events_[static_cast<size_t>(i)];
    e.measured = false;
    e.problem.clear();
  }
}

void CounterSession::Build(Slot& slot, int tid) {
  // Destroying the previous pass's sets here runs their cleanup on the thread that owns them.
  slot.core.reset();
  slot.uncore.reset();
  slot.sde.reset();
  slot.core_pos.clear();
  slot.uncore_pos.clear();
  slot.sde_pos.clear();
  slot.owner = PapiThreadId();
  slot.pass = pass_;
  const std::vector<int>& list = pass_events_[static_cast<size_t>(pass_)];
  for (size_t pos = 0; pos < list.size(); ++pos) {
    const Event& e = events_[static_cast<size_t>(list[pos])];
    std::unique_ptr<PapiEventSet>* set = &slot.core;
    std::vector<int>* positions = &slot.core_pos;
    if (e.kind != SetKind::kCore) {
      // Socket- and process-wide counts: thread 0 alone counts them, once.
      if (tid != 0) continue;
      set = e.kind == SetKind::kUncore ? &slot.uncore : &slot.sde;
      positions = e.kind == SetKind::kUncore ? &slot.uncore_pos : &slot.sde_pos;
    }
    if (!*set) {
      *set = std::make_unique<PapiEventSet>();
      if (e.kind == SetKind::kUncore) {
        const PapiResult r = (*set)->UseUncore(CurrentCpu());
        if (!r.ok()) slot.Note("thread " + std::to_string(tid) + ": " + r.message);
      }
    }
    const PapiResult r = (*set)->Add(e.name);
    if (r.ok()) {
      positions->push_back(static_cast<int>(pos));
    } else {
      slot.Note("thread " + std::to_string(tid) + ": " + r.message);
    }
  }
}

void CounterSession::ThreadStart(int tid) {
  if (tid < 0 || tid >= options_.threads) return;  // reported by EndPass as a missing window
  Slot& slot = *slots_[static_cast<size_t>(tid)];
  if (slot.pass != pass_ || slot.owner != PapiThreadId()) Build(slot, tid);
  slot.start_ok = true;
  // Process- and socket-wide sets start first and stop last, so they bracket the core ones.
  for (std::unique_ptr<PapiEventSet>* set : {&slot.sde, &slot.uncore, &slot.core}) {
    if (!*set || (*set)->events().empty()) continue;
    const PapiResult r = (*set)->Start();
    if (!r.ok()) {
      slot.start_ok = false;
      slot.Note("thread " + std::to_string(tid) + ": " + r.message);
    }
  }
}

void CounterSession::ThreadStop(int tid) {
  if (tid < 0 || tid >= options_.threads) return;
  Slot& slot = *slots_[static_cast<size_t>(tid)];
  std::vector<double> window(pass_events_[static_cast<size_t>(pass_)].size(), 0.0);
  bool ok = slot.start_ok && slot.pass == pass_;
  std::vector<long long> values;
  const std::pair<std::unique_ptr<PapiEventSet>*, const std::vector<int>*> sets[] = {
      {&slot.core, &slot.core_pos}, {&slot.uncore, &slot.uncore_pos}, {&slot.sde, &slot.sde_pos}};
  for (const auto& [set, positions] : sets) {
    if (!*set || !(*set)->running()) continue;
    const PapiResult r = (*set)->Stop(&values);
    if (!r.ok()) {
      ok = false;
      slot.Note("thread " + std::to_string(tid) + ": " + r.message);
      slot.pass = -1;  // rebuild at the next start
      continue;
    }
    for (size_t i = 0; i < values.size() && i < positions->size(); ++i) {
      window[static_cast<size_t>((*positions)[i])] = static_cast<double>(values[i]);
    }
  }
  slot.windows.push_back(std::move(window));
  slot.window_ok.push_back(ok);
}

void CounterSession::EndPass(uint64_t iterations, int repetitions) {
  const std::vector<int>& list = pass_events_[static_cast<size_t>(pass_)];
  std::string problem;
  size_t windows = SIZE_MAX;
  for (const auto& slot : slots_) {
    if (!slot->problem.empty() && problem.empty()) problem = slot->problem;
    windows = std::min(windows, slot->windows.size());
  }
  if (windows == 0 || windows == SIZE_MAX) {
    if (problem.empty()) {
      problem = "not every one of the " + std::to_string(options_.threads) +
                " threads counted a window in pass " + std::to_string(pass_) +
                " (the team must have the session's thread count)";
    }
    for (int i : list) events_[static_cast<size_t>(i)].problem = problem;
    return;
  }
  const size_t keep = std::min(windows, static_cast<size_t>(std::max(1, repetitions)));
  const double iters = static_cast<double>(std::max<uint64_t>(1, iterations));
  for (size_t pos = 0; pos < list.size(); ++pos) {
    Event& e = events_[static_cast<size_t>(list[pos])];
    std::vector<double> per_iter;
    bool ok = true;
    double total = 0;
    for (size_t w = windows - keep; w < windows; ++w) {
      total = 0;
      for (const auto& slot : slots_) {
        const size_t index = slot->windows.size() - windows + w;  // align on the last windows
        ok = ok && slot->window_ok[index];
        total += slot->windows[index][pos];
      }
      per_iter.push_back(total / iters);
    }
    if (!ok) {
      e.problem = problem.empty() ? "a thread failed to count a window" : problem;
      continue;
    }
    e.measured = true;
    e.per_iteration = Median(per_iter);
    e.last_window = total;
  }
}

std::vector<CounterReading> CounterSession::Readings() const {
  std::vector<CounterReading> out;
  for (const Planned& p : planned_) {
    CounterReading r;
    r.quantity = p.quantity;
    r.source = p.source;
    r.recipe = p.recipe.label;
    r.note = p.recipe.note;
    r.scope = p.source == "sde"                       ? "process"
              : p.recipe.scope == EventScope::kSocket ? "socket"
                                                      : "threads";
    for (const EventTerm& t : p.recipe.terms) r.events.push_back(DescribeTerm(t));
    r.problem = p.problem;
    if (r.problem.empty()) {
      bool all = true;
      for (size_t k = 0; k < p.events.size(); ++k) {
        const Event& e = events_[static_cast<size_t>(p.events[k])];
        r.passes.push_back(e.pass);
        const double w = p.recipe.terms[k].weight;
        if (!e.measured) {
          all = false;
          if (r.problem.empty()) {
            r.problem = e.problem.empty() ? "pass " + std::to_string(e.pass) + " was not measured"
                                          : e.problem;
          }
          continue;
        }
        r.per_iteration += w * e.per_iteration;
        r.last_window += w * e.last_window;
      }
      r.available = all;
    }
    out.push_back(r);
  }
  return out;
}

const CounterReading* FindReading(const std::vector<CounterReading>& readings, Quantity q,
                                  const std::string& source) {
  for (const CounterReading& r : readings) {
    if (r.quantity == q && r.source == source) return &r;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Self-check

SelfCheckVerdict JudgeCount(const std::string& check, Quantity q, double known,
                            const CounterReading* reading) {
  SelfCheckVerdict v;
  v.check = check;
  v.quantity = q;
  v.known = known;
  if (reading == nullptr || !reading->available) {
    v.verdict = "not counted";
    v.detail =
        reading ? reading->problem : "no hardware reading for " + std::string(QuantityName(q));
    return v;
  }
  v.events = reading->events;
  v.counted = reading->per_iteration;
  v.ratio = known > 0 ? v.counted / known : 0;
  const bool agrees = known > 0 && std::fabs(v.ratio - 1) <= kSelfCheckTolerance;
  v.verdict = agrees ? "agrees" : "disagrees";
  char buf[160];
  std::snprintf(buf, sizeof(buf), "counted %.4g, known %.4g (ratio %.3f, tolerance %.0f%%)",
                v.counted, v.known, v.ratio, 100 * kSelfCheckTolerance);
  v.detail = buf;
  return v;
}

std::string SelfCheck::Summary() const {
  if (!ran) return "counter self-check did not run: " + reason;
  std::string out;
  for (const SelfCheckVerdict& v : verdicts) {
    out += std::string(QuantityName(v.quantity)) + " " + v.check + ": " + v.verdict + " - " +
           v.detail + "\n";
  }
  return out;
}

namespace {

// FLOPs per self-check FLOP run: about 5 ms at the 200 GFLOP/s of one AVX-512 core, long
// enough that the kernel's few setup and reduction FLOPs are a 1e-6 fraction of the count.
constexpr double kFlopCheckFlops = 1e9;
// Bytes streamed per bandwidth check: a few ms from cache, ~20 ms from DRAM, and thousands of
// passes over the smallest array so the first pass's cold misses do not matter.
constexpr double kBytesCheckTraffic = 512.0 * (1 << 20);
// Arrays are 4x the cache they must stream past: even an adaptive replacement policy keeps at
// most one cache's worth (a quarter) between passes, and LRU keeps nothing of a cyclic sweep.
constexpr uint64_t kStreamPastFactor = 4;

// Counts one call of `work` on the calling thread through every pass of `session`.
template <class Work>
std::vector<CounterReading> CountOnce(CounterSession& session, Work&& work) {
  for (int p = 0; p < session.passes(); ++p) {
    session.BeginPass(p);
    session.ThreadStart(0);
    work();
    session.ThreadStop(0);
    session.EndPass(1, 1);
  }
  return session.Readings();
}

uint64_t CacheBytes(const std::vector<CacheLevel>& caches, int level) {
  for (const CacheLevel& c : caches) {
    if (c.level == level) return c.size_bytes;
  }
  return 0;
}

}  // namespace

SelfCheck RunCounterSelfCheck(const std::vector<CacheLevel>& caches) {
  SelfCheck out;
  const CounterStatus& status = GetCounterStatus();
  if (!status.hardware_usable) {
    out.reason = "hardware counters unavailable: " + status.hardware_reason +
                 (status.hardware_fix.empty() ? "" : ". Fix: " + status.hardware_fix);
    return out;
  }
  out.ran = true;
  volatile double sink = 0;

  CounterOptions flop_opt;
  flop_opt.sde = false;
  flop_opt.quantities = {Quantity::kFlops};
  for (int64_t target : AvailableTargets()) {
    if (IsEmulatedTarget(target)) continue;
    for (Precision p : {Precision::kFp64, Precision::kFp32}) {
      const double per_iter = FlopsPerIteration(target, p, FlopOp::kFma);
      const uint64_t iters = static_cast<uint64_t>(std::ceil(kFlopCheckFlops / per_iter));
      CounterSession session(flop_opt);
      const std::vector<CounterReading> r =
          CountOnce(session, [&] { sink = sink + RunFlopKernel(target, p, FlopOp::kFma, iters); });
      const std::string name = std::string(PrecisionName(p)) + " " +
                               (TargetHasFma(target) ? "fma" : "mul+add") + " on " +
                               TargetName(target);
      out.verdicts.push_back(JudgeCount(name, Quantity::kFlops,
                                        per_iter * static_cast<double>(iters),
                                        FindReading(r, Quantity::kFlops, "counters")));
    }
  }

  // Load sweeps sized to stream past one level and stay inside the next: every pass refills
  // the whole array at that boundary, so the traffic there is the array size per pass.
  struct BytesCheck {
    Quantity quantity;
    int past_level;  // the cache the array streams past
  };
  const int last_level = CacheBytes(caches, 3) ? 3 : CacheBytes(caches, 2) ? 2 : 1;
  const BytesCheck checks[] = {
      {Quantity::kBytesL2, 1}, {Quantity::kBytesL3, 2}, {Quantity::kBytesDram, last_level}};
  const int64_t target = BestTarget();
  for (const BytesCheck& c : checks) {
    if (c.quantity == Quantity::kBytesL3 && last_level < 3) continue;
    const uint64_t past = CacheBytes(caches, c.past_level);
    const uint64_t next =
        c.quantity == Quantity::kBytesDram ? 0 : CacheBytes(caches, c.past_level + 1);
    const std::string what = std::string("load past L") + std::to_string(c.past_level);
    if (past == 0) {
      out.verdicts.push_back({what,
                              c.quantity,
                              {},
                              0,
                              0,
                              0,
                              "not counted",
                              "the size of L" + std::to_string(c.past_level) + " is unknown"});
      continue;
    }
    uint64_t bytes = kStreamPastFactor * past;
    if (next != 0 && bytes > next / 2) {
      out.verdicts.push_back({what,
                              c.quantity,
                              {},
                              0,
                              0,
                              0,
                              "not counted",
                              "L" + std::to_string(c.past_level + 1) + " is too small beside L" +
                                  std::to_string(c.past_level) + " for a clean stream"});
      continue;
    }
    const uint64_t budget = WorkingSetBudget();
    if (budget != 0 && bytes > budget) {
      out.verdicts.push_back({what,
                              c.quantity,
                              {},
                              0,
                              0,
                              0,
                              "not counted",
                              "streaming past " + FormatBytes(static_cast<double>(past)) +
                                  " needs more memory than is available"});
      continue;
    }
    const size_t granule = BwGranuleElems(target);
    const size_t elems =
        std::max(granule, static_cast<size_t>(bytes / sizeof(double)) / granule * granule);
    bytes = elems * sizeof(double);
    AlignedBuffer buffer = AllocateAligned(bytes);
    double* array = reinterpret_cast<double*>(buffer.get());
    double* arrays[1] = {array};
    RunBandwidthKernel(target, BwKernel::kStore, arrays, elems, 1);  // first touch
    RunBandwidthKernel(target, BwKernel::kLoad, arrays, elems, 1);   // warm the levels below
    const uint64_t passes = std::max<uint64_t>(
        1, static_cast<uint64_t>(std::ceil(kBytesCheckTraffic / static_cast<double>(bytes))));
    CounterOptions opt;
    opt.sde = false;
    opt.quantities = {c.quantity};
    CounterSession session(opt);
    const std::vector<CounterReading> r = CountOnce(session, [&] {
      sink = sink + RunBandwidthKernel(target, BwKernel::kLoad, arrays, elems, passes);
    });
    out.verdicts.push_back(JudgeCount(what + " (" + FormatBytes(static_cast<double>(bytes)) + ")",
                                      c.quantity,
                                      static_cast<double>(bytes) * static_cast<double>(passes),
                                      FindReading(r, c.quantity, "counters")));
  }
  return out;
}

}  // namespace roofprof
