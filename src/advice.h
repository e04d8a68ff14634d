// Advice tied to the cause of a classification, each with the number that would change it.
#ifndef ROOFPROF_SRC_ADVICE_H_
#define ROOFPROF_SRC_ADVICE_H_

#include <string>
#include <vector>

#include "src/machine.h"
#include "src/results.h"

namespace roofprof {

// Advice for a classified kernel result on machine `m`, where `usable_threads` CPUs were
// available. Rules (all quantities from the result and the measured ceilings):
//  - DRAM-bound weight streaming (gemv_*, gemm_*, ffn_*): the batch (m) that reaches the ridge
//    point, and the weight format that would cut the bytes (f32 -> bf16 -> q8_0 -> q4_0);
//  - DRAM-bound attention decode: f16 KV and GQA/MQA and what each saves;
//  - compute-bound: a wider measured ISA, or a lower precision with a measured ceiling;
//  - bound by an inner cache level: blocking for the level above;
//  - far under its roof: the gap, and threads / fusion where they apply.
std::vector<std::string> AdviseKernel(const KernelResult& r, const Machine& m, int usable_threads);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_ADVICE_H_
