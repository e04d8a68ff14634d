/* roofprof marker API: name regions of your own program so `roofprof profile` can place each
 * one on the machine's roofline.
 *
 *   #include <roofprof/marker.h>
 *   roofprof_region_begin("attention");
 *   ... work ...
 *   roofprof_region_end("attention");
 *   roofprof_region_add_work("attention", flops, dram_bytes);  // optional: your own counts
 *
 * Link with -lroofprof_marker. Begin/end pairs may nest and repeat, from any thread (each
 * thread times its own pairs; a region's time is the sum over its pairs). Counts given with
 * roofprof_region_add_work carry the provenance "user". When the program runs under
 * `roofprof profile`, the regions are written at exit to the file named by the environment
 * variable ROOFPROF_REGIONS; otherwise the calls only cost a clock read.
 */
#ifndef ROOFPROF_MARKER_H_
#define ROOFPROF_MARKER_H_

#if defined(__GNUC__) || defined(__clang__)
#define ROOFPROF_MARKER_API __attribute__((visibility("default")))
#else
#define ROOFPROF_MARKER_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

ROOFPROF_MARKER_API void roofprof_region_begin(const char* name);
ROOFPROF_MARKER_API void roofprof_region_end(const char* name);
ROOFPROF_MARKER_API void roofprof_region_add_work(const char* name, double flops,
                                                  double dram_bytes);
/* Writes the regions file now (also done automatically at exit). Returns 0 on success. */
ROOFPROF_MARKER_API int roofprof_regions_flush(void);

#ifdef __cplusplus
}
#endif

#endif /* ROOFPROF_MARKER_H_ */
