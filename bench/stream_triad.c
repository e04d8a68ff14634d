/* STREAM-style OpenMP triad a[i] = b[i] + s * c[i], the reference for roofprof's DRAM triad.
 * Build: cc -O3 -march=native -fopenmp stream_triad.c -o stream_triad
 * Usage: stream_triad TOTAL_BYTES [REPETITIONS]   (three double arrays share TOTAL_BYTES)
 * Prints the best rate in GB/s counting 24 bytes per element (two loads and one store; the
 * write-allocate read of a[] is not counted, as in STREAM and in roofprof's triad). */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s TOTAL_BYTES [REPETITIONS]\n", argv[0]);
    return 2;
  }
  const size_t n = (size_t)strtoull(argv[1], NULL, 10) / (3 * sizeof(double));
  const int reps = argc > 2 ? atoi(argv[2]) : 20;
  if (n == 0 || reps <= 0) {
    fprintf(stderr, "stream_triad: bad size or repetitions\n");
    return 2;
  }
  double* a = malloc(n * sizeof(double));
  double* b = malloc(n * sizeof(double));
  double* c = malloc(n * sizeof(double));
  if (!a || !b || !c) {
    fprintf(stderr, "stream_triad: out of memory\n");
    return 1;
  }
  /* First touch with the same static schedule as the timed loop. */
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) {
    a[i] = 0.0;
    b[i] = 1.0;
    c[i] = 2.0;
  }
  const double s = 3.0;
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const double t0 = omp_get_wtime();
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
    const double t = omp_get_wtime() - t0;
    if (t < best) best = t;
  }
  /* Use the result so the loop cannot be dropped. */
  if (a[n / 2] != 7.0) {
    fprintf(stderr, "stream_triad: wrong result %g\n", a[n / 2]);
    return 1;
  }
  printf("%.2f\n", 3.0 * sizeof(double) * (double)n / best / 1e9);
  free(a);
  free(b);
  free(c);
  return 0;
}
