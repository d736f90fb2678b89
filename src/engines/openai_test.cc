#include "engines/openai.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../../tests/support/fixtures.h"
#include "engines/response_assembler.h"

namespace llmbench::engines {
namespace {

using nlohmann::json;

RequestSpec spec_for(ApiKind api, bool stream) {
  RequestSpec spec;
  spec.id = 7;
  spec.model = "m\"odel";
  spec.api = api;
  spec.prompt = "Say \"hi\"\n";
  spec.messages = {{"user", "Hello"}};
  spec.max_tokens = 64;
  spec.stream = stream;
  spec.ignore_eos = true;
  spec.temperature = 0.7;
  spec.seed = 42;
  return spec;
}

TEST(OpenAiRequest, CompletionsStreamingBody) {
  OpenAiOptions options;
  options.supports_ignore_eos = true;
  options.base_path = "/prefix/v1";
  const OpenAiEngine engine(options);
  const net::HttpRequest request = engine.build_request(spec_for(ApiKind::kCompletions, true));
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/prefix/v1/completions");
  const json body = json::parse(request.body);
  EXPECT_EQ(body["model"], "m\"odel");
  EXPECT_EQ(body["prompt"], "Say \"hi\"\n");
  EXPECT_EQ(body["max_tokens"], 64);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["ignore_eos"], true);
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.7);
  EXPECT_EQ(body["seed"], 42);
}

TEST(OpenAiRequest, ChatNonStreamingHasNoStreamOptions) {
  const OpenAiEngine engine(OpenAiOptions{});
  const net::HttpRequest request = engine.build_request(spec_for(ApiKind::kChat, false));
  EXPECT_EQ(request.target, "/v1/chat/completions");
  const json body = json::parse(request.body);
  EXPECT_EQ(body["messages"], json::parse(R"([{"role":"user","content":"Hello"}])"));
  EXPECT_EQ(body["stream"], false);
  // vLLM answers 400 to stream_options on a non-streaming request.
  EXPECT_FALSE(body.contains("stream_options"));
  // Generic OpenAI servers reject unknown fields: no ignore_eos unless supported.
  EXPECT_FALSE(body.contains("ignore_eos"));
}

TEST(OpenAiRequest, ApiKeyIsABearerHeader) {
  OpenAiOptions options;
  options.api_key = "sk-secret";
  const net::HttpRequest request =
      OpenAiEngine(options).build_request(spec_for(ApiKind::kChat, true));
  bool found = false;
  for (const auto& h : request.headers)
    found |= h.name == "Authorization" && h.value == "Bearer sk-secret";
  EXPECT_TRUE(found);
  EXPECT_EQ(request.body.find("sk-secret"), std::string::npos);
}

// Feeds `body` through the assembler and the adapter, split at `cut`; the first piece
// arrives at t=1 ms, the second at t=2 ms.
RequestRecord read_response(const std::string& body, std::size_t cut, int status = 200,
                            const std::string& content_type = "text/event-stream",
                            bool stream = true,
                            net::ExchangeStatus transport = net::ExchangeStatus::kOk) {
  const OpenAiEngine engine(OpenAiOptions{});
  const RequestSpec spec = spec_for(ApiKind::kChat, stream);
  RequestRecord record;
  auto reader = engine.make_reader(spec, record);
  ResponseAssembler assembler(*reader, record);
  const net::Header headers[] = {{"Content-Type", content_type}};
  assembler.on_head(status, headers);
  assembler.on_body(std::string_view(body).substr(0, cut), TimePoint(std::chrono::milliseconds(1)));
  assembler.on_body(std::string_view(body).substr(cut), TimePoint(std::chrono::milliseconds(2)));
  net::ExchangeResult result;
  result.status = transport;
  result.sent = true;
  assembler.finish(result);
  return record;
}

struct Expectation {
  std::string fixture;
  std::size_t events;
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> output_tokens;
  std::string finish_reason;
  std::optional<ErrorCategory> error;
};

class OpenAiStreamFixture : public ::testing::TestWithParam<Expectation> {};

TEST_P(OpenAiStreamFixture, ParsedIdenticallyAtEverySplit) {
  const Expectation& e = GetParam();
  std::string body = llmbench::testing::read_test_file(e.fixture);
  if (e.fixture.ends_with(".txt")) body = llmbench::testing::capture_body(body);
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    const RequestRecord r = read_response(body, cut);
    ASSERT_EQ(r.events.size(), e.events) << "split at " << cut;
    EXPECT_EQ(r.usage.prompt_tokens, e.prompt_tokens) << cut;
    EXPECT_EQ(r.usage.output_tokens, e.output_tokens) << cut;
    EXPECT_EQ(r.finish_reason, e.finish_reason) << cut;
    if (e.error) {
      ASSERT_TRUE(r.error) << cut;
      EXPECT_EQ(r.error->category, *e.error) << cut;
    } else {
      EXPECT_FALSE(r.error) << cut << ": " << (r.error ? r.error->message : "");
      EXPECT_TRUE(r.completed);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, OpenAiStreamFixture,
    ::testing::Values(
        // Role-only first chunk (content "") is not a token: 3 content frames.
        Expectation{"fixtures/vllm/chat_stream.sse", 3, 42, 128, "length", std::nullopt},
        Expectation{"fixtures/vllm/completions_stream.sse", 3, 5, 64, "length", std::nullopt},
        Expectation{"fixtures/vllm/stream_error.sse", 0, std::nullopt, std::nullopt, "",
                    ErrorCategory::kEngineError},
        // TGI: "data:" without a space, role on every chunk, empty final content.
        Expectation{"fixtures/tgi/chat_stream.sse", 2, 24, 17, "stop", std::nullopt},
        // TGI completions: finish_reason "" until the end; "</s>" is generated text.
        Expectation{"fixtures/tgi/completions_stream.sse", 3, 8, 3, "eos_token", std::nullopt},
        // Ollama /v1: zero usage on every chunk, the real one last.
        Expectation{"fixtures/ollama/openai_completions_stream.sse", 2, 5, 16, "length",
                    std::nullopt},
        Expectation{"fixtures/ollama/openai_chat_stream.sse", 2, 14, 6, "stop", std::nullopt},
        // llama.cpp: role chunk with content null, finish chunk with empty delta.
        Expectation{"fixtures/llamacpp/chat_stream.sse", 2, 25, 64, "length", std::nullopt},
        Expectation{"fixtures/llamacpp/stream_error_current.sse", 0, std::nullopt, std::nullopt, "",
                    ErrorCategory::kEngineError},
        Expectation{"fixtures/llamacpp/stream_error_legacy.sse", 0, std::nullopt, std::nullopt, "",
                    ErrorCategory::kEngineError},
        Expectation{"fixtures/llamacpp-captured/v1_completions_stream.txt", 8, 2, 8, "length",
                    std::nullopt},
        Expectation{"fixtures/sglang/chat_stream.sse", 2, 15, 7, "stop", std::nullopt}));

TEST(OpenAiResponse, EngineErrorKeepsTheEnginesMessage) {
  const std::string body = llmbench::testing::read_test_file("fixtures/vllm/stream_error.sse");
  const RequestRecord r = read_response(body, 0);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "Internal server error while generating");
}

TEST(OpenAiResponse, AnErrorLineWithoutMessageStillSaysWhatHappened) {
  // Found by fuzz_engine_openai: an SSE "error" field with no value was an engine error with
  // an empty message.
  for (const char* text : {"error\n\n", "error:\n\n", "error: \r\n\r\n"}) {
    const std::string body = text;
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
      const RequestRecord r = read_response(body, cut);
      ASSERT_TRUE(r.error) << cut;
      EXPECT_EQ(r.error->category, ErrorCategory::kEngineError);
      EXPECT_EQ(r.error->message, "the stream's \"error:\" line holds no message") << cut;
    }
  }
}

TEST(OpenAiResponse, TimeToFirstTokenIsTheFirstContentFrame) {
  // The role-only frame arrives in the first piece (t=1 ms); content only in the second.
  const std::string body = llmbench::testing::read_test_file("fixtures/vllm/chat_stream.sse");
  const std::size_t first_frame_end = body.find("\n\n") + 2;
  const RequestRecord r = read_response(body, first_frame_end);
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.t_first(), TimePoint(std::chrono::milliseconds(2)));
}

TEST(OpenAiResponse, NonStreamedBodyIsOneArrivalOfAllItsTokens) {
  const std::string body = llmbench::testing::read_test_file("fixtures/vllm/chat_response.json");
  for (std::size_t cut = 0; cut <= body.size(); cut += 7) {
    const RequestRecord r = read_response(body, cut, 200, "application/json", false);
    ASSERT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(static_cast<std::int64_t>(r.events[0].tokens), *r.usage.output_tokens);
    // The body's first byte came with the first non-empty piece.
    EXPECT_EQ(r.events[0].arrival, TimePoint(std::chrono::milliseconds(cut == 0 ? 2 : 1)));
  }
}

TEST(OpenAiResponse, HttpErrorsAreCategorisedWithTheEnginesMessage) {
  const struct {
    std::string fixture;
    int status;
    ErrorCategory category;
    std::string message_part;
  } cases[] = {
      {"fixtures/vllm/error_400_new.json", 400, ErrorCategory::kHttp4xx, ""},
      {"fixtures/vllm/error_404_legacy.json", 404, ErrorCategory::kHttp4xx, "does not exist"},
      {"fixtures/tgi/error_429.json", 429, ErrorCategory::kHttp429, ""},
      {"fixtures/ollama/error_503.json", 503, ErrorCategory::kHttp5xx, "busy"},
      {"fixtures/sglang/error_400.json", 400, ErrorCategory::kHttp4xx, ""},
  };
  for (const auto& c : cases) {
    const std::string body = llmbench::testing::read_test_file(c.fixture);
    const RequestRecord r = read_response(body, body.size() / 2, c.status, "application/json");
    ASSERT_TRUE(r.error) << c.fixture;
    EXPECT_EQ(r.error->category, c.category) << c.fixture;
    EXPECT_EQ(r.http_status, c.status);
    EXPECT_NE(r.error->message.find("HTTP " + std::to_string(c.status)), std::string::npos);
    EXPECT_NE(r.error->message.find(c.message_part), std::string::npos) << r.error->message;
    EXPECT_EQ(r.error->message.find("{\"error\""), std::string::npos) << "message not extracted";
  }
}

TEST(OpenAiResponse, MalformedFrameIsAProtocolError) {
  const std::string body =
      "data: {\"choices\":[{\"text\":\"a\"}]}\n\ndata: {\"choices\":[{\"text\": tok\n\n"
      "data: {\"choices\":[{\"text\":\"b\",\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n";
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    const RequestRecord r = read_response(body, cut);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->category, ErrorCategory::kProtocol);
    EXPECT_NE(r.error->message.find("malformed"), std::string::npos);
  }
}

TEST(OpenAiResponse, StreamWithoutEndIsTruncated) {
  const std::string body =
      "data: {\"choices\":[{\"index\":0,\"text\":\"a\",\"finish_reason\":null}]}\n\n";
  const RequestRecord r = read_response(body, 5);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->category, ErrorCategory::kTruncated);
  EXPECT_EQ(r.events.size(), 1u);
}

TEST(OpenAiResponse, TransportFailureWinsOverTruncationButNotOverEngineError) {
  const std::string partial = "data: {\"choices\":[{\"text\":\"a\"}]}\n\n";
  RequestRecord r =
      read_response(partial, 3, 200, "text/event-stream", true, net::ExchangeStatus::kTimeoutIdle);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->category, ErrorCategory::kTimeoutIdle);

  const std::string errored = "data: {\"error\":{\"message\":\"boom\"}}\n\n";
  r = read_response(errored, 3, 200, "text/event-stream", true, net::ExchangeStatus::kClosedEarly);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->category, ErrorCategory::kEngineError);
  EXPECT_EQ(r.error->message, "boom");
}

// vLLM with stream_options.continuous_usage_stats (serving_chat.py): the role chunk and
// every content chunk carry the cumulative usage, the finish chunk too, then the usage
// chunk. Chunks of 1, 3 and 2 tokens; one more token (EOS) only in the totals.
const char* const kContinuousUsageStream =
    "data: "
    "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":0,"
    "\"total_tokens\":9}}\n\n"
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Chess\"},"
    "\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,"
    "\"total_tokens\":10}}\n\n"
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" is played on\"},"
    "\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,"
    "\"total_tokens\":13}}\n\n"
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" squares\"},"
    "\"finish_reason\":\"stop\",\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":9,"
    "\"completion_tokens\":6,\"total_tokens\":15}}\n\n"
    "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"total_tokens\":16,"
    "\"completion_tokens\":7}}\n\n"
    "data: [DONE]\n\n";

RequestRecord read_with(const OpenAiOptions& options, std::string_view body, std::size_t cut) {
  const OpenAiEngine engine(options);
  const RequestSpec spec = spec_for(ApiKind::kChat, true);
  RequestRecord record;
  auto reader = engine.make_reader(spec, record);
  ResponseAssembler assembler(*reader, record);
  const net::Header headers[] = {{"Content-Type", "text/event-stream"}};
  assembler.on_head(200, headers);
  assembler.on_body(body.substr(0, cut), TimePoint(std::chrono::milliseconds(1)));
  assembler.on_body(body.substr(cut), TimePoint(std::chrono::milliseconds(2)));
  net::ExchangeResult result;
  result.status = net::ExchangeStatus::kOk;
  result.sent = true;
  assembler.finish(result);
  return record;
}

TEST(OpenAiContinuousUsage, RequestAsksForUsageOnEveryChunk) {
  OpenAiOptions options;
  options.continuous_usage = true;
  const json body =
      json::parse(OpenAiEngine(options).build_request(spec_for(ApiKind::kChat, true)).body);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["stream_options"]["continuous_usage_stats"], true);
  // Never on a non-streamed request (vLLM answers 400 to stream_options there).
  EXPECT_FALSE(
      json::parse(OpenAiEngine(options).build_request(spec_for(ApiKind::kChat, false)).body)
          .contains("stream_options"));
  // Engines that do not know the field are not sent it.
  EXPECT_FALSE(json::parse(OpenAiEngine(OpenAiOptions{})
                               .build_request(spec_for(ApiKind::kChat, true))
                               .body)["stream_options"]
                   .contains("continuous_usage_stats"));
}

TEST(OpenAiContinuousUsage, EachChunkHoldsTheChangeInCumulativeUsageAtEverySplit) {
  OpenAiOptions options;
  options.continuous_usage = true;
  const std::string_view body = kContinuousUsageStream;
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    const RequestRecord r = read_with(options, body, cut);
    ASSERT_FALSE(r.error) << cut << ": " << r.error->message;
    ASSERT_EQ(r.events.size(), 3u) << cut;
    EXPECT_EQ(r.events[0].tokens, 1u) << cut;
    EXPECT_EQ(r.events[1].tokens, 3u) << cut;  // a chunk of 3 tokens counts 3
    EXPECT_EQ(r.events[2].tokens, 2u) << cut;
    EXPECT_EQ(r.usage.output_tokens, 7) << cut;  // the final count still wins for M5
    EXPECT_EQ(r.client_output_tokens(), 6) << cut;
  }
}

TEST(OpenAiContinuousUsage, WithoutTheOptionOrWithoutGrowthAChunkIsOne) {
  // Not asked for: per-chunk usage is not trusted (TGI's last chunk carries text and the
  // final totals; reading it as a delta would give that chunk every token).
  const RequestRecord plain = read_with(OpenAiOptions{}, kContinuousUsageStream, 0);
  ASSERT_EQ(plain.events.size(), 3u);
  for (const TokenEvent& e : plain.events) EXPECT_EQ(e.tokens, 1u);
  // Asked for, but the engine sends zeros on every chunk (Ollama's /v1 quirk) or nothing.
  OpenAiOptions options;
  options.continuous_usage = true;
  const std::string zeros =
      llmbench::testing::read_test_file("fixtures/ollama/openai_completions_stream.sse");
  const RequestRecord r = read_with(options, zeros, zeros.size() / 3);
  ASSERT_FALSE(r.error);
  for (const TokenEvent& e : r.events) EXPECT_EQ(e.tokens, 1u);
  // A hostile count is a protocol error naming it: neither clamped nor used (limits.md).
  const std::string hostile =
      "data: {\"choices\":[{\"text\":\"a\"}],\"usage\":{\"completion_tokens\":1e300}}\n\n"
      "data: {\"choices\":[{\"text\":\"b\",\"finish_reason\":\"length\"}],"
      "\"usage\":{\"completion_tokens\":-5}}\n\ndata: [DONE]\n\n";
  const RequestRecord h = read_with(options, hostile, 7);
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->category, ErrorCategory::kProtocol);
  EXPECT_NE(h.error->message.find("usage.completion_tokens = 1e+300"), std::string::npos)
      << h.error->message;
  EXPECT_TRUE(h.events.empty());
}

TEST(ErrorMessage, AllBodyShapes) {
  EXPECT_EQ(error_message_from_body(R"({"error":{"message":"a","type":"x"}})"), "a");
  EXPECT_EQ(error_message_from_body(R"({"error":"b","error_type":"overloaded"})"), "b");
  EXPECT_EQ(error_message_from_body(R"({"object":"error","message":"c","code":400})"), "c");
  EXPECT_EQ(error_message_from_body("plain text\n"), "plain text");
  EXPECT_EQ(error_message_from_body(std::string(1000, 'x')).size(), 300u);
}

TEST(StripV1, BothUrlFormsWork) {
  EXPECT_EQ(strip_v1_suffix(""), "");
  EXPECT_EQ(strip_v1_suffix("/v1"), "");
  EXPECT_EQ(strip_v1_suffix("/v1/"), "");
  EXPECT_EQ(strip_v1_suffix("/api/v1"), "/api");
  EXPECT_EQ(strip_v1_suffix("/v10"), "/v10");
}

}  // namespace
}  // namespace llmbench::engines

namespace llmbench::engines {
namespace {

// The record keeps the first kOutputSampleBytes of generated content, in order, at every split,
// and nothing beyond them (a report shows it beside the prompt).
TEST(OpenAiResponse, OutputSampleIsTheGeneratedTextUpToItsBound) {
  const auto chunk = [](const std::string& text) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text + "\"}}]}\n\n";
  };
  const std::string end =
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
      "data: [DONE]\n\n";
  const std::string short_body = chunk("Hel") + chunk("lo") + end;
  for (std::size_t cut = 0; cut <= short_body.size(); ++cut) {
    EXPECT_EQ(read_response(short_body, cut).output_sample, "Hello") << cut;
  }
  std::string long_body;
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    long_body += chunk("abcdefghij");
    expected += "abcdefghij";
  }
  long_body += end;
  const RequestRecord r = read_response(long_body, long_body.size() / 2);
  EXPECT_EQ(r.output_sample, expected.substr(0, kOutputSampleBytes));
  EXPECT_EQ(r.output_chars, 1000u);
}

}  // namespace
}  // namespace llmbench::engines
