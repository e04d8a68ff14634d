// Terminal output: a compact roofline drawn with Unicode braille and box-drawing characters (or
// plain ASCII), and aligned plain-text tables.
#ifndef ROOFPROF_SRC_REPORT_TERMINAL_H_
#define ROOFPROF_SRC_REPORT_TERMINAL_H_

#include <string>
#include <vector>

#include "src/machine.h"
#include "src/results.h"

namespace roofprof {

// The roofline for the main thread count (see report::RooflineThreadCounts) in a block of
// `width` columns and `height` lines (title, plot, x axis), followed by a key: one line per
// ceiling group and one per kernel, each kernel drawn as a letter at the intensity of the level
// that binds it (its cache-aware intensity when compute binds). `unicode` false draws with
// ASCII only. Sizes below 40 x 12 are raised to that. Every line ends with '\n'.
std::string TerminalRoofline(const Machine& m, const KernelsFile* k, int width, int height,
                             bool unicode);

// Columns of a UTF-8 string as a terminal shows them (one per code point; the report's labels
// hold no wide or combining characters).
size_t DisplayWidth(const std::string& s);

// An aligned text table: a header row, a rule, the rows. Numbers read best right-aligned.
class TextTable {
 public:
  enum Align { kLeft, kRight };
  void AddColumn(const std::string& header, Align align = kLeft);
  void AddRow(std::vector<std::string> cells);
  // Columns are separated by two spaces; the rule uses box drawing when `unicode`.
  std::string Render(bool unicode = true) const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace roofprof

#endif  // ROOFPROF_SRC_REPORT_TERMINAL_H_
