# Kernel sources: LLM-style work with exact work models.
target_sources(roofprof_core PRIVATE
  kernels/attention.cc
  kernels/ffn.cc
  kernels/gemm.cc
  kernels/gemv.cc
  kernels/model_util.cc
  kernels/openblas.cc
  kernels/quant.cc
  kernels/registry.cc
)
