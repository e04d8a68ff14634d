// Strict parsing and formatting of sizes ("64KiB", "1GB"), shapes ("m=4,n=4096") and counts.
#ifndef ROOFPROF_SRC_UNITS_H_
#define ROOFPROF_SRC_UNITS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace roofprof {

// A kernel shape: ordered (name, value) pairs such as m=4,n=4096,k=4096. Order is kept as
// given so output matches the user's spelling.
using Shape = std::vector<std::pair<std::string, int64_t>>;

// Parses a byte size: an integer or decimal number followed by an optional unit
// B, kB/KB (1000), KiB (1024), MB, MiB, GB, GiB, TB, TiB (unit case-insensitive except the "i").
// Rejects signs, empty strings, trailing garbage, zero and values above 2^50.
// Throws UsageError naming `what`.
uint64_t ParseSize(const std::string& text, const std::string& what);

// Parses "k1=v1,k2=v2" with plain positive integer values (no units, no signs).
// Keys: [a-z_][a-z0-9_]*, each at most once. Throws UsageError.
Shape ParseShape(const std::string& text);

// Parses a positive integer in [lo, hi]. Throws UsageError naming `what`.
int64_t ParseInt(const std::string& text, int64_t lo, int64_t hi, const std::string& what);

// Value of `key` in `shape`, or `fallback` when absent.
int64_t ShapeValue(const Shape& shape, const std::string& key, int64_t fallback);

// "m=4,n=4096,k=4096".
std::string FormatShape(const Shape& shape);

// Human-readable binary size: "48 KiB", "1 MiB", "1.5 GiB", "4096 B".
std::string FormatBytes(double bytes);

// Compact number with SI prefix for rates: 1234.5 -> "1235", 0.0123 -> "0.0123".
std::string FormatRate(double value);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_UNITS_H_
