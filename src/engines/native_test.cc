#include "engines/native.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../../tests/support/fixtures.h"
#include "engines/registry.h"
#include "engines/response_assembler.h"

namespace llmbench::engines {
namespace {

using nlohmann::json;

RequestSpec spec(bool stream, ApiKind api = ApiKind::kCompletions) {
  RequestSpec s;
  s.model = "m";
  s.api = api;
  s.prompt = "Why?";
  s.messages = {{"system", "Be brief."}, {"user", "Why?"}};
  s.max_tokens = 64;
  s.stream = stream;
  s.seed = 7;
  s.temperature = 0.0;
  return s;
}

struct Response {
  int status = 200;
  std::vector<net::Header> headers;
  std::string body;
};

RequestRecord read(const Engine& engine, const RequestSpec& s, const Response& r, std::size_t cut) {
  RequestRecord record;
  auto reader = engine.make_reader(s, record);
  ResponseAssembler assembler(*reader, record);
  assembler.on_head(r.status, r.headers);
  assembler.on_body(std::string_view(r.body).substr(0, cut),
                    TimePoint(std::chrono::milliseconds(1)));
  assembler.on_body(std::string_view(r.body).substr(cut), TimePoint(std::chrono::milliseconds(2)));
  net::ExchangeResult result;
  result.sent = true;
  assembler.finish(result);
  return record;
}

// Every split of the body must give the same record as the unsplit body.
template <class Check>
void at_every_split(const Engine& engine, const RequestSpec& s, const Response& r, Check&& check) {
  for (std::size_t cut = 0; cut <= r.body.size(); ++cut) {
    SCOPED_TRACE("split at byte " + std::to_string(cut));
    check(read(engine, s, r, cut));
  }
}

Response sse(const std::string& fixture) {
  return {200, {{"Content-Type", "text/event-stream"}}, llmbench::testing::read_test_file(fixture)};
}
Response ndjson(const std::string& fixture) {
  return {
      200, {{"Content-Type", "application/x-ndjson"}}, llmbench::testing::read_test_file(fixture)};
}
Response body(const std::string& fixture, int status = 200) {
  return {
      status, {{"Content-Type", "application/json"}}, llmbench::testing::read_test_file(fixture)};
}

// ---- Ollama ----

TEST(Ollama, RequestSendsStreamExplicitlyAndOptions) {
  NativeOptions o;
  o.keep_alive = "30m";
  const OllamaEngine engine(o);
  const auto generate = engine.build_request(spec(false));
  EXPECT_EQ(generate.target, "/api/generate");
  const json b = json::parse(generate.body);
  EXPECT_EQ(b["stream"], false);
  EXPECT_EQ(b["prompt"], "Why?");
  EXPECT_EQ(b["options"]["num_predict"], 64);
  EXPECT_EQ(b["options"]["seed"], 7);
  EXPECT_EQ(b["options"]["temperature"], 0.0);
  EXPECT_EQ(b["keep_alive"], "30m");
  const auto chat = engine.build_request(spec(true, ApiKind::kChat));
  EXPECT_EQ(chat.target, "/api/chat");
  EXPECT_EQ(json::parse(chat.body)["messages"].size(), 2u);
  EXPECT_EQ(json::parse(chat.body)["stream"], true);
}

TEST(Ollama, StreamGivesEventsCountsAndNanosecondDurations) {
  const OllamaEngine engine({});
  at_every_split(engine, spec(true), ndjson("fixtures/ollama/generate_stream.ndjson"),
                 [](const RequestRecord& r) {
                   ASSERT_FALSE(r.error) << r.error->message;
                   EXPECT_TRUE(r.completed);
                   EXPECT_EQ(r.events.size(), 3u);
                   EXPECT_EQ(r.usage.output_tokens, 64);
                   EXPECT_EQ(r.usage.prompt_tokens, 31);
                   EXPECT_EQ(r.finish_reason, "length");
                   EXPECT_DOUBLE_EQ(*r.native.total_duration, 0.503211);
                   EXPECT_DOUBLE_EQ(*r.native.eval_duration, 0.4023);
                   EXPECT_DOUBLE_EQ(*r.native.prompt_eval_duration, 0.04512);
                   EXPECT_DOUBLE_EQ(*r.native.load_duration, 0.002034);
                   EXPECT_FALSE(r.cold_start);
                 });
}

TEST(Ollama, NonStreamedBodyAndColdStart) {
  const OllamaEngine engine({});
  Response r = body("fixtures/ollama/generate_response.json");
  // 1e9 ns of loading is one second, and a cold start.
  const std::string cold = std::string("\"load_duration\": 1000000000");
  r.body.replace(r.body.find("\"load_duration\": 12034000"),
                 std::string("\"load_duration\": 12034000").size(), cold);
  at_every_split(engine, spec(false), r, [](const RequestRecord& rec) {
    ASSERT_FALSE(rec.error);
    ASSERT_EQ(rec.events.size(), 1u);
    EXPECT_EQ(rec.events[0].tokens, 19u);
    EXPECT_DOUBLE_EQ(*rec.native.load_duration, 1.0);
    EXPECT_TRUE(rec.cold_start);
    EXPECT_EQ(rec.finish_reason, "stop");
  });
}

TEST(Ollama, ErrorLineAfterStreamingBeganIsAnEngineError) {
  const OllamaEngine engine({});
  at_every_split(engine, spec(true), ndjson("fixtures/ollama/generate_stream_error.ndjson"),
                 [](const RequestRecord& r) {
                   ASSERT_TRUE(r.error);
                   EXPECT_EQ(r.error->category, ErrorCategory::kEngineError);
                   EXPECT_NE(r.error->message.find("unexpected EOF"), std::string::npos);
                   EXPECT_EQ(r.events.size(), 2u);
                 });
}

TEST(Ollama, HttpErrorsKeepTheMessage) {
  const OllamaEngine engine({});
  const RequestRecord nf = read(engine, spec(true), body("fixtures/ollama/error_404.json", 404), 3);
  ASSERT_TRUE(nf.error);
  EXPECT_EQ(nf.error->category, ErrorCategory::kHttp4xx);
  EXPECT_NE(nf.error->message.find("not found"), std::string::npos);
  const RequestRecord busy =
      read(engine, spec(true), body("fixtures/ollama/error_503.json", 503), 3);
  EXPECT_EQ(busy.error->category, ErrorCategory::kHttp5xx);
}

// ---- TGI ----

TEST(Tgi, RequestUsesGenerateStreamWithDetailsAndGreedyForZeroTemperature) {
  const TgiEngine engine({});
  const auto r = engine.build_request(spec(true));
  EXPECT_EQ(r.target, "/generate_stream");
  const json b = json::parse(r.body);
  EXPECT_EQ(b["inputs"], "Why?");
  EXPECT_EQ(b["parameters"]["max_new_tokens"], 64);
  EXPECT_EQ(b["parameters"]["details"], true);
  EXPECT_EQ(b["parameters"]["do_sample"], false);
  EXPECT_FALSE(b["parameters"].contains("temperature")) << "TGI rejects temperature 0";
  EXPECT_EQ(engine.build_request(spec(false)).target, "/generate");
}

TEST(Tgi, StreamWithoutSpaceKeepAliveAndDetails) {
  const TgiEngine engine({});
  at_every_split(engine, spec(true), sse("fixtures/tgi/generate_stream.sse"),
                 [](const RequestRecord& r) {
                   ASSERT_FALSE(r.error) << r.error->message;
                   EXPECT_EQ(r.events.size(), 4u);
                   EXPECT_EQ(r.usage.output_tokens, 20);
                   EXPECT_EQ(r.usage.prompt_tokens, 7);
                   EXPECT_EQ(r.finish_reason, "length");
                   EXPECT_TRUE(r.completed);
                 });
}

TEST(Tgi, ErrorEventInsideA200Stream) {
  const TgiEngine engine({});
  at_every_split(engine, spec(true), sse("fixtures/tgi/generate_stream_error.sse"),
                 [](const RequestRecord& r) {
                   ASSERT_TRUE(r.error);
                   EXPECT_EQ(r.error->category, ErrorCategory::kEngineError);
                   EXPECT_EQ(r.error->message.rfind("validation: Input validation error", 0), 0u);
                 });
}

TEST(Tgi, TimingHeadersInMilliseconds) {
  const TgiEngine engine({});
  Response r = body("fixtures/tgi/generate_response.json");
  const std::string capture =
      llmbench::testing::read_test_file("fixtures/tgi/generate_response_headers.txt");
  std::size_t pos = capture.find('\n') + 1;
  while (pos < capture.size()) {
    const std::size_t end = capture.find('\n', pos);
    const std::string line = capture.substr(pos, end - pos);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos)
      r.headers.push_back({line.substr(0, colon), line.substr(colon + 2)});
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  at_every_split(engine, spec(false), r, [](const RequestRecord& rec) {
    ASSERT_FALSE(rec.error) << rec.error->message;
    EXPECT_DOUBLE_EQ(*rec.native.total_duration, 0.412);
    EXPECT_DOUBLE_EQ(*rec.native.queue_time, 0.003);
    EXPECT_DOUBLE_EQ(*rec.native.inference_time, 0.407);
    EXPECT_DOUBLE_EQ(*rec.native.time_per_output_token, 0.020);
    EXPECT_EQ(rec.usage.prompt_tokens, 7);
    EXPECT_EQ(rec.usage.output_tokens, 20);
    ASSERT_EQ(rec.events.size(), 1u);
    EXPECT_EQ(rec.events[0].tokens, 20u);
  });
}

TEST(Tgi, OverloadedAndValidationStatusesAreCategorised) {
  const TgiEngine engine({});
  EXPECT_EQ(read(engine, spec(true), body("fixtures/tgi/error_429.json", 429), 5).error->category,
            ErrorCategory::kHttp429);
  EXPECT_EQ(read(engine, spec(true), body("fixtures/tgi/error_422.json", 422), 5).error->category,
            ErrorCategory::kHttp4xx);
}

// ---- llama.cpp ----

TEST(LlamaCpp, RequestDisablesPromptCacheAndForcesLength) {
  const LlamaCppEngine engine({});
  const auto r = engine.build_request(spec(true));
  EXPECT_EQ(r.target, "/completion");
  const json b = json::parse(r.body);
  EXPECT_EQ(b["n_predict"], 64);
  EXPECT_EQ(b["cache_prompt"], false);
  EXPECT_EQ(b["ignore_eos"], true);
  EXPECT_EQ(b["stream"], true);
}

TEST(LlamaCpp, StreamTimingsInMillisecondsWithoutDone) {
  const LlamaCppEngine engine({});
  at_every_split(engine, spec(true), sse("fixtures/llamacpp/completion_stream.sse"),
                 [](const RequestRecord& r) {
                   ASSERT_FALSE(r.error) << r.error->message;
                   EXPECT_TRUE(r.completed);
                   EXPECT_EQ(r.events.size(), 3u);
                   EXPECT_EQ(r.usage.output_tokens, 128);
                   EXPECT_EQ(r.usage.prompt_tokens, 13);
                   EXPECT_EQ(r.finish_reason, "limit");
                   EXPECT_DOUBLE_EQ(*r.native.prompt_eval_duration, 0.01844);
                   EXPECT_EQ(r.native.prompt_eval_tokens, 13);
                 });
}

TEST(LlamaCpp, NonStreamedResponseAndCapturedBytes) {
  const LlamaCppEngine engine({});
  at_every_split(engine, spec(false), body("fixtures/llamacpp/completion_response.json"),
                 [](const RequestRecord& r) {
                   ASSERT_FALSE(r.error);
                   EXPECT_DOUBLE_EQ(*r.native.eval_duration, 1.6502);
                   EXPECT_DOUBLE_EQ(*r.native.time_per_output_token, 0.012892);
                   EXPECT_EQ(r.events.at(0).tokens, 128u);
                 });
  const RequestRecord captured =
      read(engine, spec(false), body("fixtures/llamacpp-captured/completion_native.json"), 0);
  ASSERT_FALSE(captured.error) << captured.error->message;
  // timings.predicted_ms 8.353, prompt_ms 1.369, predicted_per_token_ms 0.5220625
  ASSERT_TRUE(captured.native.eval_duration.has_value());
  EXPECT_DOUBLE_EQ(*captured.native.eval_duration, 0.008353);
  ASSERT_TRUE(captured.native.prompt_eval_duration.has_value());
  EXPECT_DOUBLE_EQ(*captured.native.prompt_eval_duration, 0.001369);
  ASSERT_TRUE(captured.native.time_per_output_token.has_value());
  EXPECT_DOUBLE_EQ(*captured.native.time_per_output_token, 0.0005220625);
}

TEST(LlamaCpp, CurrentAndLegacyMidStreamErrors) {
  const LlamaCppEngine engine({});
  for (const char* f : {"fixtures/llamacpp/stream_error_current.sse",
                        "fixtures/llamacpp/stream_error_legacy.sse"}) {
    at_every_split(engine, spec(true), sse(f), [&](const RequestRecord& r) {
      ASSERT_TRUE(r.error) << f;
      EXPECT_EQ(r.error->category, ErrorCategory::kEngineError);
    });
  }
}

TEST(LlamaCpp, AnErrorLineWithoutMessageStillSaysWhatHappened) {
  // Found by fuzz_engine_llamacpp: an SSE "error" field with no value was an engine error with
  // an empty message (native route).
  const LlamaCppEngine engine({});
  const Response r{200, {{"Content-Type", "text/event-stream"}}, "error\n\n"};
  at_every_split(engine, spec(true), r, [](const RequestRecord& rec) {
    ASSERT_TRUE(rec.error);
    EXPECT_EQ(rec.error->category, ErrorCategory::kEngineError);
    EXPECT_EQ(rec.error->message, "the stream's \"error:\" line holds no message");
  });
}

TEST(NativeReaders, AnEmptyErrorMessageStillSaysWhatHappened) {
  // Found by fuzz_engine_ollama and fuzz_engine_tgi: {"error": ""} (or an empty "message") in
  // a 200 body was an engine error with an empty message.
  const OllamaEngine ollama({});
  const TgiEngine tgi({});
  for (const Engine* engine :
       {static_cast<const Engine*>(&ollama), static_cast<const Engine*>(&tgi)}) {
    for (const char* body : {R"({"error":""})", R"({"error":{"message":""}})"}) {
      const Response r{200, {{"Content-Type", "application/json"}}, body};
      at_every_split(*engine, spec(false), r, [&](const RequestRecord& rec) {
        ASSERT_TRUE(rec.error) << engine->name() << " " << body;
        EXPECT_EQ(rec.error->category, ErrorCategory::kEngineError);
        EXPECT_EQ(rec.error->message, "engine reported an error") << engine->name() << " " << body;
      });
    }
  }
}

// ---- SGLang ----

TEST(Sglang, RequestShape) {
  const SglangEngine engine({});
  const json b = json::parse(engine.build_request(spec(true)).body);
  EXPECT_EQ(b["text"], "Why?");
  EXPECT_EQ(b["sampling_params"]["max_new_tokens"], 64);
  EXPECT_EQ(b["sampling_params"]["ignore_eos"], true);
  EXPECT_EQ(b["stream"], true);
}

TEST(Sglang, CumulativeTextBecomesDeltasWithExactTokenCounts) {
  const SglangEngine engine({});
  at_every_split(engine, spec(true), sse("fixtures/sglang/generate_stream.sse"),
                 [](const RequestRecord& r) {
                   ASSERT_FALSE(r.error) << r.error->message;
                   ASSERT_EQ(r.events.size(), 3u);
                   EXPECT_EQ(r.events[0].tokens, 1u);
                   EXPECT_EQ(r.events[1].tokens, 1u);
                   EXPECT_EQ(r.events[2].tokens, 2u);  // completion_tokens went from 2 to 4
                   EXPECT_EQ(r.output_chars, std::string(" Paris. It is").size());
                   EXPECT_EQ(r.usage.output_tokens, 4);
                   EXPECT_DOUBLE_EQ(*r.native.total_duration, 0.0541);
                   EXPECT_EQ(r.finish_reason, "length");
                 });
}

TEST(Sglang, NonStreamedAndFlatError) {
  const SglangEngine engine({});
  at_every_split(engine, spec(false), body("fixtures/sglang/generate_response.json"),
                 [](const RequestRecord& r) {
                   ASSERT_FALSE(r.error);
                   EXPECT_EQ(r.events.at(0).tokens, 16u);
                   EXPECT_DOUBLE_EQ(*r.native.total_duration, 0.1873);
                 });
  const RequestRecord e = read(engine, spec(false), body("fixtures/sglang/error_400.json", 400), 9);
  EXPECT_EQ(e.error->category, ErrorCategory::kHttp4xx);
  EXPECT_NE(e.error->message.find("longer than the model's context length"), std::string::npos);
}

// ---- OpenAI routes with engine extras ----

TEST(OpenAiExtras, LlamaCppTimingsOnOpenAiRoutes) {
  const auto engine = make_engine({EngineKind::kLlamaCpp, RouteFamily::kOpenAi, "", {}, {}, {}});
  at_every_split(*engine, spec(true, ApiKind::kChat), sse("fixtures/llamacpp/chat_stream.sse"),
                 [](const RequestRecord& r) {
                   ASSERT_FALSE(r.error);
                   EXPECT_DOUBLE_EQ(*r.native.eval_duration, 0.8204);
                   EXPECT_DOUBLE_EQ(*r.native.prompt_eval_duration, 0.0309);
                   EXPECT_EQ(r.usage.cached_prompt_tokens, 0);
                 });
}

TEST(OpenAiExtras, VllmPerRequestMetrics) {
  const auto engine = make_engine({EngineKind::kVllm, RouteFamily::kOpenAi, "", {}, {}, {}});
  const RequestRecord r =
      read(*engine, spec(false, ApiKind::kChat), body("fixtures/vllm/chat_response.json"), 11);
  ASSERT_FALSE(r.error);
  // metrics: time_to_first_token_ms 31.7, queue_time_ms 0.4
  ASSERT_TRUE(r.native.ttft.has_value());
  EXPECT_DOUBLE_EQ(*r.native.ttft, 0.0317);
  ASSERT_TRUE(r.native.queue_time.has_value());
  EXPECT_DOUBLE_EQ(*r.native.queue_time, 0.0004);
}

TEST(Registry, ConfiguredHeadersOnEveryAdapter) {
  for (const EngineKind kind : {EngineKind::kOllama, EngineKind::kTgi, EngineKind::kLlamaCpp,
                                EngineKind::kSglang, EngineKind::kVllm}) {
    for (const RouteFamily route : {RouteFamily::kNative, RouteFamily::kOpenAi}) {
      EngineOptions o{kind, route, "", {}, {}, {}};
      o.headers = {{"X-Team", "perf"}};
      o.api_key = "k";
      const auto request = make_engine(o)->build_request(spec(true));
      int found = 0;
      for (const auto& h : request.headers) {
        found += (h.name == "X-Team" && h.value == "perf") +
                 (h.name == "Authorization" && h.value == "Bearer k");
      }
      EXPECT_EQ(found, 2) << to_string(kind);
    }
  }
}

TEST(Registry, RoutesAndEngineQuirks) {
  const auto vllm = make_engine({EngineKind::kVllm, RouteFamily::kNative, "", {}, {}, {}});
  const json v = json::parse(vllm->build_request(spec(true)).body);
  EXPECT_EQ(v["ignore_eos"], true);
  EXPECT_EQ(v["min_tokens"], 64);
  const auto tgi = make_engine({EngineKind::kTgi, RouteFamily::kOpenAi, "", {}, {}, {}});
  EXPECT_EQ(json::parse(tgi->build_request(spec(true, ApiKind::kChat)).body)["model"], "tgi");
  const auto generic = make_engine({EngineKind::kOpenAi, RouteFamily::kOpenAi, "", {}, {}, {}});
  EXPECT_FALSE(json::parse(generic->build_request(spec(true)).body).contains("ignore_eos"));
  EXPECT_EQ(make_engine({EngineKind::kOllama, RouteFamily::kNative, "", {}, {}, {}})->name(),
            "ollama");
  EXPECT_EQ(make_engine({EngineKind::kOllama, RouteFamily::kOpenAi, "", {}, {}, {}})->name(),
            "openai");
  EXPECT_EQ(api_choice_name(*parse_api_choice("native-chat")), "native-chat");
  EXPECT_FALSE(parse_api_choice("grpc"));
  EXPECT_EQ(default_api(EngineKind::kTgi).route, RouteFamily::kNative);
  EXPECT_EQ(default_api(EngineKind::kVllm).route, RouteFamily::kOpenAi);
}

TEST(Tokenize, RequestsPerEngineAndCountsInEveryAnswerShape) {
  const auto vllm = tokenize_request(EngineKind::kVllm, "/v1", "a b", "m");
  ASSERT_TRUE(vllm);
  EXPECT_EQ(vllm->target, "/tokenize");
  EXPECT_EQ(json::parse(vllm->body)["prompt"], "a b");
  EXPECT_EQ(json::parse(tokenize_request(EngineKind::kTgi, "", "x", "m")->body)["inputs"], "x");
  EXPECT_EQ(json::parse(tokenize_request(EngineKind::kLlamaCpp, "", "x", "m")->body)["content"],
            "x");
  EXPECT_FALSE(tokenize_request(EngineKind::kOllama, "", "x", "m"));
  EXPECT_FALSE(tokenize_request(EngineKind::kOpenAi, "", "x", "m"));

  const std::string fixture =
      llmbench::testing::read_test_file("fixtures/vllm/tokenize_response.json");
  const auto expected = json::parse(fixture)["count"].get<std::int64_t>();
  EXPECT_EQ(*parse_token_count(200, fixture), expected);
  EXPECT_EQ(*parse_token_count(200, R"({"tokens":[1,2,3]})"), 3);
  EXPECT_EQ(*parse_token_count(200, R"([{"id":1},{"id":2}])"), 2);
  EXPECT_FALSE(parse_token_count(404, R"({"error":"nope"})"));
  EXPECT_FALSE(parse_token_count(200, "{}"));
}

}  // namespace
}  // namespace llmbench::engines
