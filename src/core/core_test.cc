#include <gtest/gtest.h>

#include "core/duration_text.h"
#include "core/error.h"
#include "core/json_text.h"
#include "core/text.h"

namespace llmbench {
namespace {

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(*parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*parse_duration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(*parse_duration("5m"), std::chrono::minutes(5));
  EXPECT_EQ(*parse_duration("1h"), std::chrono::hours(1));
  EXPECT_EQ(*parse_duration("1.5"), std::chrono::milliseconds(1500));
  EXPECT_EQ(*parse_duration("20us"), std::chrono::microseconds(20));
}

TEST(Duration, RejectsNonsenseWithAnExample) {
  for (const char* bad : {"", "ms", "10 s", "10parsecs", "-5s", "1e3s"}) {
    auto d = parse_duration(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_NE(d.error().message.find("250ms"), std::string::npos);
  }
}

TEST(Duration, FormatsReadably) {
  EXPECT_EQ(format_duration(std::chrono::milliseconds(50)), "50ms");
  EXPECT_EQ(format_duration(std::chrono::seconds(2)), "2s");
}

TEST(ErrorCategory, NamesRoundTrip) {
  for (const ErrorCategory c : kAllErrorCategories) {
    EXPECT_EQ(error_category_from_string(to_string(c)), c);
  }
  EXPECT_EQ(category_for_http_status(429), ErrorCategory::kHttp429);
  EXPECT_EQ(category_for_http_status(404), ErrorCategory::kHttp4xx);
  EXPECT_EQ(category_for_http_status(503), ErrorCategory::kHttp5xx);
  EXPECT_TRUE(is_timeout(ErrorCategory::kTimeoutIdle));
  EXPECT_FALSE(is_timeout(ErrorCategory::kHttp5xx));
}

TEST(JsonText, EscapesWhatJsonRequires) {
  std::string out;
  append_json_string(out, "a\"b\\c\nd\te\x01 é");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\te\\u0001 é\"");
}

}  // namespace
}  // namespace llmbench

namespace llmbench {
namespace {

TEST(Text, TrimBlanksKeepsInnerText) {
  EXPECT_EQ(trim_blanks(" \t a b \t\r"), "a b");
  EXPECT_EQ(trim_blanks("\r x"), "\r x");  // a leading CR is content
  EXPECT_EQ(trim_blanks("   "), "");
}

TEST(Text, SplitKeepsEmptyPieces) {
  EXPECT_EQ(split("1,,4", ','), (std::vector<std::string_view>{"1", "", "4"}));
  EXPECT_EQ(split("1,4,", ','), (std::vector<std::string_view>{"1", "4", ""}));
  EXPECT_EQ(split("one", ','), (std::vector<std::string_view>{"one"}));
  EXPECT_TRUE(split("", ',').empty());
}

TEST(Text, ParseNumberTakesTheWholeText) {
  EXPECT_EQ(parse_number("2.5"), 2.5);
  EXPECT_EQ(parse_number("-3"), -3.0);
  EXPECT_FALSE(parse_number("2.5s"));
  EXPECT_FALSE(parse_number(" 2"));
  EXPECT_FALSE(parse_number("inf"));
  EXPECT_FALSE(parse_number(""));
}

// ---- UTF-8 ----

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (const int v : values) s.push_back(static_cast<char>(v));
  return s;
}

// `text` as append_valid_utf8 makes it, with the count of replaced bytes.
std::pair<std::string, std::size_t> repaired(std::string_view text) {
  std::string out;
  const std::size_t replaced = append_valid_utf8(out, text);
  return {out, replaced};
}

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

std::string fffd(int times) {
  std::string s;
  for (int i = 0; i < times; ++i) s += kFffd;
  return s;
}

TEST(Utf8, EveryBoundaryOfTable3_7) {
  struct Case {
    std::string text;
    bool valid;
  };
  const Case cases[] = {
      {bytes({0x00}), true},
      {bytes({0x7F}), true},
      {bytes({0x80}), false},  // continuation without a lead
      {bytes({0xBF}), false},
      {bytes({0xC0, 0x80}), false},  // overlong NUL
      {bytes({0xC1, 0xBF}), false},  // overlong U+007F
      {bytes({0xC2, 0x80}), true},   // U+0080
      {bytes({0xDF, 0xBF}), true},   // U+07FF
      {bytes({0xC2, 0x7F}), false},
      {bytes({0xC2, 0xC0}), false},
      {bytes({0xE0, 0x9F, 0xBF}), false},  // overlong U+07FF
      {bytes({0xE0, 0xA0, 0x80}), true},   // U+0800
      {bytes({0xE1, 0x80, 0x80}), true},
      {bytes({0xEC, 0xBF, 0xBF}), true},
      {bytes({0xED, 0x80, 0x80}), true},   // U+D000
      {bytes({0xED, 0x9F, 0xBF}), true},   // U+D7FF
      {bytes({0xED, 0xA0, 0x80}), false},  // U+D800, a surrogate
      {bytes({0xED, 0xBF, 0xBF}), false},  // U+DFFF
      {bytes({0xEE, 0x80, 0x80}), true},   // U+E000
      {bytes({0xEF, 0xBF, 0xBF}), true},   // U+FFFF
      {bytes({0xE1, 0x80, 0x7F}), false},
      {bytes({0xE1, 0x80, 0xC0}), false},
      {bytes({0xF0, 0x8F, 0xBF, 0xBF}), false},  // overlong U+FFFF
      {bytes({0xF0, 0x90, 0x80, 0x80}), true},   // U+10000
      {bytes({0xF3, 0xBF, 0xBF, 0xBF}), true},
      {bytes({0xF4, 0x8F, 0xBF, 0xBF}), true},   // U+10FFFF
      {bytes({0xF4, 0x90, 0x80, 0x80}), false},  // U+110000
      {bytes({0xF5, 0x80, 0x80, 0x80}), false},
      {bytes({0xF8, 0x88, 0x80, 0x80, 0x80}), false},  // old 5-byte form
      {bytes({0xFE}), false},
      {bytes({0xFF}), false},
      {bytes({0xE2, 0x82}), false},        // truncated "€"
      {bytes({0xF0, 0x9F, 0x98}), false},  // truncated U+1F600
      {bytes({0xF0, 0x9F, 0x98, 0x80}), true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(is_valid_utf8(c.text), c.valid) << ::testing::PrintToString(c.text);
    const auto [out, replaced] = repaired(c.text);
    EXPECT_TRUE(is_valid_utf8(out));
    EXPECT_EQ(replaced == 0, c.valid);
    if (c.valid) {
      EXPECT_EQ(out, c.text);
    }
  }
}

TEST(Utf8, MaximalSubpartsBecomeOneReplacementEach) {
  // The Unicode Standard's own example (§3.9, Table 3-8).
  const std::string text =
      bytes({0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64});
  const auto [out, replaced] = repaired(text);
  EXPECT_EQ(out, "a" + fffd(3) + "b" + fffd(1) + "c" + fffd(2) + "d");
  EXPECT_EQ(replaced, 9u);
  // A truncated sequence is one replacement, whether at the end or before other text.
  EXPECT_EQ(repaired(bytes({0xE2, 0x82})), std::make_pair(fffd(1), std::size_t{2}));
  EXPECT_EQ(repaired(bytes({0xE2, 0x82, 0x41})), std::make_pair(fffd(1) + "A", std::size_t{2}));
  EXPECT_EQ(repaired(bytes({0xF0, 0x9F, 0x98})), std::make_pair(fffd(1), std::size_t{3}));
  // A lead whose second byte is out of its narrowed range is a subpart of one byte.
  EXPECT_EQ(repaired(bytes({0xED, 0xA0, 0x80})), std::make_pair(fffd(3), std::size_t{3}));
  EXPECT_EQ(repaired(bytes({0xE0, 0x80, 0x80})), std::make_pair(fffd(3), std::size_t{3}));
  EXPECT_EQ(repaired(bytes({0xF4, 0x90, 0x80, 0x80})), std::make_pair(fffd(4), std::size_t{4}));
  EXPECT_EQ(repaired(bytes({0xC0, 0xAF})), std::make_pair(fffd(2), std::size_t{2}));
  // Valid text around is kept as it is.
  EXPECT_EQ(repaired("h\xC3\xA9llo \xFF w\xC3\xB6rld"),
            std::make_pair("h\xC3\xA9llo " + fffd(1) + " w\xC3\xB6rld", std::size_t{1}));
  EXPECT_EQ(repaired(""), std::make_pair(std::string(), std::size_t{0}));
}

// An independent reading of UTF-8: decode by bit patterns, then reject overlong forms,
// surrogates and code points beyond U+10FFFF.
bool reference_valid(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if ((lead & 0x80) == 0) {
      extra = 0, cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1, cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2, cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3, cp = lead & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    constexpr std::uint32_t kShortest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kShortest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += 1 + extra;
  }
  return true;
}

TEST(Utf8, AgreesWithAReferenceOnEveryShortSequence) {
  std::string text;
  for (int a = 0; a < 256; ++a) {
    for (int b = -1; b < 256; ++b) {
      text = bytes({a});
      if (b >= 0) text.push_back(static_cast<char>(b));
      ASSERT_EQ(is_valid_utf8(text), reference_valid(text)) << a << " " << b;
      const auto [out, replaced] = repaired(text);
      ASSERT_TRUE(is_valid_utf8(out)) << a << " " << b;
      ASSERT_EQ(replaced == 0, reference_valid(text));
    }
  }
  // Every three-byte sequence with a three-byte lead, and a fourth byte after F0..F4 leads.
  for (int a = 0xE0; a <= 0xF4; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        text = bytes({a, b, c});
        if (a >= 0xF0) text.push_back('\x80');
        ASSERT_EQ(is_valid_utf8(text), reference_valid(text)) << a << " " << b << " " << c;
      }
    }
  }
  // Every code point encoded: valid exactly when it is not a surrogate.
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x20000 ? 1 : 251)) {
    std::string s;
    if (cp < 0x80) {
      s = bytes({static_cast<int>(cp)});
    } else if (cp < 0x800) {
      s = bytes({0xC0 | static_cast<int>(cp >> 6), 0x80 | static_cast<int>(cp & 0x3F)});
    } else if (cp < 0x10000) {
      s = bytes({0xE0 | static_cast<int>(cp >> 12), 0x80 | static_cast<int>((cp >> 6) & 0x3F),
                 0x80 | static_cast<int>(cp & 0x3F)});
    } else {
      s = bytes({0xF0 | static_cast<int>(cp >> 18), 0x80 | static_cast<int>((cp >> 12) & 0x3F),
                 0x80 | static_cast<int>((cp >> 6) & 0x3F), 0x80 | static_cast<int>(cp & 0x3F)});
    }
    ASSERT_EQ(is_valid_utf8(s), cp < 0xD800 || cp > 0xDFFF) << cp;
  }
}

TEST(Utf8, ValidUtf8CountsIntoTheGivenTotal) {
  std::uint64_t invalid = 5;
  EXPECT_EQ(valid_utf8("ok", invalid), "ok");
  EXPECT_EQ(invalid, 5u);
  EXPECT_EQ(valid_utf8("a\xFF\xFE", invalid), "a" + fffd(2));
  EXPECT_EQ(invalid, 7u);
}

TEST(Utf8, PrefixNeverCutsASequence) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  EXPECT_EQ(utf8_prefix(text, 100), text);
  EXPECT_EQ(utf8_prefix(text, 1), "a");
  EXPECT_EQ(utf8_prefix(text, 2), "a");
  EXPECT_EQ(utf8_prefix(text, 3), "a\xC3\xA9");
  EXPECT_EQ(utf8_prefix(text, 4), "a\xC3\xA9");
  EXPECT_EQ(utf8_prefix(text, 5), "a\xC3\xA9");
  EXPECT_EQ(utf8_prefix(text, 6), "a\xC3\xA9\xE2\x82\xAC");
  for (std::size_t n = 7; n < 10; ++n) EXPECT_EQ(utf8_prefix(text, n), text.substr(0, 6));
  EXPECT_EQ(utf8_prefix(text, 10), text);
  for (std::size_t n = 0; n <= text.size(); ++n) EXPECT_TRUE(is_valid_utf8(utf8_prefix(text, n)));
}

}  // namespace
}  // namespace llmbench
