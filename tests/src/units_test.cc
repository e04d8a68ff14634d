// Tests for strict size, shape and integer parsing.
#include "src/units.h"

#include <gtest/gtest.h>

#include "src/error.h"

namespace roofprof {
namespace {

TEST(ParseSize, AcceptsUnits) {
  EXPECT_EQ(ParseSize("4096", "x"), 4096u);
  EXPECT_EQ(ParseSize("64KiB", "x"), 65536u);
  EXPECT_EQ(ParseSize("64kib", "x"), 65536u);
  EXPECT_EQ(ParseSize("64KB", "x"), 64000u);
  EXPECT_EQ(ParseSize("64kB", "x"), 64000u);
  EXPECT_EQ(ParseSize("1.5MiB", "x"), 1572864u);
  EXPECT_EQ(ParseSize("1GB", "x"), 1000000000u);
  EXPECT_EQ(ParseSize("2GiB", "x"), 2147483648u);
  EXPECT_EQ(ParseSize("10B", "x"), 10u);
  EXPECT_EQ(ParseSize("1 MiB", "x"), 1048576u);
}

TEST(ParseSize, RejectsGarbage) {
  for (const char* bad : {"", "-1", "+5", "abc", "12XB", "1.2.3", "0", "0.5", "1.5B", "1e3",
                          "64KiBx", "64 KiB extra", "99999999999PiB", "1PB", ".", "1KIB"}) {
    EXPECT_THROW(ParseSize(bad, "--size"), UsageError) << bad;
  }
}

TEST(ParseSize, ErrorNamesOption) {
  try {
    ParseSize("12XB", "--max-bytes");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--max-bytes"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("12XB"), std::string::npos);
  }
}

TEST(ParseShape, ParsesInOrder) {
  const Shape s = ParseShape("m=4,n=4096,k=11008");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].first, "m");
  EXPECT_EQ(s[0].second, 4);
  EXPECT_EQ(s[2].first, "k");
  EXPECT_EQ(s[2].second, 11008);
  EXPECT_EQ(FormatShape(s), "m=4,n=4096,k=11008");
  EXPECT_EQ(ShapeValue(s, "n", 0), 4096);
  EXPECT_EQ(ShapeValue(s, "q", 7), 7);
}

TEST(ParseShape, RejectsBadInput) {
  for (const char* bad : {"", "m", "m=", "=4", "m=4,", "m=4,m=5", "m=-1", "m=0", "M=4", "m=4;n=5",
                          "m=1e3", "m=99999999999999999999", "1m=2", "m=4,,n=2"}) {
    EXPECT_THROW(ParseShape(bad), UsageError) << bad;
  }
}

TEST(ParseInt, Ranges) {
  EXPECT_EQ(ParseInt("3", 1, 4, "--threads"), 3);
  EXPECT_THROW(ParseInt("5", 1, 4, "--threads"), UsageError);
  EXPECT_THROW(ParseInt("0", 1, 4, "--threads"), UsageError);
  EXPECT_THROW(ParseInt("two", 1, 4, "--threads"), UsageError);
  EXPECT_THROW(ParseInt("", 1, 4, "--threads"), UsageError);
}

TEST(FormatBytes, BinaryUnits) {
  EXPECT_EQ(FormatBytes(4096), "4 KiB");
  EXPECT_EQ(FormatBytes(49152), "48 KiB");
  EXPECT_EQ(FormatBytes(1 << 20), "1 MiB");
  EXPECT_EQ(FormatBytes(1.5 * (1 << 30)), "1.5 GiB");
  EXPECT_EQ(FormatBytes(100), "100 B");
}

}  // namespace
}  // namespace roofprof
