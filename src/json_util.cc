// Strict JSON reading with file/key context for error messages, and canonical writing.
#include "src/json_util.h"

#include <cmath>
#include <cstdio>

#include "src/error.h"

namespace roofprof {

Json ParseJsonText(const std::string& text, const std::string& file) {
  // Bound nesting before handing the text to the parser: nlohmann recurses per level.
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  if (max_depth > 64) throw UsageError(file + ": not valid JSON (nesting deeper than 64)");
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    const size_t pos = what.find("parse error");
    if (pos != std::string::npos) what = what.substr(pos);
    throw UsageError(file + ": not valid JSON (" + what + ")");
  } catch (const Json::out_of_range& e) {
    // A number beyond double's range, e.g. 1E999999: the parser reports it as out of range.
    std::string what = e.what();
    const size_t pos = what.find("number overflow");
    if (pos != std::string::npos) what = what.substr(pos);
    throw UsageError(file + ": not valid JSON (" + what + ")");
  }
}

void JsonCursor::Fail(const std::string& message) const {
  throw UsageError(file_ + ": " + (path_.empty() ? std::string("top level") : path_) + ": " +
                   message);
}

JsonCursor JsonCursor::Object() const {
  if (!v_.is_object()) Fail("expected an object");
  return *this;
}

JsonCursor JsonCursor::Array() const {
  if (!v_.is_array()) Fail("expected an array");
  return *this;
}

JsonCursor JsonCursor::operator[](const std::string& key) const {
  if (!v_.is_object()) Fail("expected an object");
  const auto it = v_.find(key);
  const std::string child = path_.empty() ? key : path_ + "." + key;
  if (it == v_.end()) JsonCursor(v_, file_, child).Fail("missing");
  return JsonCursor(*it, file_, child);
}

JsonCursor JsonCursor::operator[](size_t index) const {
  if (!v_.is_array()) Fail("expected an array");
  const std::string child = path_ + "[" + std::to_string(index) + "]";
  if (index >= v_.size()) JsonCursor(v_, file_, child).Fail("missing");
  return JsonCursor(v_[index], file_, child);
}

std::string JsonCursor::String() const {
  if (!v_.is_string()) Fail("expected a string");
  return v_.get<std::string>();
}

double JsonCursor::Number(double lo, double hi) const {
  if (!v_.is_number()) Fail("expected a number");
  const double d = v_.get<double>();
  if (!std::isfinite(d)) Fail("not a finite number");
  if (d < lo || d > hi) {
    char text[96];
    std::snprintf(text, sizeof text, "value %g out of range [%g, %g]", d, lo, hi);
    Fail(text);
  }
  return d;
}

double JsonCursor::NumberOrNull(double lo, double hi) const {
  if (v_.is_null()) return std::nan("");
  return Number(lo, hi);
}

int64_t JsonCursor::Integer(int64_t lo, int64_t hi) const {
  if (!v_.is_number_integer() && !v_.is_number_unsigned()) Fail("expected an integer");
  if (v_.is_number_unsigned() && v_.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    Fail("integer too large");
  }
  const int64_t i = v_.get<int64_t>();
  if (i < lo || i > hi) {
    Fail("value " + std::to_string(i) + " out of range [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "]");
  }
  return i;
}

bool JsonCursor::Boolean() const {
  if (!v_.is_boolean()) Fail("expected true or false");
  return v_.get<bool>();
}

std::string DumpJson(const OrderedJson& j) { return j.dump(2) + "\n"; }

OrderedJson NumberOrNull(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

}  // namespace roofprof
