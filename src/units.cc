// Strict parsing of sizes, shapes and integers: bad input is a UsageError, never a guess.
#include "src/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "src/error.h"

namespace roofprof {
namespace {

constexpr uint64_t kMaxSize = uint64_t{1} << 50;  // 1 PiB: far beyond any buffer we allocate

bool EqualsNoCase(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i] != '\0'; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return i == a.size() && b[i] == '\0';
}

// Multiplier for a unit suffix, 0 if unknown. "i" must be lower-case to mark binary units.
double UnitMultiplier(const std::string& unit) {
  if (unit.empty() || EqualsNoCase(unit, "b")) return 1;
  static const struct {
    const char* dec;
    const char* bin;
    double power;
  } kUnits[] = {{"kb", "kib", 1}, {"mb", "mib", 2}, {"gb", "gib", 3}, {"tb", "tib", 4}};
  for (const auto& u : kUnits) {
    if (EqualsNoCase(unit, u.dec)) return std::pow(1000.0, u.power);
    if (unit.size() == 3 && unit[1] == 'i' && EqualsNoCase(unit, u.bin)) {
      return std::pow(1024.0, u.power);
    }
  }
  return 0;
}

}  // namespace

uint64_t ParseSize(const std::string& text, const std::string& what) {
  const auto bad = [&](const std::string& why) {
    return UsageError(what + ": '" + text + "' is not a valid size (" + why +
                      "; examples: 4096, 64KiB, 1.5MiB, 2GB)");
  };
  size_t i = 0;
  bool seen_digit = false, seen_dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      seen_digit = true;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      break;
    }
  }
  if (!seen_digit) throw bad("expected a number");
  if (i > 24) throw bad("too many digits");
  const std::string number = text.substr(0, i);
  std::string unit = text.substr(i);
  if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  const double mult = UnitMultiplier(unit);
  if (mult == 0) throw bad("unknown unit '" + unit + "'");
  const double value = std::strtod(number.c_str(), nullptr) * mult;
  if (!std::isfinite(value) || value > static_cast<double>(kMaxSize)) throw bad("too large");
  if (value < 1) throw bad("must be at least 1 byte");
  if (value != std::floor(value)) throw bad("not a whole number of bytes");
  return static_cast<uint64_t>(value);
}

int64_t ParseInt(const std::string& text, int64_t lo, int64_t hi, const std::string& what) {
  const auto bad = [&](const std::string& why) {
    return UsageError(what + ": '" + text + "' " + why);
  };
  if (text.empty()) throw bad("is empty");
  if (text.size() > 18) throw bad("is too large");
  int64_t v = 0;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) throw bad("is not a positive integer");
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) {
    throw bad("is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

Shape ParseShape(const std::string& text) {
  Shape shape;
  if (text.empty()) throw UsageError("--shape: empty (expected e.g. m=4,n=4096,k=4096)");
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--shape: '" + item +
                       "' is not key=value (expected e.g. m=4,n=4096,k=4096)");
    }
    const std::string key = item.substr(0, eq);
    for (size_t j = 0; j < key.size(); ++j) {
      const char c = key[j];
      const bool ok = (c >= 'a' && c <= 'z') || c == '_' || (j > 0 && c >= '0' && c <= '9');
      if (!ok) throw UsageError("--shape: '" + key + "' is not a valid dimension name");
    }
    for (const auto& kv : shape) {
      if (kv.first == key) throw UsageError("--shape: '" + key + "' given twice");
    }
    const int64_t value = ParseInt(item.substr(eq + 1), 1, int64_t{1} << 40, "--shape " + key);
    shape.emplace_back(key, value);
    if (end == text.size()) break;
    start = end + 1;
    if (start == text.size()) throw UsageError("--shape: trailing ','");
  }
  return shape;
}

int64_t ShapeValue(const Shape& shape, const std::string& key, int64_t fallback) {
  for (const auto& kv : shape) {
    if (kv.first == key) return kv.second;
  }
  return fallback;
}

std::string FormatShape(const Shape& shape) {
  std::string out;
  for (const auto& kv : shape) {
    if (!out.empty()) out += ',';
    out += kv.first + "=" + std::to_string(kv.second);
  }
  return out;
}

std::string FormatBytes(double bytes) {
  static const char* const kNames[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0 || bytes == std::floor(bytes)) {
    std::snprintf(buf, sizeof(buf), "%.0f %s", bytes, kNames[unit]);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3g %s", bytes, kNames[unit]);
  }
  return buf;
}

std::string FormatRate(double value) {
  char buf[32];
  if (!std::isfinite(value)) return "n/a";
  if (std::fabs(value) >= 100) {
    std::snprintf(buf, sizeof(buf), "%.0f", value);
  } else if (std::fabs(value) >= 10) {
    std::snprintf(buf, sizeof(buf), "%.1f", value);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3g", value);
  }
  return buf;
}

}  // namespace roofprof
