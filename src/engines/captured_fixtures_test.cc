// The remaining llama.cpp fixtures — real bytes captured from llama-server b4747
// (tests/data/fixtures/llamacpp-captured) and its error bodies — read by the adapters and
// the detector, each split at every byte boundary, with the exact figures the bytes hold.

#include <gtest/gtest.h>

#include "../../tests/support/fixtures.h"
#include "engines/detect.h"
#include "engines/registry.h"
#include "engines/response_assembler.h"

namespace llmbench::engines {
namespace {

RequestSpec spec(ApiKind api) {
  RequestSpec s;
  s.model = "tiny-llama-128x4";
  s.api = api;
  s.prompt = "a";
  s.messages = {{"user", "a"}};
  s.max_tokens = 64;
  s.stream = false;
  return s;
}

RequestRecord read(const Engine& engine, const RequestSpec& s, int status, const std::string& body,
                   std::size_t cut) {
  RequestRecord record;
  auto reader = engine.make_reader(s, record);
  ResponseAssembler assembler(*reader, record);
  const std::vector<net::Header> headers = {{"Content-Type", "application/json; charset=utf-8"}};
  assembler.on_head(status, headers);
  assembler.on_body(std::string_view(body).substr(0, cut), TimePoint(std::chrono::milliseconds(1)));
  assembler.on_body(std::string_view(body).substr(cut), TimePoint(std::chrono::milliseconds(2)));
  net::ExchangeResult result;
  result.sent = true;
  assembler.finish(result);
  return record;
}

template <class Check>
void at_every_split(ApiKind api, int status, const std::string& body, Check&& check) {
  const auto engine = make_engine({EngineKind::kLlamaCpp, RouteFamily::kOpenAi, "", {}, {}, {}});
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    SCOPED_TRACE("split at byte " + std::to_string(cut));
    check(read(*engine, spec(api), status, body, cut));
  }
}

using llmbench::testing::capture_body;
using llmbench::testing::read_test_file;

TEST(LlamaCppCaptured, NonStreamedCompletion) {
  const std::string body =
      capture_body(read_test_file("fixtures/llamacpp-captured/v1_completions.txt"));
  at_every_split(ApiKind::kCompletions, 200, body, [](const RequestRecord& r) {
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(r.finish_reason, "length");
    EXPECT_EQ(r.usage.prompt_tokens, 2);
    EXPECT_EQ(r.usage.output_tokens, 64);
    // One arrival holding every token of the body.
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].tokens, 64u);
    ASSERT_TRUE(r.native.prompt_eval_duration.has_value());
    EXPECT_DOUBLE_EQ(*r.native.prompt_eval_duration, 0.001864);  // timings.prompt_ms 1.864
    ASSERT_TRUE(r.native.eval_duration.has_value());
    EXPECT_DOUBLE_EQ(*r.native.eval_duration, 0.037351);  // timings.predicted_ms 37.351
  });
}

TEST(LlamaCppCaptured, NonStreamedChat) {
  const std::string body =
      capture_body(read_test_file("fixtures/llamacpp-captured/v1_chat_completions.txt"));
  at_every_split(ApiKind::kChat, 200, body, [](const RequestRecord& r) {
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(r.finish_reason, "length");
    EXPECT_EQ(r.usage.prompt_tokens, 51);
    EXPECT_EQ(r.usage.output_tokens, 16);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].tokens, 16u);
    ASSERT_TRUE(r.native.eval_duration.has_value());
    EXPECT_DOUBLE_EQ(*r.native.eval_duration, 0.009805);  // timings.predicted_ms 9.805
  });
}

TEST(LlamaCppCaptured, EndOfSequenceAtOnceIsACompleteAnswerWithoutText) {
  // The model stopped on EOS before any text: complete, "stop", one output token counted by
  // the engine, no text arrival (so no first token to time).
  const std::string body = read_test_file("fixtures/llamacpp-captured/v1_completions_eos.json");
  at_every_split(ApiKind::kCompletions, 200, body, [](const RequestRecord& r) {
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_TRUE(r.completed);
    EXPECT_EQ(r.finish_reason, "stop");
    EXPECT_EQ(r.usage.output_tokens, 1);
    EXPECT_EQ(r.output_chars, 0u);
    EXPECT_FALSE(r.has_first_token());
  });
}

TEST(LlamaCppErrors, ContextExceededAndLoading) {
  const struct {
    const char* fixture;
    int status;
    ErrorCategory category;
    const char* message_part;
  } cases[] = {
      {"fixtures/llamacpp/error_context.json", 400, ErrorCategory::kHttp4xx,
       "exceeds the available context size"},
      {"fixtures/llamacpp/health_503.json", 503, ErrorCategory::kHttp5xx, "Loading model"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fixture);
    at_every_split(
        ApiKind::kCompletions, c.status, read_test_file(c.fixture), [&c](const RequestRecord& r) {
          ASSERT_TRUE(r.error);
          EXPECT_EQ(r.error->category, c.category);
          EXPECT_EQ(r.http_status, c.status);
          EXPECT_NE(r.error->message.find(c.message_part), std::string::npos) << r.error->message;
        });
  }
}

// "=== METHOD PATH" sections of a capture file, each an HTTP response.
std::vector<ProbeAnswer> captured_answers(const std::string& text) {
  std::vector<ProbeAnswer> out;
  std::size_t at = text.find("=== ");
  while (at != std::string::npos) {
    const std::size_t next = text.find("\n=== ", at);
    const std::string section =
        text.substr(at, next == std::string::npos ? std::string::npos : next + 1 - at);
    const std::size_t title_end = section.find('\n');
    const std::string title = section.substr(4, title_end - 4);  // "GET /api/version"
    const std::string response = section.substr(title_end + 1);
    ProbeAnswer answer;
    answer.path = title.substr(title.find(' ') + 1);
    answer.status = std::stoi(response.substr(response.find(' ') + 1, 3));
    answer.body = capture_body(response);
    while (!answer.body.empty() && answer.body.back() == '\n') answer.body.pop_back();
    out.push_back(answer);
    at = next == std::string::npos ? next : next + 1;
  }
  return out;
}

TEST(LlamaCppCaptured, DetectedAlthoughOtherEnginesRoutesAnswerWithJsonErrors) {
  // llama-server answers the Ollama and TGI probes with a JSON 404 body (and "/" with 200
  // text): none of it may pass for another engine.
  const auto captured =
      captured_answers(read_test_file("fixtures/llamacpp-captured/other_endpoints.txt"));
  ASSERT_GE(captured.size(), 8u);
  std::vector<ProbeAnswer> all;
  for (const std::string& path : detection_probes()) {
    ProbeAnswer a{path, 404, R"({"error":{"code":404,"message":"File Not Found"}})"};
    for (const ProbeAnswer& c : captured) {
      if (c.path == path) a = c;
    }
    if (path == "/props") a = {path, 200, read_test_file("fixtures/llamacpp-captured/props.json")};
    if (path == "/v1/models") {
      a = {path, 200, read_test_file("fixtures/llamacpp-captured/v1_models.json")};
    }
    all.push_back(a);
  }
  bool probed_captured = false;
  for (const ProbeAnswer& a : all) {
    probed_captured = probed_captured || a.path == "/api/version" || a.path == "/info";
  }
  ASSERT_TRUE(probed_captured) << "the detector no longer probes /api/version or /info";
  const EngineInfo info = identify(all);
  EXPECT_EQ(info.engine, "llamacpp");
  ASSERT_FALSE(info.models.empty());
  EXPECT_EQ(info.models[0].id, "tiny-llama-128x4");
}

}  // namespace
}  // namespace llmbench::engines
