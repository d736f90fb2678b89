#include "net/ndjson_decoder.h"

#include <gtest/gtest.h>

#include <vector>

#include "../../tests/support/fixtures.h"

namespace llmbench::net {
namespace {

std::vector<std::string> decode(std::string_view text, const std::vector<std::size_t>& cuts,
                                std::size_t limit = NdjsonDecoder::kMaxLineBytes,
                                bool* over_limit = nullptr) {
  NdjsonDecoder decoder(limit);
  std::vector<std::string> out;
  auto sink = [&](std::string_view line, TimePoint) { out.emplace_back(line); };
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    decoder.feed(text.substr(start, cut - start), TimePoint{}, sink);
    start = cut;
  }
  decoder.feed(text.substr(start), TimePoint{}, sink);
  decoder.finish(sink);
  if (over_limit) *over_limit = decoder.over_limit();
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

TEST(NdjsonDecoder, LineLimitFailsAtEverySplitAndKeepsTheLinesBefore) {
  constexpr std::size_t kLimit = 16;
  const std::string fits = "{\"a\":\"" + std::string(kLimit - 10, 'x') + "\"}\r\n";  // 16 bytes
  ASSERT_EQ(fits.size(), kLimit);
  const std::string too_long = "{\"b\":\"" + std::string(kLimit - 8, 'y') + "\"}\n";
  const std::string text = fits + too_long + "{\"c\":1}\n";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    bool over = false;
    const auto lines = decode(text, {cut}, kLimit, &over);
    ASSERT_TRUE(over) << "split at " << cut;
    ASSERT_EQ(lines, std::vector<std::string>{fits.substr(0, fits.size() - 2)}) << cut;
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < text.size(); ++i) every_byte.push_back(i);
  bool over = false;
  EXPECT_EQ(decode(text, every_byte, kLimit, &over).size(), 1u);
  EXPECT_TRUE(over);
  // A final line without its newline is held to the same limit.
  EXPECT_EQ(decode(fits + std::string(kLimit + 1, 'z'), {3}, kLimit, &over).size(), 1u);
  EXPECT_TRUE(over);
  EXPECT_EQ(decode(fits + fits, {20}, kLimit, &over).size(), 2u);
  EXPECT_FALSE(over);
}

TEST(NdjsonDecoder, AHugeLineFailsOnceTheLimitIsPassedWithoutHoldingMore) {
  NdjsonDecoder decoder;
  int lines = 0;
  auto sink = [&](std::string_view, TimePoint) { ++lines; };
  decoder.feed("{\"done\":false}\n{\"response\":\"", TimePoint{}, sink);
  const std::string chunk(64 * 1024, 'z');
  std::size_t fed = 0;
  while (!decoder.over_limit() && fed < 2 * NdjsonDecoder::kMaxLineBytes) {
    decoder.feed(chunk, TimePoint{}, sink);
    fed += chunk.size();
  }
  EXPECT_TRUE(decoder.over_limit());
  EXPECT_GT(fed, NdjsonDecoder::kMaxLineBytes - chunk.size());
  EXPECT_LE(fed, NdjsonDecoder::kMaxLineBytes + chunk.size());
  decoder.feed("\"}\n{\"done\":true}\n", TimePoint{}, sink);
  decoder.finish(sink);
  EXPECT_EQ(lines, 1);
  EXPECT_EQ(NdjsonDecoder::kOverLimitMessage, "NDJSON line over 16 MiB");
}

}  // namespace
}  // namespace llmbench::net
