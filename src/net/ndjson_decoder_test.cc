#include "net/ndjson_decoder.h"

#include <gtest/gtest.h>

#include <vector>

#include "../../tests/support/fixtures.h"

namespace llmbench::net {
namespace {

std::vector<std::string> decode(std::string_view text, const std::vector<std::size_t>& cuts) {
  NdjsonDecoder decoder;
  std::vector<std::string> out;
  auto sink = [&](std::string_view line, TimePoint) { out.emplace_back(line); };
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    decoder.feed(text.substr(start, cut - start), TimePoint{}, sink);
    start = cut;
  }
  decoder.feed(text.substr(start), TimePoint{}, sink);
  decoder.finish(sink);
  return out;
}

class NdjsonFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NdjsonFixtureTest, EverySplitPointGivesTheSameLines) {
  const std::string text = llmbench::testing::read_test_file(GetParam());
  const auto whole = decode(text, {});
  ASSERT_GE(whole.size(), 2u);
  for (const std::string& line : whole) EXPECT_EQ(line.front(), '{');
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    ASSERT_EQ(decode(text, {cut}), whole) << "split at byte " << cut;
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < text.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(decode(text, every_byte), whole);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, NdjsonFixtureTest,
                         ::testing::Values("fixtures/ollama/generate_stream.ndjson",
                                           "fixtures/ollama/generate_stream_error.ndjson"));

TEST(NdjsonDecoder, CrlfBlankLinesAndMissingFinalNewline) {
  EXPECT_EQ(decode("{\"a\":1}\r\n\r\n  \n{\"b\":2}", {}),
            (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
}

TEST(NdjsonDecoder, LineTimeIsArrivalOfItsFirstByte) {
  NdjsonDecoder decoder;
  std::vector<TimePoint> times;
  auto sink = [&](std::string_view, TimePoint at) { times.push_back(at); };
  const TimePoint t0{std::chrono::milliseconds(1)}, t1{std::chrono::milliseconds(2)};
  decoder.feed("{\"a\":", t0, sink);
  decoder.feed("1}\n{\"b\":2}\n", t1, sink);
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(times[0], t0);
  EXPECT_EQ(times[1], t1);
}

}  // namespace
}  // namespace llmbench::net
