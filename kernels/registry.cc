// The kernel registry: every family adds its kernels; lookup and shape completion.
#include "kernels/workload.h"
#include "src/error.h"

namespace roofprof {

// Each kernel family defines its registration function beside its kernels and is listed here
// once, in the order `roofprof kernels` runs and lists them.
void RegisterGemmKernels(std::vector<KernelInfo>* out);
void RegisterGemvKernels(std::vector<KernelInfo>* out);
void RegisterAttentionKernels(std::vector<KernelInfo>* out);
void RegisterFfnKernels(std::vector<KernelInfo>* out);

const std::vector<KernelInfo>& KernelRegistry() {
  static const std::vector<KernelInfo> registry = [] {
    std::vector<KernelInfo> r;
    RegisterGemmKernels(&r);
    RegisterGemvKernels(&r);
    RegisterAttentionKernels(&r);
    RegisterFfnKernels(&r);
    return r;
  }();
  return registry;
}

const KernelInfo* FindKernel(const std::string& name) {
  for (const auto& k : KernelRegistry()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

Shape CompleteShape(const KernelInfo& info, const Shape& given) {
  for (const auto& kv : given) {
    bool known = false;
    for (const auto& d : info.dims) known = known || d == kv.first;
    if (!known) {
      std::string dims;
      for (const auto& d : info.dims) dims += (dims.empty() ? "" : ",") + d;
      throw UsageError("--shape: " + info.name + " has no dimension '" + kv.first + "' (it takes " +
                       dims + ")");
    }
  }
  Shape out;
  for (const auto& d : info.dims) {
    out.emplace_back(d, ShapeValue(given, d, ShapeValue(info.default_shape, d, 0)));
  }
  return out;
}

}  // namespace roofprof
