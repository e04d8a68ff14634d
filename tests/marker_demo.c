/* A user program instrumented with the roofprof marker API, run by profile_test.cc. */
#include <roofprof/marker.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 3;
  const size_t n = 1 << 16;
  double* a = malloc(n * sizeof(double));
  double s = 0;
  for (size_t i = 0; i < n; ++i) a[i] = (double)i;
  for (int r = 0; r < reps; ++r) {
    roofprof_region_begin("outer");
    roofprof_region_begin("sum");
    for (size_t i = 0; i < n; ++i) s += a[i];
    roofprof_region_end("sum");
    roofprof_region_add_work("sum", (double)n, 8.0 * (double)n);
    roofprof_region_end("outer");
  }
  roofprof_region_end("never-begun");
  free(a);
  printf("%f\n", s);
  return argc > 2 ? atoi(argv[2]) : 0;
}
