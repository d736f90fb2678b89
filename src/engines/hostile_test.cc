// What a hostile or broken server can send the adapters: bytes that are not UTF-8, frames
// over the size limits, engine values outside sense. Each reaches the record as data (valid
// UTF-8, a categorised error naming the cause), never as a crash or a figure without sense.

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "engines/native.h"
#include "engines/openai.h"
#include "engines/reader_base.h"
#include "engines/registry.h"
#include "engines/response_assembler.h"

namespace llmbench::engines {
namespace {

RequestSpec spec(bool stream) {
  RequestSpec s;
  s.model = "m";
  s.prompt = "Why?";
  s.max_tokens = 8;
  s.stream = stream;
  return s;
}

struct Response {
  Response(int status_, std::vector<net::Header> headers_, std::string body_)
      : status(status_), headers(std::move(headers_)), body(std::move(body_)) {}
  int status;
  std::vector<net::Header> headers;
  std::string body;
  net::ExchangeStatus transport = net::ExchangeStatus::kOk;
  std::string transport_message;
};

const std::vector<net::Header> kSse = {{"Content-Type", "text/event-stream"}};
const std::vector<net::Header> kNdjson = {{"Content-Type", "application/x-ndjson"}};
const std::vector<net::Header> kJson = {{"Content-Type", "application/json"}};

// The body fed in pieces cut at `cuts`, arriving 1 ms apart.
RequestRecord read(const Engine& engine, bool stream, const Response& r,
                   const std::vector<std::size_t>& cuts = {}) {
  RequestRecord record;
  auto reader = engine.make_reader(spec(stream), record);
  ResponseAssembler assembler(*reader, record);
  assembler.on_head(r.status, r.headers);
  std::size_t start = 0;
  int ms = 1;
  for (const std::size_t cut : cuts) {
    assembler.on_body(std::string_view(r.body).substr(start, cut - start),
                      TimePoint(std::chrono::milliseconds(ms++)));
    start = cut;
  }
  assembler.on_body(std::string_view(r.body).substr(start),
                    TimePoint(std::chrono::milliseconds(ms)));
  net::ExchangeResult result;
  result.sent = true;
  result.status = r.transport;
  result.message = r.transport_message;
  assembler.finish(result);
  return record;
}

template <class Check>
void at_every_split(const Engine& engine, bool stream, const Response& r, Check&& check) {
  for (std::size_t cut = 0; cut <= r.body.size(); ++cut) {
    SCOPED_TRACE("split at byte " + std::to_string(cut));
    check(read(engine, stream, r, {cut}));
  }
}

// Everything of the record that a result file holds as text is valid UTF-8, and a JSON
// writer that throws on anything else (nlohmann's default) writes it.
void expect_valid_text(const RequestRecord& r) {
  EXPECT_TRUE(is_valid_utf8(r.finish_reason)) << r.finish_reason;
  if (r.error) {
    EXPECT_TRUE(is_valid_utf8(r.error->message)) << r.error->message;
    EXPECT_LE(r.error->message.size(), kMaxErrorMessageBytes);
  }
  nlohmann::json j = {{"finish_reason", r.finish_reason},
                      {"message", r.error ? r.error->message : ""}};
  EXPECT_NO_THROW((void)j.dump());
}

const std::string kFffd = "\xEF\xBF\xBD";

// ---- bytes that are not UTF-8 ----

struct Utf8Case {
  std::string name;
  std::function<std::unique_ptr<Engine>()> engine;
  bool stream;
  Response response;
  std::uint64_t invalid_bytes;  // expected count
  std::size_t events;
  std::string finish_reason;
};

std::vector<Utf8Case> utf8_cases() {
  auto openai = [] { return std::make_unique<OpenAiEngine>(OpenAiOptions{}); };
  auto ollama = [] { return std::make_unique<OllamaEngine>(NativeOptions{}); };
  auto tgi = [] { return std::make_unique<TgiEngine>(NativeOptions{}); };
  auto llamacpp = [] { return std::make_unique<LlamaCppEngine>(NativeOptions{}); };
  auto sglang = [] { return std::make_unique<SglangEngine>(NativeOptions{}); };
  // A byte-fallback "€" (E2 82 AC) split over two frames, then a stray FF in the reason.
  return {
      {"openai_stream",
       openai,
       true,
       {200, kSse,
        "data: {\"choices\":[{\"delta\":{\"content\":\"\xE2\x82\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"\xAC!\"},\"finish_reason\":"
        "\"st\xFFop\"}]}\n\ndata: [DONE]\n\n"},
       4,
       2,
       "st" + kFffd + "op"},
      {"openai_body",
       openai,
       false,
       {200, kJson,
        "{\"choices\":[{\"message\":{\"content\":\"a\xC0\xAF\"},\"finish_reason\":\"length\"}],"
        "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}"},
       2,
       1,
       "length"},
      {"ollama_stream",
       ollama,
       true,
       {200, kNdjson,
        "{\"response\":\"\xF0\x9F\",\"done\":false}\n{\"response\":\"\x98\x80\",\"done\":false}\n"
        "{\"response\":\"\",\"done\":true,\"done_reason\":\"st\xED\xA0\x80op\",\"eval_count\":2}"
        "\n"},
       7,
       2,
       "st" + kFffd + kFffd + kFffd + "op"},
      {"tgi_stream",
       tgi,
       true,
       {200, kSse,
        "data:{\"token\":{\"id\":1,\"text\":\"\xE2\x82\",\"special\":false}}\n\n"
        "data:{\"token\":{\"id\":2,\"text\":\"\xAC\",\"special\":false},\"generated_text\":\"x\","
        "\"details\":{\"finish_reason\":\"eos\xF5\",\"generated_tokens\":2}}\n\n"},
       4,
       2,
       "eos" + kFffd},
      {"llamacpp_stream",
       llamacpp,
       true,
       {200, kSse,
        "data: {\"content\":\"\xC3\",\"stop\":false}\n\n"
        "data: {\"content\":\"\xA9\",\"stop\":true,\"stop_type\":\"eos\",\"tokens_predicted\":2}"
        "\n\n"},
       2,
       2,
       "eos"},
      {"sglang_stream",
       sglang,
       true,
       {200, kSse,
        "data: {\"text\":\"\xE2\x82\",\"meta_info\":{\"completion_tokens\":1}}\n\n"
        "data: {\"text\":\"\xE2\x82\xAC\",\"meta_info\":{\"completion_tokens\":2,"
        "\"finish_reason\":{\"type\":\"st\x80op\"}}}\n\ndata: [DONE]\n\n"},
       3,
       2,
       "st" + kFffd + "op"},
  };
}

class InvalidUtf8 : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(InvalidUtf8, TokensStillCountTextIsRepairedAndBytesCounted) {
  const Utf8Case& c = GetParam();
  const auto engine = c.engine();
  at_every_split(*engine, c.stream, c.response, [&](const RequestRecord& r) {
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_TRUE(r.completed);
    EXPECT_EQ(r.events.size(), c.events);
    EXPECT_EQ(r.finish_reason, c.finish_reason);
    EXPECT_EQ(r.invalid_utf8_bytes, c.invalid_bytes);
    expect_valid_text(r);
  });
}

INSTANTIATE_TEST_SUITE_P(Adapters, InvalidUtf8, ::testing::ValuesIn(utf8_cases()),
                         [](const auto& test) { return test.param.name; });

TEST(InvalidUtf8Errors, HttpErrorBodiesOfEveryAdapterAreKeptAsValidText) {
  const std::unique_ptr<Engine> engines[] = {std::make_unique<OpenAiEngine>(OpenAiOptions{}),
                                             std::make_unique<OllamaEngine>(NativeOptions{}),
                                             std::make_unique<TgiEngine>(NativeOptions{}),
                                             std::make_unique<LlamaCppEngine>(NativeOptions{}),
                                             std::make_unique<SglangEngine>(NativeOptions{})};
  for (const auto& engine : engines) {
    SCOPED_TRACE(std::string(engine->name()));
    // JSON whose message holds a stray byte is still read as JSON.
    const Response json{503, kJson, "{\"error\":{\"message\":\"over\xFFloaded\"}}"};
    at_every_split(*engine, true, json, [](const RequestRecord& r) {
      ASSERT_TRUE(r.error);
      EXPECT_EQ(r.error->category, ErrorCategory::kHttp5xx);
      EXPECT_EQ(r.error->message, "HTTP 503: over" + kFffd + "loaded");
      EXPECT_EQ(r.invalid_utf8_bytes, 1u);
      expect_valid_text(r);
    });
    // Plain text, cut at 300 bytes inside a multi-byte character.
    std::string text(299, 'x');
    text += "\xC3\xA9 and \xC3\x28 more";
    const RequestRecord r = read(*engine, true, {500, {}, text});
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->message, "HTTP 500: " + std::string(299, 'x'));
    expect_valid_text(r);
  }
}

TEST(InvalidUtf8Errors, EngineErrorEventsAndMalformedFramesAreValidText) {
  const LlamaCppEngine llamacpp({});
  const OpenAiEngine openai({});
  const Engine* const both[] = {&llamacpp, &openai};
  // A mid-stream error event whose message is not UTF-8.
  const Response event{200, kSse, "data: {\"error\":{\"code\":500,\"message\":\"bo\xFFom\"}}\n\n"};
  at_every_split(llamacpp, true, event, [](const RequestRecord& r) {
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->category, ErrorCategory::kEngineError);
    EXPECT_EQ(r.error->message, "bo" + kFffd + "om");
    expect_valid_text(r);
  });
  at_every_split(openai, true, event, [](const RequestRecord& r) {
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->message, "bo" + kFffd + "om");
  });
  // The legacy "error:" field.
  const Response legacy{200, kSse, "error: {\"message\":\"b\xC3\"}\n\n"};
  for (const Engine* engine : both) {
    const RequestRecord r = read(*engine, true, legacy);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->message, "b" + kFffd);
    EXPECT_EQ(r.invalid_utf8_bytes, 1u);
  }
  // A frame that is not JSON: its excerpt in the message is cut at a character boundary and
  // repaired (the 120th byte is inside "é").
  const std::string garbage = std::string(119, 'g') + "\xC3\xA9\xFF tail";
  for (const Engine* engine : both) {
    const RequestRecord r = read(*engine, true, {200, kSse, "data: " + garbage + "\n\n"});
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->category, ErrorCategory::kProtocol);
    EXPECT_NE(r.error->message.find("malformed JSON frame"), std::string::npos);
    expect_valid_text(r);
  }
  // An escaped lone surrogate is no text at all: the frame is malformed.
  const Response surrogate{200, kSse,
                           "data: {\"choices\":[{\"delta\":{\"content\":\"\\ud800\"}}]}\n\n"};
  {
    const RequestRecord r = read(openai, true, surrogate);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->category, ErrorCategory::kProtocol);
    EXPECT_NE(r.error->message.find("malformed JSON frame"), std::string::npos);
  }
  // A huge error message is kept short.
  const std::string huge = "data: {\"error\":\"" + std::string(1 << 20, 'e') + "\"}\n\n";
  for (const Engine* engine : both) {
    const RequestRecord r = read(*engine, true, {200, kSse, huge});
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->message.size(), kMaxErrorMessageBytes);
  }
}

TEST(InvalidUtf8Errors, KeptTextIsCutAtACharacterWithoutCountingIt) {
  std::uint64_t invalid = 0;
  const std::string text = std::string(511, 'a') + "\xC3\xA9" + "tail";
  EXPECT_EQ(network_text(text, 512, invalid), std::string(511, 'a'));
  EXPECT_EQ(invalid, 0u);
  EXPECT_EQ(network_text("ab\xFF", 512, invalid), "ab" + kFffd);
  EXPECT_EQ(invalid, 1u);
  // A replacement is longer than the byte it replaces; what is kept still fits.
  EXPECT_EQ(network_text(std::string(10, '\xFF'), 6, invalid), kFffd + kFffd);
}

TEST(InvalidUtf8Errors, TransportMessagesAreValidText) {
  const OpenAiEngine openai({});
  Response r{200, kSse, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"};
  r.transport = net::ExchangeStatus::kBadResponse;
  r.transport_message = "invalid HTTP from h: bad chunk \xFF\xFE";
  const RequestRecord rec = read(openai, true, r);
  ASSERT_TRUE(rec.error);
  EXPECT_EQ(rec.error->message, "invalid HTTP from h: bad chunk " + kFffd + kFffd);
  EXPECT_EQ(rec.invalid_utf8_bytes, 2u);
}

// ---- frame and line limits ----

// ---- an answer that is not the engine's API ----

// A proxy's login page or a web server on the wrong port answers 200 with HTML. On the
// native routes it read as "truncated" (no end frame), as if the engine had dropped the stream.
TEST(WrongContentType, AnHtmlPageIsAProtocolErrorNamingTheTypeOnEveryAdapter) {
  const std::vector<std::pair<std::string, std::function<std::unique_ptr<Engine>()>>> engines = {
      {"openai", [] { return std::make_unique<OpenAiEngine>(OpenAiOptions{}); }},
      {"ollama", [] { return std::make_unique<OllamaEngine>(NativeOptions{}); }},
      {"tgi", [] { return std::make_unique<TgiEngine>(NativeOptions{}); }},
      {"llamacpp", [] { return std::make_unique<LlamaCppEngine>(NativeOptions{}); }},
      {"sglang", [] { return std::make_unique<SglangEngine>(NativeOptions{}); }},
  };
  const Response page{200,
                      {{"Content-Type", "text/html; charset=utf-8"}},
                      "<!DOCTYPE html>\n<html><body>Sign in</body></html>\n"};
  for (const auto& [name, make] : engines) {
    for (const bool stream : {true, false}) {
      SCOPED_TRACE(name + (stream ? " streamed" : " not streamed"));
      const auto engine = make();
      at_every_split(*engine, stream, page, [](const RequestRecord& r) {
        ASSERT_TRUE(r.error);
        EXPECT_EQ(r.error->category, ErrorCategory::kProtocol) << r.error->message;
        EXPECT_NE(r.error->message.find("text/html"), std::string::npos) << r.error->message;
        EXPECT_NE(r.error->message.find("<!DOCTYPE html>"), std::string::npos) << r.error->message;
        EXPECT_FALSE(r.completed);
        expect_valid_text(r);
      });
    }
  }
}

TEST(FrameLimits, AnSseFrameOverTheLimitFailsTheRequestNamingTheLimit) {
  const OpenAiEngine openai({});
  const TgiEngine tgi({});
  const std::string ok = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n";
  Response r{200, kSse, ok + "data: {\"choices\":[{\"delta\":{\"content\":\""};
  r.body.append(net::SseDecoder::kMaxFrameBytes, 'z');
  r.body += "\"}}]}\n\n" + ok + "data: [DONE]\n\n";
  for (const Engine* engine :
       {static_cast<const Engine*>(&openai), static_cast<const Engine*>(&tgi)}) {
    const RequestRecord rec = read(*engine, true, r, {100, 1 << 20, 10 << 20});
    ASSERT_TRUE(rec.error);
    EXPECT_EQ(rec.error->category, ErrorCategory::kProtocol);
    EXPECT_EQ(rec.error->message, "SSE frame over 16 MiB");
    EXPECT_LE(rec.events.size(), 1u);  // the frame before the big one, nothing after
  }
  // A transport failure after the frame was refused does not hide the cause.
  r.transport = net::ExchangeStatus::kTimeoutTotal;
  r.transport_message = "total timeout";
  const RequestRecord rec = read(openai, true, r, {100});
  ASSERT_TRUE(rec.error);
  EXPECT_EQ(rec.error->message, "SSE frame over 16 MiB");
}

TEST(FrameLimits, AnNdjsonLineOverTheLimitFailsTheRequestNamingTheLimit) {
  const OllamaEngine ollama({});
  Response r{200, kNdjson, "{\"response\":\"a\",\"done\":false}\n{\"response\":\""};
  r.body.append(net::NdjsonDecoder::kMaxLineBytes, 'z');
  r.body += "\",\"done\":false}\n{\"response\":\"\",\"done\":true}\n";
  const RequestRecord rec = read(ollama, true, r, {40, 1 << 20});
  ASSERT_TRUE(rec.error);
  EXPECT_EQ(rec.error->category, ErrorCategory::kProtocol);
  EXPECT_EQ(rec.error->message, "NDJSON line over 16 MiB");
  EXPECT_EQ(rec.events.size(), 1u);
}

// ---- engine values outside sense ----

struct SenseCase {
  std::string name;
  std::function<std::unique_ptr<Engine>()> engine;
  bool stream;
  Response response;
  std::string message;  // expected in the protocol error's message
};

std::vector<SenseCase> sense_cases() {
  auto openai = [] { return std::make_unique<OpenAiEngine>(OpenAiOptions{}); };
  auto ollama = [] { return std::make_unique<OllamaEngine>(NativeOptions{}); };
  auto tgi = [] { return std::make_unique<TgiEngine>(NativeOptions{}); };
  auto llamacpp = [] { return std::make_unique<LlamaCppEngine>(NativeOptions{}); };
  auto sglang = [] { return std::make_unique<SglangEngine>(NativeOptions{}); };
  const auto openai_usage = [](const std::string& usage) {
    return Response{200, kSse,
                    "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":" +
                        usage + "}\n\ndata: [DONE]\n\n"};
  };
  const auto ollama_final = [](const std::string& fields) {
    return Response{
        200, kNdjson,
        "{\"response\":\"a\",\"done\":false}\n{\"response\":\"\",\"done\":true," + fields + "}\n"};
  };
  const auto llamacpp_final = [](const std::string& fields) {
    return Response{
        200, kSse,
        "data: {\"content\":\"a\",\"stop\":false}\n\ndata: {\"content\":\"\",\"stop\":true," +
            fields + "}\n\n"};
  };
  const auto sglang_meta = [](const std::string& meta) {
    return Response{200, kSse,
                    "data: {\"text\":\"a\",\"meta_info\":{" + meta +
                        ",\"finish_reason\":{\"type\":\"stop\"}}}\n\ndata: [DONE]\n\n"};
  };
  Response tgi_headers{200, kJson, "{\"generated_text\":\"a\"}"};
  tgi_headers.headers.push_back({"x-total-time", "-4"});
  Response tgi_text_header{200, kJson, "{\"generated_text\":\"a\"}"};
  tgi_text_header.headers.push_back({"x-generated-tokens", "12abc"});
  return {
      {"openai_negative_count", openai, true,
       openai_usage("{\"prompt_tokens\":3,\"completion_tokens\":-5}"),
       "usage.completion_tokens = -5"},
      {"openai_absurd_count", openai, true,
       openai_usage("{\"prompt_tokens\":1e30,\"completion_tokens\":1}"),
       "usage.prompt_tokens = 1e+30"},
      {"openai_count_beyond_2_31", openai, true,
       openai_usage("{\"prompt_tokens\":2147483648,\"completion_tokens\":1}"),
       "usage.prompt_tokens = 2147483648"},
      {"openai_fractional_count", openai, true, openai_usage("{\"completion_tokens\":12.5}"),
       "usage.completion_tokens = 12.5"},
      {"openai_count_as_text", openai, true, openai_usage("{\"completion_tokens\":\"12\"}"),
       "usage.completion_tokens is not a number"},
      {"openai_cached_negative", openai, true,
       openai_usage("{\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":-1}}"),
       "usage.cached_tokens = -1"},
      {"openai_negative_timing",
       openai,
       false,
       {200, kJson,
        "{\"choices\":[{\"text\":\"a\",\"finish_reason\":\"stop\"}],"
        "\"timings\":{\"prompt_ms\":1.5,\"predicted_ms\":-3}}"},
       "timings.predicted_ms = -3"},
      {"openai_vllm_metric_over_a_day",
       openai,
       false,
       {200, kJson,
        "{\"choices\":[{\"text\":\"a\",\"finish_reason\":\"stop\"}],"
        "\"metrics\":{\"queue_time_ms\":1e12}}"},
       "metrics.queue_time_ms = 1e+12"},
      {"ollama_negative_eval_count", ollama, true, ollama_final("\"eval_count\":-5"),
       "eval_count = -5"},
      {"ollama_negative_duration", ollama, true,
       ollama_final("\"eval_count\":1,\"eval_duration\":-1000"), "eval_duration = -1000"},
      {"ollama_duration_over_a_day", ollama, true,
       ollama_final("\"eval_count\":1,\"total_duration\":1e20"), "total_duration = 1e+20"},
      {"tgi_negative_header", tgi, false, tgi_headers, "header x-total-time = -4"},
      {"tgi_header_not_a_number", tgi, false, tgi_text_header,
       "header x-generated-tokens is not a number"},
      {"tgi_negative_details",
       tgi,
       true,
       {200, kSse,
        "data:{\"token\":{\"text\":\"a\"},\"generated_text\":\"a\","
        "\"details\":{\"finish_reason\":\"eos\",\"generated_tokens\":-1}}\n\n"},
       "details.generated_tokens = -1"},
      {"llamacpp_negative_tokens", llamacpp, true, llamacpp_final("\"tokens_predicted\":-1"),
       "tokens_predicted = -1"},
      {"llamacpp_negative_timing", llamacpp, true,
       llamacpp_final("\"timings\":{\"predicted_ms\":-2,\"predicted_n\":1}"),
       "timings.predicted_ms = -2"},
      {"llamacpp_fractional_timing_count", llamacpp, true,
       llamacpp_final("\"timings\":{\"predicted_n\":0.5}"), "timings.predicted_n = 0.5"},
      {"sglang_negative_tokens", sglang, true, sglang_meta("\"completion_tokens\":-3"),
       "meta_info.completion_tokens = -3"},
      {"sglang_negative_latency", sglang, true,
       sglang_meta("\"completion_tokens\":1,\"e2e_latency\":-0.5"), "meta_info.e2e_latency = -0.5"},
  };
}

class OutsideSense : public ::testing::TestWithParam<SenseCase> {};

TEST_P(OutsideSense, IsAProtocolErrorNamingTheFieldAndValue) {
  const SenseCase& c = GetParam();
  const auto engine = c.engine();
  at_every_split(*engine, c.stream, c.response, [&](const RequestRecord& r) {
    ASSERT_TRUE(r.error) << "accepted";
    EXPECT_EQ(r.error->category, ErrorCategory::kProtocol);
    EXPECT_NE(r.error->message.find("engine value outside sense: " + c.message), std::string::npos)
        << r.error->message;
  });
}

INSTANTIATE_TEST_SUITE_P(Adapters, OutsideSense, ::testing::ValuesIn(sense_cases()),
                         [](const auto& test) { return test.param.name; });

TEST(OutsideSenseBounds, TheLimitsThemselvesAreSensible) {
  EXPECT_EQ(sensible_count(0), 0);
  EXPECT_EQ(sensible_count(2147483647.0), 2147483647);
  EXPECT_EQ(sensible_count(12.0), 12);  // an integer written as a double
  EXPECT_FALSE(sensible_count(2147483648.0));
  EXPECT_FALSE(sensible_count(-1));
  EXPECT_FALSE(sensible_count(0.5));
  EXPECT_FALSE(sensible_count(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(sensible_count(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(sensible_seconds(0, 1), 0.0);
  EXPECT_EQ(sensible_seconds(86400, 1), 86400.0);
  EXPECT_EQ(sensible_seconds(86400e3, 1e3), 86400.0);
  EXPECT_EQ(sensible_seconds(86400e9, 1e9), 86400.0);
  EXPECT_FALSE(sensible_seconds(86401, 1));
  EXPECT_FALSE(sensible_seconds(-1e-9, 1));
  EXPECT_FALSE(sensible_seconds(std::numeric_limits<double>::quiet_NaN(), 1));

  // Sensible values at the bounds are read as they are.
  const OllamaEngine ollama({});
  const Response r{200, kNdjson,
                   "{\"response\":\"a\",\"done\":false}\n{\"response\":\"\",\"done\":true,"
                   "\"eval_count\":2147483647,\"prompt_eval_count\":0,"
                   "\"total_duration\":86400000000000,\"eval_duration\":0}\n"};
  const RequestRecord rec = read(ollama, true, r);
  ASSERT_FALSE(rec.error) << rec.error->message;
  EXPECT_EQ(rec.usage.output_tokens, 2147483647);
  EXPECT_EQ(rec.usage.prompt_tokens, 0);
  EXPECT_DOUBLE_EQ(*rec.native.total_duration, 86400.0);
}

TEST(OutsideSenseBounds, RetryAfterOutsideSenseIsNotKept) {
  const OpenAiEngine openai({});
  for (const char* value : {"-1", "inf", "nan", "1e9", "2s", ""}) {
    SCOPED_TRACE(value);
    const RequestRecord r = read(openai, true, {429, {{"Retry-After", value}}, "slow down"});
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->category, ErrorCategory::kHttp429);
    EXPECT_FALSE(r.retry_after);
  }
  const RequestRecord r = read(openai, true, {429, {{"Retry-After", " 2 "}}, "slow down"});
  EXPECT_EQ(r.retry_after, 2.0);
}

TEST(OutsideSenseBounds, TokenizeCountsOutsideSenseAreErrors) {
  EXPECT_EQ(*parse_token_count(200, R"({"count":5})"), 5);
  const auto negative = parse_token_count(200, R"({"count":-3})");
  ASSERT_FALSE(negative);
  EXPECT_NE(negative.error().message.find("tokenize count = -3"), std::string::npos);
  EXPECT_FALSE(parse_token_count(200, R"({"count":1e30})"));
  const auto garbage = parse_token_count(200, "\xFF\xFE not json");
  ASSERT_FALSE(garbage);
  EXPECT_TRUE(is_valid_utf8(garbage.error().message));
}

}  // namespace
}  // namespace llmbench::engines
