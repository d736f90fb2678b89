// Request bodies against the protocol fixtures (tests/data/fixtures/*/*_request.json, copies
// of shared/protocols/fixtures). For each fixture the test builds the RequestSpec it stands
// for, builds the adapter's request, and compares the two bodies field by field (both parsed
// as JSON, flattened to JSON pointers). Every difference is listed here with its reason:
//  - not_sent: a fixture field the adapter deliberately leaves out (the engine's default is
//    what the fixture states, or the field is a workload choice RequestSpec does not carry);
//  - added: a field the adapter sends that the fixture lacks, with the value it must have.
// A field that differs in any other way fails the test, so a renamed, dropped or mistyped
// field in an adapter (e.g. "n_predict" → "max_tokens" in LlamaCppEngine, or losing
// "cache_prompt": false) is caught against a third witness of the protocol.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "../../tests/support/fixtures.h"
#include "engines/native.h"
#include "engines/registry.h"

namespace llmbench::engines {
namespace {

using nlohmann::json;

json fixture(const std::string& path) {
  return json::parse(llmbench::testing::read_test_file("fixtures/" + path));
}

struct Differences {
  std::set<std::string> not_sent;  // JSON pointers of fixture fields left out
  // JSON pointer → value the adapter must send: a field the fixture lacks, or one whose
  // fixture value the adapter deliberately changes.
  std::map<std::string, json> added;
};

// Compares the adapter's body with the fixture, leaf by leaf.
void expect_body_matches(const std::string& body, const json& expected, const Differences& d) {
  const json sent = json::parse(body);
  ASSERT_TRUE(sent.is_object()) << body;
  const json sent_flat = sent.flatten();
  const json expected_flat = expected.flatten();
  for (const auto& [pointer, value] : expected_flat.items()) {
    SCOPED_TRACE("fixture field " + pointer);
    if (d.not_sent.count(pointer)) {
      EXPECT_FALSE(sent_flat.contains(pointer)) << "listed as not sent, but sent: " << body;
      continue;
    }
    ASSERT_TRUE(sent_flat.contains(pointer)) << "missing from " << body;
    const auto changed = d.added.find(pointer);
    EXPECT_EQ(sent_flat[pointer], changed != d.added.end() ? changed->second : value);
  }
  for (const auto& [pointer, value] : sent_flat.items()) {
    if (expected_flat.contains(pointer)) continue;
    SCOPED_TRACE("added field " + pointer);
    const auto it = d.added.find(pointer);
    ASSERT_NE(it, d.added.end()) << "not in the fixture and not documented: " << body;
    EXPECT_EQ(value, it->second);
  }
  for (const auto& [pointer, value] : d.added) {
    EXPECT_TRUE(sent_flat.contains(pointer)) << "documented as added, not sent: " << pointer;
  }
}

EngineOptions options(EngineKind kind, RouteFamily route) {
  EngineOptions o;
  o.kind = kind;
  o.route = route;
  return o;
}

RequestSpec chat(std::string model, std::string content, std::int64_t max_tokens) {
  RequestSpec s;
  s.model = std::move(model);
  s.api = ApiKind::kChat;
  s.messages = {{"user", std::move(content)}};
  s.max_tokens = max_tokens;
  return s;
}

RequestSpec completion(std::string model, std::string prompt, std::int64_t max_tokens) {
  RequestSpec s;
  s.model = std::move(model);
  s.api = ApiKind::kCompletions;
  s.prompt = std::move(prompt);
  s.max_tokens = max_tokens;
  return s;
}

bool has_header(const net::HttpRequest& r, std::string_view name, std::string_view value) {
  for (const net::Header& h : r.headers) {
    if (h.name == name && h.value == value) return true;
  }
  return false;
}

// ---- vLLM ----

TEST(RequestFixtures, VllmChat) {
  RequestSpec s = chat("meta-llama/Llama-3.1-8B-Instruct", "Summarize the rules of chess.", 128);
  s.temperature = 0.0;
  s.seed = 1234;
  const auto engine = make_engine(options(EngineKind::kVllm, RouteFamily::kOpenAi));
  const net::HttpRequest r = engine->build_request(s);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v1/chat/completions");
  EXPECT_TRUE(has_header(r, "Accept", "text/event-stream"));
  // max_tokens instead of max_completion_tokens: vLLM reads both, and max_tokens is the one
  // every OpenAI-compatible server reads (Ollama's translator ignores the other, ENGINES.md
  // §1). min_tokens = max_tokens makes the length exact together with ignore_eos.
  // Per-chunk usage (continuous_usage_stats) makes a chunk of several tokens count as many.
  expect_body_matches(r.body, fixture("vllm/chat_request.json"),
                      {{"/max_completion_tokens"},
                       {{"/max_tokens", 128},
                        {"/min_tokens", 128},
                        {"/stream_options/continuous_usage_stats", true}}});
}

TEST(RequestFixtures, VllmCompletions) {
  RequestSpec s = completion("meta-llama/Llama-3.1-8B-Instruct", "The quick brown fox", 64);
  s.temperature = 0.7;
  s.seed = 99;
  const auto engine = make_engine(options(EngineKind::kVllm, RouteFamily::kOpenAi));
  const net::HttpRequest r = engine->build_request(s);
  EXPECT_EQ(r.target, "/v1/completions");
  // The fixture states continuous_usage_stats' default (false); llmbench turns it on, so a
  // chunk of several tokens counts as many.
  expect_body_matches(
      r.body, fixture("vllm/completions_request.json"),
      {{}, {{"/min_tokens", 64}, {"/stream_options/continuous_usage_stats", true}}});
}

TEST(RequestFixtures, VllmTokenize) {
  const auto r =
      tokenize_request(EngineKind::kVllm, "/v1", "Hello world", "meta-llama/Llama-3.1-8B-Instruct");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "/tokenize");
  expect_body_matches(r->body, fixture("vllm/tokenize_request.json"), {});
}

// ---- TGI ----

TEST(RequestFixtures, TgiChatSendsModelTgiAndNoIgnoreEos) {
  // The spec asks for exact lengths (ignore_eos defaults to true), which TGI's OpenAI routes
  // do not accept: nothing of it may be sent. Any model name becomes "tgi".
  RequestSpec s = chat("meta-llama/Llama-3.1-8B-Instruct", "What is deep learning?", 20);
  s.temperature = 0.0;
  s.seed = 5;
  const auto engine = make_engine(options(EngineKind::kTgi, RouteFamily::kOpenAi));
  const net::HttpRequest r = engine->build_request(s);
  EXPECT_EQ(r.target, "/v1/chat/completions");
  expect_body_matches(r.body, fixture("tgi/chat_request.json"), {});
}

TEST(RequestFixtures, TgiGenerate) {
  RequestSpec s = completion("ignored", "What is deep learning?", 20);
  s.stream = false;
  s.temperature = 0.0;
  s.seed = 5;
  const auto engine = make_engine(options(EngineKind::kTgi, RouteFamily::kNative));
  const net::HttpRequest r = engine->build_request(s);
  EXPECT_EQ(r.target, "/generate");
  // stop sequences are a workload choice RequestSpec does not carry; decoder_input_details
  // and return_full_text are false by default in TGI.
  expect_body_matches(
      r.body, fixture("tgi/generate_request.json"),
      {{"/parameters/stop/0", "/parameters/decoder_input_details", "/parameters/return_full_text"},
       {}});
  // The same body goes to /generate_stream (the fixture serves both routes).
  s.stream = true;
  const net::HttpRequest streamed = engine->build_request(s);
  EXPECT_EQ(streamed.target, "/generate_stream");
  EXPECT_EQ(json::parse(streamed.body), json::parse(r.body));
}

// ---- llama.cpp ----

TEST(RequestFixtures, LlamaCppChatDisablesThePromptCache) {
  RequestSpec s = chat("any-name-is-ignored", "Write a limerick about exceptions.", 64);
  s.temperature = 0.0;
  s.seed = 42;
  const auto engine = make_engine(options(EngineKind::kLlamaCpp, RouteFamily::kOpenAi));
  const net::HttpRequest r = engine->build_request(s);
  EXPECT_EQ(r.target, "/v1/chat/completions");
  expect_body_matches(r.body, fixture("llamacpp/chat_request.json"), {});
}

TEST(RequestFixtures, LlamaCppCompletion) {
  RequestSpec s = completion("ignored", "Building a website can be done in 10 simple steps:", 128);
  s.stream = false;
  s.temperature = 0.0;
  s.seed = 42;
  const auto engine = make_engine(options(EngineKind::kLlamaCpp, RouteFamily::kNative));
  const net::HttpRequest r = engine->build_request(s);
  EXPECT_EQ(r.target, "/completion");
  expect_body_matches(r.body, fixture("llamacpp/completion_request.json"), {});
}

// ---- Ollama ----

TEST(RequestFixtures, OllamaGenerate) {
  RequestSpec s = completion("llama3.2:3b", "Write a haiku about benchmarks.", 64);
  s.stream = false;
  s.temperature = 0.0;
  s.seed = 42;
  EngineOptions o = options(EngineKind::kOllama, RouteFamily::kNative);
  o.keep_alive = "30m";
  const net::HttpRequest r = make_engine(o)->build_request(s);
  EXPECT_EQ(r.target, "/api/generate");
  // Stop sequences are a workload choice RequestSpec does not carry.
  expect_body_matches(r.body, fixture("ollama/generate_request.json"), {{"/options/stop/0"}, {}});
}

TEST(RequestFixtures, OllamaChatSendsANumericKeepAliveAsANumber) {
  // keep_alive -1 (keep forever) is a JSON number: Ollama parses a string with Go's
  // time.ParseDuration, which rejects "-1" and "3600" (no unit).
  RequestSpec s = chat("llama3.2:3b", "Name three prime numbers.", 32);
  s.temperature = 0.0;
  s.seed = 7;
  EngineOptions o = options(EngineKind::kOllama, RouteFamily::kNative);
  o.keep_alive = "-1";
  const net::HttpRequest r = make_engine(o)->build_request(s);
  EXPECT_EQ(r.target, "/api/chat");
  expect_body_matches(r.body, fixture("ollama/chat_request.json"), {});
}

TEST(RequestFixtures, OllamaKeepAliveNumbersAndDurations) {
  const RequestSpec s = completion("m", "p", 1);
  for (const auto& [given, sent] : std::vector<std::pair<std::string, json>>{{"3600", 3600},
                                                                             {"-1", -1},
                                                                             {"0", 0},
                                                                             {"1.5", 1.5},
                                                                             {"30m", "30m"},
                                                                             {"-1m", "-1m"},
                                                                             {"1e3", "1e3"},
                                                                             {"-", "-"},
                                                                             {"1.", "1."},
                                                                             {".5", ".5"},
                                                                             {"01", "01"}}) {
    SCOPED_TRACE("--keep-alive '" + given + "'");
    EngineOptions o = options(EngineKind::kOllama, RouteFamily::kNative);
    o.keep_alive = given;
    const json body = json::parse(make_engine(o)->build_request(s).body);
    EXPECT_EQ(body["keep_alive"], sent);
  }
}

// ---- SGLang ----

TEST(RequestFixtures, SglangChatWithoutExactLength) {
  RequestSpec s = chat("meta-llama/Llama-3.1-8B-Instruct", "List three colors.", 32);
  s.temperature = 0.0;
  s.ignore_eos = false;
  const auto engine = make_engine(options(EngineKind::kSglang, RouteFamily::kOpenAi));
  const net::HttpRequest r = engine->build_request(s);
  EXPECT_EQ(r.target, "/v1/chat/completions");
  // ignore_eos false is SGLang's default: the adapter sends the field only to turn it on.
  expect_body_matches(r.body, fixture("sglang/chat_request.json"),
                      {{"/ignore_eos"}, {{"/stream_options/continuous_usage_stats", true}}});
  // Asked for exact lengths, SGLang gets ignore_eos and min_tokens.
  s.ignore_eos = true;
  const json exact = json::parse(engine->build_request(s).body);
  EXPECT_EQ(exact["ignore_eos"], true);
  EXPECT_EQ(exact["min_tokens"], 32);
}

TEST(RequestFixtures, SglangGenerate) {
  RequestSpec s = completion("ignored", "The capital of France is", 16);
  s.stream = false;
  s.temperature = 0.0;
  const auto engine = make_engine(options(EngineKind::kSglang, RouteFamily::kNative));
  const net::HttpRequest r = engine->build_request(s);
  EXPECT_EQ(r.target, "/generate");
  // An empty stop list flattens to a null leaf; no stop list is SGLang's default.
  expect_body_matches(r.body, fixture("sglang/generate_request.json"),
                      {{"/sampling_params/stop"}, {}});
}

}  // namespace
}  // namespace llmbench::engines
