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

}  // namespace
}  // namespace llmbench
