#include "net/sse_decoder.h"

#include <gtest/gtest.h>

#include <vector>

#include "../../tests/support/fixtures.h"

namespace llmbench::net {
namespace {

struct Event {
  std::string data;
  std::string name;
  bool error_field;
  TimePoint at;
  bool operator==(const Event&) const = default;
};

TimePoint tick(int n) { return TimePoint(std::chrono::milliseconds(n)); }

std::vector<Event> decode_in_pieces(std::string_view text, const std::vector<std::size_t>& cuts,
                                    bool keep_times = false) {
  SseDecoder decoder;
  std::vector<Event> out;
  auto sink = [&](const SseEvent& e) {
    out.push_back({std::string(e.data), std::string(e.event_name), e.error_field,
                   keep_times ? e.first_byte_at : TimePoint{}});
  };
  std::size_t start = 0;
  int piece = 0;
  for (const std::size_t cut : cuts) {
    decoder.feed(text.substr(start, cut - start), tick(piece++), sink);
    start = cut;
  }
  decoder.feed(text.substr(start), tick(piece), sink);
  decoder.finish(sink);
  return out;
}

class SseFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SseFixtureTest, EverySplitPointGivesTheSameEvents) {
  std::string text = llmbench::testing::read_test_file(GetParam());
  if (GetParam().ends_with(".txt")) text = llmbench::testing::capture_body(text);
  const std::vector<Event> whole = decode_in_pieces(text, {});
  ASSERT_FALSE(whole.empty());
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    ASSERT_EQ(decode_in_pieces(text, {cut}), whole) << "split at byte " << cut;
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < text.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(decode_in_pieces(text, every_byte), whole) << "one byte per feed";
}

TEST_P(SseFixtureTest, CrlfLineEndsGiveTheSameEvents) {
  std::string text = llmbench::testing::read_test_file(GetParam());
  if (GetParam().ends_with(".txt")) text = llmbench::testing::capture_body(text);
  std::string crlf;
  for (const char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const auto expected = decode_in_pieces(text, {});
  for (std::size_t cut = 0; cut <= crlf.size(); ++cut) {
    ASSERT_EQ(decode_in_pieces(crlf, {cut}), expected) << "split at byte " << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, SseFixtureTest,
    ::testing::Values(
        "fixtures/vllm/chat_stream.sse", "fixtures/vllm/completions_stream.sse",
        "fixtures/vllm/stream_error.sse", "fixtures/tgi/chat_stream.sse",
        "fixtures/tgi/completions_stream.sse", "fixtures/tgi/generate_stream.sse",
        "fixtures/tgi/generate_stream_error.sse", "fixtures/ollama/openai_chat_stream.sse",
        "fixtures/ollama/openai_completions_stream.sse", "fixtures/llamacpp/chat_stream.sse",
        "fixtures/llamacpp/completion_stream.sse", "fixtures/llamacpp/stream_error_current.sse",
        "fixtures/llamacpp/stream_error_legacy.sse", "fixtures/sglang/chat_stream.sse",
        "fixtures/sglang/generate_stream.sse",
        "fixtures/llamacpp-captured/v1_completions_stream.txt",
        "fixtures/llamacpp-captured/v1_chat_completions_stream.txt"));

TEST(SseDecoder, DataWithAndWithoutSpaceIsTheSame) {
  const auto spaced = decode_in_pieces("data: {\"a\":1}\n\n", {});
  const auto tight = decode_in_pieces("data:{\"a\":1}\n\n", {});
  ASSERT_EQ(spaced.size(), 1u);
  EXPECT_EQ(spaced, tight);
  EXPECT_EQ(spaced[0].data, "{\"a\":1}");
  // Only one space is stripped; a second belongs to the value.
  EXPECT_EQ(decode_in_pieces("data:  x\n\n", {})[0].data, " x");
}

TEST(SseDecoder, MultiLineDataIsJoinedWithNewlines) {
  const auto events = decode_in_pieces("data: first\ndata: second\ndata:third\n\n", {3, 17});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "first\nsecond\nthird");
}

TEST(SseDecoder, CommentsAreKeepAlivesNotEvents) {
  SseDecoder decoder;
  int events = 0;
  auto count = [&](const SseEvent&) { ++events; };
  decoder.feed(":\n\n: ping\n\ndata: x\n\n:\n\n", tick(0), count);
  EXPECT_EQ(events, 1);
  EXPECT_EQ(decoder.comments(), 3u);
}

TEST(SseDecoder, ManyEventsInOneFeedAndEventNames) {
  const auto events = decode_in_pieces(
      "event: delta\ndata: a\n\ndata: b\n\nid: 7\nretry: 10\ndata: [DONE]\n\n", {});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].name, "delta");
  EXPECT_EQ(events[1].name, "");
  EXPECT_EQ(events[2].data, "[DONE]");
}

TEST(SseDecoder, LegacyErrorFieldIsFlagged) {
  const auto events = decode_in_pieces("error: {\"message\":\"boom\"}\n\ndata: [DONE]\n\n", {});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].error_field);
  EXPECT_EQ(events[0].data, "{\"message\":\"boom\"}");
  EXPECT_FALSE(events[1].error_field);
}

TEST(SseDecoder, EmptyDataLineIsAnEventWithEmptyData) {
  const auto events = decode_in_pieces("data:\n\n", {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "");
}

TEST(SseDecoder, EventWithoutFinalBlankLineIsDeliveredAtEnd) {
  SseDecoder decoder;
  std::vector<std::string> got;
  auto sink = [&](const SseEvent& e) { got.emplace_back(e.data); };
  decoder.feed("data: a\n\ndata: b\n", tick(0), sink);
  EXPECT_EQ(got.size(), 1u);
  decoder.finish(sink);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1], "b");
}

TEST(SseDecoder, UnterminatedLineAtEndIsDroppedAndCounted) {
  SseDecoder decoder;
  int events = 0;
  auto sink = [&](const SseEvent&) { ++events; };
  decoder.feed("data: a\n\ndata: {\"partial", tick(0), sink);
  decoder.finish(sink);
  EXPECT_EQ(events, 1);
  EXPECT_EQ(decoder.truncated_bytes(), std::string_view("data: {\"partial").size());
}

TEST(SseDecoder, EventTimeIsArrivalOfItsFirstByte) {
  // "data: one" starts in piece 0 and completes in piece 1: it arrived at tick 0.
  const auto events = decode_in_pieces("data: one\n\ndata: two\n\n", {4, 13}, true);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at, tick(0));
  EXPECT_EQ(events[1].at, tick(1));  // "two" begins at byte 11, inside piece 1
}

}  // namespace
}  // namespace llmbench::net
