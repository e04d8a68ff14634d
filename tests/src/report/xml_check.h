// A strict little XML reader for tests: checks well-formedness (one root, balanced tags, quoted
// unique attributes, valid references, valid UTF-8, no forbidden characters) and returns a tree.
#ifndef ROOFPROF_TESTS_SRC_REPORT_XML_CHECK_H_
#define ROOFPROF_TESTS_SRC_REPORT_XML_CHECK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace roofprof {
namespace testing_report {

struct XmlNode {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;  // values with references decoded
  std::vector<XmlNode> children;
  std::string text;  // character data directly inside, references decoded

  const std::string* Attr(const std::string& key) const {
    for (const auto& a : attrs) {
      if (a.first == key) return &a.second;
    }
    return nullptr;
  }
  bool HasClass(const std::string& cls) const {
    const std::string* c = Attr("class");
    if (c == nullptr) return false;
    const std::string s = " " + *c + " ";
    return s.find(" " + cls + " ") != std::string::npos;
  }
  // Depth-first, document order.
  void Walk(const std::function<void(const XmlNode&)>& f) const {
    f(*this);
    for (const auto& c : children) c.Walk(f);
  }
};

class XmlReader {
 public:
  explicit XmlReader(const std::string& s) : s_(s) {}

  // Parses the whole document. On failure returns false and sets `error` with the offset.
  bool Parse(XmlNode* root, std::string* error) {
    if (!ValidUtf8()) return Fail("invalid UTF-8 or forbidden character", error);
    if (s_.compare(0, 5, "<?xml") == 0) {
      const size_t e = s_.find("?>");
      if (e == std::string::npos) return Fail("unterminated XML declaration", error);
      i_ = e + 2;
    }
    SkipMisc();
    if (i_ >= s_.size() || s_[i_] != '<') return Fail("no root element", error);
    if (!Element(root)) return Fail(err_, error);
    SkipMisc();
    if (i_ != s_.size()) return Fail("content after the root element", error);
    return true;
  }

 private:
  bool Fail(const std::string& what, std::string* error) {
    *error = what + " at offset " + std::to_string(i_);
    return false;
  }
  bool Error(const std::string& what) {
    err_ = what;
    return false;
  }

  bool ValidUtf8() const {
    for (size_t i = 0; i < s_.size();) {
      const unsigned char c = static_cast<unsigned char>(s_[i]);
      int n = 0;
      uint32_t cp = 0;
      if (c < 0x80) {
        n = 1;
        cp = c;
      } else if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
      } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
      } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
      } else {
        return false;
      }
      if (i + static_cast<size_t>(n) > s_.size()) return false;
      for (int k = 1; k < n; ++k) {
        const unsigned char d = static_cast<unsigned char>(s_[i + static_cast<size_t>(k)]);
        if ((d & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (d & 0x3F);
      }
      const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') return false;
      if (cp == 0xFFFE || cp == 0xFFFF) return false;
      i += static_cast<size_t>(n);
    }
    return true;
  }

  static bool NameStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }
  static bool NameChar(char c) {
    return NameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
  }
  static bool Space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  void SkipSpace() {
    while (i_ < s_.size() && Space(s_[i_])) ++i_;
  }
  // Whitespace and comments.
  void SkipMisc() {
    for (;;) {
      SkipSpace();
      if (s_.compare(i_, 4, "<!--") == 0) {
        const size_t e = s_.find("-->", i_ + 4);
        if (e == std::string::npos) return;
        i_ = e + 3;
        continue;
      }
      return;
    }
  }

  bool Name(std::string* out) {
    if (i_ >= s_.size() || !NameStart(s_[i_])) return Error("expected a name");
    const size_t b = i_;
    while (i_ < s_.size() && NameChar(s_[i_])) ++i_;
    *out = s_.substr(b, i_ - b);
    return true;
  }

  // Decodes one reference starting at '&'; appends to `out`.
  bool Reference(std::string* out) {
    const size_t semi = s_.find(';', i_);
    if (semi == std::string::npos || semi - i_ > 12) return Error("bad reference");
    const std::string ref = s_.substr(i_ + 1, semi - i_ - 1);
    i_ = semi + 1;
    if (ref == "amp") return out->append("&"), true;
    if (ref == "lt") return out->append("<"), true;
    if (ref == "gt") return out->append(">"), true;
    if (ref == "quot") return out->append("\""), true;
    if (ref == "apos") return out->append("'"), true;
    if (ref.size() >= 2 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return Error("empty character reference");
      uint32_t cp = 0;
      for (const char c : digits) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
        if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) return Error("bad character reference");
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
        if (cp > 0x10FFFF) return Error("character reference out of range");
      }
      if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') {
        return Error("reference to a forbidden character");
      }
      out->append(cp < 0x80 ? std::string(1, static_cast<char>(cp)) : "?");
      return true;
    }
    return Error("unknown entity &" + ref + ";");
  }

  bool Element(XmlNode* node) {
    ++i_;  // '<'
    if (!Name(&node->name)) return false;
    for (;;) {
      const size_t before = i_;
      SkipSpace();
      if (i_ >= s_.size()) return Error("unterminated start tag");
      if (s_.compare(i_, 2, "/>") == 0) {
        i_ += 2;
        return true;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      if (i_ == before) return Error("attributes must be separated by space");
      std::string key;
      if (!Name(&key)) return false;
      SkipSpace();
      if (i_ >= s_.size() || s_[i_] != '=') return Error("attribute without '='");
      ++i_;
      SkipSpace();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) {
        return Error("unquoted attribute value");
      }
      const char q = s_[i_++];
      std::string value;
      while (i_ < s_.size() && s_[i_] != q) {
        if (s_[i_] == '<') return Error("'<' in an attribute value");
        if (s_[i_] == '&') {
          if (!Reference(&value)) return false;
          continue;
        }
        value += s_[i_++];
      }
      if (i_ >= s_.size()) return Error("unterminated attribute value");
      ++i_;
      if (node->Attr(key) != nullptr) return Error("duplicate attribute " + key);
      node->attrs.emplace_back(key, value);
    }
    // Content.
    for (;;) {
      if (i_ >= s_.size()) return Error("unclosed element <" + node->name + ">");
      if (s_.compare(i_, 4, "<!--") == 0) {
        const size_t e = s_.find("-->", i_ + 4);
        if (e == std::string::npos) return Error("unterminated comment");
        i_ = e + 3;
        continue;
      }
      if (s_.compare(i_, 2, "</") == 0) {
        i_ += 2;
        std::string name;
        if (!Name(&name)) return false;
        if (name != node->name) return Error("</" + name + "> closes <" + node->name + ">");
        SkipSpace();
        if (i_ >= s_.size() || s_[i_] != '>') return Error("bad end tag");
        ++i_;
        return true;
      }
      if (s_[i_] == '<') {
        node->children.emplace_back();
        if (!Element(&node->children.back())) return false;
        continue;
      }
      if (s_[i_] == '&') {
        if (!Reference(&node->text)) return false;
        continue;
      }
      if (s_.compare(i_, 3, "]]>") == 0) return Error("']]>' in character data");
      node->text += s_[i_++];
    }
  }

  const std::string& s_;
  size_t i_ = 0;
  std::string err_;
};

}  // namespace testing_report
}  // namespace roofprof

#endif  // ROOFPROF_TESTS_SRC_REPORT_XML_CHECK_H_
