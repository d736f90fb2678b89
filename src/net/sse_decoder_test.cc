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
                                    bool keep_times = false,
                                    std::size_t limit = SseDecoder::kMaxFrameBytes,
                                    bool* over_limit = nullptr) {
  SseDecoder decoder(limit);
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
  if (over_limit) *over_limit = decoder.over_limit();
  return out;
}

// `text` with every LF replaced by `line_end`.
std::string with_line_ends(std::string_view text, std::string_view line_end) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += line_end;
    } else {
      out += c;
    }
  }
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

TEST_P(SseFixtureTest, CrlfAndLoneCrLineEndsGiveTheSameEvents) {
  std::string text = llmbench::testing::read_test_file(GetParam());
  if (GetParam().ends_with(".txt")) text = llmbench::testing::capture_body(text);
  const auto expected = decode_in_pieces(text, {});
  for (const std::string_view line_end : {"\r\n", "\r"}) {
    const std::string converted = with_line_ends(text, line_end);
    for (std::size_t cut = 0; cut <= converted.size(); ++cut) {
      ASSERT_EQ(decode_in_pieces(converted, {cut}), expected)
          << "split at byte " << cut << " with " << (line_end.size() == 2 ? "CRLF" : "CR");
    }
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

TEST(SseDecoder, LoneCrEndsALineAndCrLfSplitAcrossFeedsIsOneLineEnd) {
  // Lone CRs: two events. Were the CR ignored, there would be no event at all.
  const std::string lone = "data: a\r\rdata: b\rdata: c\r\r";
  const std::string crlf = "data: a\r\n\r\ndata: b\r\ndata: c\r\n\r\n";
  const std::string mixed = "data: a\r\n\ndata: b\rdata: c\n\r";
  const std::vector<Event> expected = {{"a", "", false, {}}, {"b\nc", "", false, {}}};
  for (const std::string* text : {&lone, &crlf, &mixed}) {
    for (std::size_t cut = 0; cut <= text->size(); ++cut) {
      ASSERT_EQ(decode_in_pieces(*text, {cut}), expected) << *text << " split at " << cut;
      for (std::size_t cut2 = cut; cut2 <= text->size(); ++cut2) {
        ASSERT_EQ(decode_in_pieces(*text, {cut, cut2}), expected) << cut << "," << cut2;
      }
    }
  }
  // A CR ending one feed and an LF starting the next are one line end, not two: "a" and "b"
  // stay one event (two line ends would be a blank line dispatching "a" alone).
  SseDecoder decoder;
  std::vector<std::string> got;
  auto sink = [&](const SseEvent& e) { got.emplace_back(e.data); };
  decoder.feed("data: a\r", tick(0), sink);
  decoder.feed("\ndata: b\r", tick(1), sink);
  decoder.feed("\n", tick(2), sink);
  EXPECT_TRUE(got.empty());
  decoder.feed("\r\n", tick(3), sink);
  EXPECT_EQ(got, std::vector<std::string>{"a\nb"});
  // An LF after a CR is swallowed once only: the next LF is a line end of its own.
  got.clear();
  decoder.feed("data: c\r", tick(4), sink);
  decoder.feed("\n\n", tick(5), sink);
  EXPECT_EQ(got, std::vector<std::string>{"c"});
}

TEST(SseDecoder, FrameLimitFailsAtEverySplitAndKeepsTheEventsBefore) {
  constexpr std::size_t kLimit = 32;
  // One data line may hold the limit less its "data: " and the line being received; several
  // lines together are limited the same way.
  const std::string fits = "data: " + std::string(kLimit - 6, 'x') + "\n\n";
  const std::string too_long = "data: " + std::string(kLimit - 5, 'y') + "\n\n";
  const std::string too_many = "data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\n";
  const std::string comment = ":" + std::string(kLimit, 'c') + "\n";
  for (const std::string* bad : {&too_long, &too_many, &comment}) {
    const std::string text = fits + *bad + "data: after\n\n";
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
      bool over = false;
      const auto events = decode_in_pieces(text, {cut}, false, kLimit, &over);
      ASSERT_TRUE(over) << text << " split at " << cut;
      ASSERT_EQ(events.size(), 1u) << text << " split at " << cut;
      EXPECT_EQ(events[0].data, std::string(kLimit - 6, 'x'));
    }
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < text.size(); ++i) every_byte.push_back(i);
    bool over = false;
    EXPECT_EQ(decode_in_pieces(text, every_byte, false, kLimit, &over).size(), 1u);
    EXPECT_TRUE(over);
  }
  bool over = true;
  EXPECT_EQ(decode_in_pieces(fits + fits, {7}, false, kLimit, &over).size(), 2u);
  EXPECT_FALSE(over);
}

TEST(SseDecoder, AHugeFrameFailsOnceTheLimitIsPassedWithoutHoldingMore) {
  // The default limit, fed as a server streams: 64 KiB reads of one endless data line.
  SseDecoder decoder;
  int events = 0;
  auto sink = [&](const SseEvent&) { ++events; };
  decoder.feed("data: {\"ok\":1}\n\ndata: ", tick(0), sink);
  const std::string chunk(64 * 1024, 'z');
  std::size_t fed = 0;
  while (!decoder.over_limit() && fed < 2 * SseDecoder::kMaxFrameBytes) {
    decoder.feed(chunk, tick(1), sink);
    fed += chunk.size();
  }
  EXPECT_TRUE(decoder.over_limit());
  EXPECT_GT(fed, SseDecoder::kMaxFrameBytes - chunk.size());
  EXPECT_LE(fed, SseDecoder::kMaxFrameBytes + chunk.size());
  decoder.feed("\n\ndata: later\n\n", tick(2), sink);  // ignored once failed
  decoder.finish(sink);
  EXPECT_EQ(events, 1);
  EXPECT_EQ(SseDecoder::kOverLimitMessage, "SSE frame over 16 MiB");
}

}  // namespace
}  // namespace llmbench::net
