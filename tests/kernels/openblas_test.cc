// Tests of the OpenBLAS baseline workloads (skipped, with the reason, without libopenblas).
#include "kernels/openblas.h"

#include <gtest/gtest.h>

#include <string>

#include "kernels/workload.h"
#include "src/targets.h"

namespace roofprof {
namespace {

ModelContext TwoThreads() {
  ModelContext ctx;
  ctx.threads = 2;
  ctx.caches = {{1, 48 << 10, 1, "test", 0}, {2, 1 << 20, 1, "test", 0}};
  return ctx;
}

TEST(OpenBlasTest, GemmMatchesReferenceAndOwnModel) {
  std::string why;
  const Shape shape = {{"m", 33}, {"n", 70}, {"k", 129}};
  auto wl = MakeBaselineWorkload("openblas", "gemm_f32", shape, 2, &why);
  if (wl == nullptr) GTEST_SKIP() << why;
  EXPECT_EQ(wl->name(), "openblas:gemm_f32");
  EXPECT_EQ(ShapeValue(wl->shape(), "k", 0), 129);
  wl->Setup(2);
  wl->Run(BestTarget());
  EXPECT_LE(wl->Verify(), 1.0);
  // Same model as roofprof's own kernel for the shape.
  const auto own = FindKernel("gemm_f32")->make(shape);
  const WorkModel a = wl->Model(TwoThreads()), b = own->Model(TwoThreads());
  EXPECT_EQ(a.flops, 2.0 * 33 * 70 * 129);
  EXPECT_EQ(a.flops, b.flops);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.compulsory_bytes, b.compulsory_bytes);
}

TEST(OpenBlasTest, GemvUsesTheRegistry) {
  std::string why;
  auto wl = MakeBaselineWorkload("openblas", "gemv_f32", {{"n", 300}, {"k", 257}}, 1, &why);
  if (FindKernel("gemv_f32") == nullptr) {
    // Without the kernel there is nothing to compare against: refused with a reason.
    EXPECT_EQ(wl, nullptr);
    EXPECT_NE(why.find("gemv_f32"), std::string::npos) << why;
    return;
  }
  if (wl == nullptr) GTEST_SKIP() << why;
  EXPECT_EQ(wl->name(), "openblas:gemv_f32");
  wl->Setup(1);
  wl->Run(BestTarget());
  EXPECT_LE(wl->Verify(), 1.0);
}

TEST(OpenBlasTest, RefusesWhatItCannotRun) {
  std::string why;
  EXPECT_EQ(MakeBaselineWorkload("mkl", "gemm_f32", {}, 1, &why), nullptr);
  EXPECT_NE(why.find("mkl"), std::string::npos) << why;
  why.clear();
  EXPECT_EQ(MakeBaselineWorkload("openblas", "attn_decode", {}, 1, &why), nullptr);
  EXPECT_NE(why.find("attn_decode"), std::string::npos) << why;
}

}  // namespace
}  // namespace roofprof
