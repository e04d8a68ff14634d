// Strict, path-aware reading of JSON input: every error names the file, the key and the problem.
#ifndef ROOFPROF_SRC_JSON_UTIL_H_
#define ROOFPROF_SRC_JSON_UTIL_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace roofprof {

// Insertion-ordered, so shapes and other user-facing keys keep the order they were written in.
using Json = nlohmann::ordered_json;
// Keeps key order as written, so output files read in the order of DESIGN.md's contract.
using OrderedJson = nlohmann::ordered_json;

// Parses `text` from `file`; throws UsageError "FILE: not valid JSON (...)" on syntax errors,
// including truncation. Nesting deeper than 64 levels is rejected (no recursion bombs).
Json ParseJsonText(const std::string& text, const std::string& file);

// A position inside a parsed document, for reading with checks. `path` is like
// "compute[3].gflops".
class JsonCursor {
 public:
  JsonCursor(const Json& value, std::string file, std::string path = "")
      : v_(value), file_(std::move(file)), path_(std::move(path)) {}

  const Json& value() const { return v_; }
  const std::string& path() const { return path_; }

  // Fails unless this value is an object / array.
  JsonCursor Object() const;
  JsonCursor Array() const;
  size_t size() const { return v_.size(); }
  bool Has(const std::string& key) const { return v_.is_object() && v_.contains(key); }

  // Member access; missing keys are an error.
  JsonCursor operator[](const std::string& key) const;
  JsonCursor operator[](size_t index) const;

  std::string String() const;
  // A finite number in [lo, hi].
  double Number(double lo, double hi) const;
  // A finite number in [lo, hi], or null (returned as NaN) when `allow_null`.
  double NumberOrNull(double lo, double hi) const;
  int64_t Integer(int64_t lo, int64_t hi) const;
  bool Boolean() const;

  // Throws UsageError "FILE: PATH: message".
  [[noreturn]] void Fail(const std::string& message) const;

 private:
  const Json& v_;
  std::string file_;
  std::string path_;
};

// Writes `j` as indented text with a trailing newline; non-finite numbers become null.
std::string DumpJson(const OrderedJson& j);

// A JSON number, or null when not finite (JSON has no NaN/Inf).
OrderedJson NumberOrNull(double v);

}  // namespace roofprof

#endif  // ROOFPROF_SRC_JSON_UTIL_H_
