// The simulator's responses against the protocol fixtures (tests/data/fixtures, copies of
// shared/protocols/fixtures): the in-process SimServer of each dialect is sent the fixture's
// request body over a real socket, and its answer must have the fixture's shape — the same
// framing (SSE "data: " or TGI's "data:", NDJSON lines, a closing [DONE] exactly when the
// fixture has one) and the same JSON fields with the same types at every level (array
// elements merged). The simulator may leave out a fixture field only where the case lists
// it, and may send no field the fixture lacks. Like the simulator itself, this test uses no
// engines/ code: it is a check of the second reading of each protocol against the third.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../tests/support/fixtures.h"
#include "sim/sim_server.h"
#include "sim/test_support.h"

namespace llmbench::sim {
namespace {

using test_support::Server;

using nlohmann::json;

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;                            // de-chunked
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string dechunk(const std::string& raw) {
  std::string out;
  std::size_t at = 0;
  for (;;) {
    const std::size_t eol = raw.find("\r\n", at);
    if (eol == std::string::npos) throw std::runtime_error("bad chunk size line");
    const std::size_t size = std::stoul(raw.substr(at, eol - at), nullptr, 16);
    if (size == 0) return out;
    out += raw.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
}

// One request on a fresh connection ("Connection: close"), the answer read to EOF.
HttpAnswer exchange(std::uint16_t port, const std::string& method, const std::string& path,
                    const std::string& body = {}) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to the simulator");
  }
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::write(fd, request.data() + sent, request.size() - sent);
    if (n <= 0) throw std::runtime_error("write failed");
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buffer[16384];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
    raw.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  HttpAnswer answer;
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) throw std::runtime_error("no response head: " + raw);
  const std::string head = raw.substr(0, head_end);
  answer.status = std::stoi(head.substr(head.find(' ') + 1, 3));
  for (std::size_t at = head.find("\r\n"); at != std::string::npos;) {
    const std::size_t next = head.find("\r\n", at + 2);
    const std::string line = head.substr(at + 2, next == std::string::npos ? next : next - at - 2);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      answer.headers[lower(line.substr(0, colon))] = value;
    }
    at = next;
  }
  const std::string rest = raw.substr(head_end + 4);
  answer.body = lower(answer.headers["transfer-encoding"]) == "chunked" ? dechunk(rest) : rest;
  return answer;
}

// ---- Shapes ----

// JSON pointer pattern (array elements as "*") → the JSON types seen there.
using Shape = std::map<std::string, std::set<std::string>>;

std::string type_name(const json& v) {
  if (v.is_number()) return "number";
  return v.type_name();
}

void add_shape(const json& v, const std::string& path, Shape& shape) {
  shape[path].insert(type_name(v));
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) add_shape(value, path + "/" + key, shape);
  } else if (v.is_array()) {
    for (const json& element : v) add_shape(element, path + "/*", shape);
  }
}

// The simulator's shape against the fixture's: no field or type the fixture lacks; every
// fixture field present unless listed in `omitted` (a pointer pattern and all below it).
// `extra`: fields the simulator sends that the fixture lacks, each listed with its reason.
void expect_same_shape(const Shape& sim, const Shape& fixture, const std::set<std::string>& omitted,
                       const std::set<std::string>& extra, const std::string& what) {
  SCOPED_TRACE(what);
  for (const auto& [path, types] : sim) {
    const auto it = fixture.find(path);
    if (it == fixture.end()) {
      if (extra.count(path)) continue;
      ADD_FAILURE() << "simulator sends " << path << ", which the fixture does not have";
      continue;
    }
    for (const std::string& t : types) {
      EXPECT_TRUE(it->second.count(t)) << path << " is " << t << " in the simulator's answer";
    }
  }
  auto is_omitted = [&omitted](const std::string& path) {
    for (const std::string& o : omitted) {
      if (path == o || path.rfind(o + "/", 0) == 0) return true;
    }
    return false;
  };
  for (const auto& [path, types] : fixture) {
    if (is_omitted(path)) {
      EXPECT_FALSE(sim.count(path)) << path << " is listed as omitted but the simulator sends it";
    } else {
      EXPECT_TRUE(sim.count(path)) << "simulator omits " << path;
    }
  }
}

enum class Framing { kSse, kSseNoSpace, kNdjson, kJson };

struct Frames {
  std::vector<json> objects;
  bool done = false;  // ended with data: [DONE]
};

// Cuts a body into its JSON frames; fails the test on any line the framing does not allow.
Frames frames_of(const std::string& body, Framing framing, const std::string& what) {
  SCOPED_TRACE(what);
  Frames frames;
  if (framing == Framing::kJson) {
    frames.objects.push_back(json::parse(body));
    return frames;
  }
  std::size_t at = 0;
  while (at < body.size()) {
    std::size_t eol = body.find('\n', at);
    if (eol == std::string::npos) eol = body.size();
    std::string line = body.substr(at, eol - at);
    at = eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (framing == Framing::kNdjson) {
      frames.objects.push_back(json::parse(line));
      continue;
    }
    if (line.front() == ':') continue;  // SSE comment (keep-alive)
    const std::string prefix = framing == Framing::kSse ? "data: " : "data:";
    if (line.rfind(prefix, 0) != 0 || (framing == Framing::kSseNoSpace && line[5] == ' ')) {
      ADD_FAILURE() << "not a '" << prefix << "' line: " << line;
      continue;
    }
    const std::string data = line.substr(prefix.size());
    EXPECT_FALSE(frames.done) << "frame after [DONE]: " << line;
    if (data == "[DONE]") {
      frames.done = true;
    } else {
      frames.objects.push_back(json::parse(data));
    }
  }
  return frames;
}

Shape shape_of(const Frames& frames) {
  Shape shape;
  for (const json& f : frames.objects) add_shape(f, "", shape);
  return shape;
}

struct Case {
  std::string name;
  Dialect dialect;
  std::string model;   // the simulator's served model
  std::string method;  // GET or POST
  std::string path;
  std::string request;              // fixture of the request body, or a literal body ("{...}")
  std::function<void(json&)> edit;  // change to the fixture's request, if any
  int status;
  std::string response;  // fixture of the response body
  Framing framing;
  std::set<std::string> omitted;     // fixture fields the simulator leaves out
  std::string content_type;          // expected Content-Type prefix
  std::set<std::string> extra = {};  // fields the simulator adds
};

std::string request_body(const Case& c) {
  if (c.request.empty()) return {};
  json body = c.request.front() == '{'
                  ? json::parse(c.request)
                  : json::parse(llmbench::testing::read_test_file("fixtures/" + c.request));
  if (c.edit) c.edit(body);
  return body.dump();
}

class SimFixture : public ::testing::TestWithParam<Case> {};

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }
std::string case_name(const ::testing::TestParamInfo<Case>& param) { return param.param.name; }

TEST_P(SimFixture, AnswerHasTheFixturesShape) {
  const Case& c = GetParam();
  SimOptions options;
  options.dialect = c.dialect;
  options.model = c.model;
  options.ttft = std::chrono::milliseconds(1);
  options.itl = std::chrono::milliseconds(1);
  if (c.status == 429) options.fault = Fault::kRateLimit;
  const Server server(options);
  const HttpAnswer answer = exchange(server.port(), c.method, c.path, request_body(c));
  ASSERT_EQ(answer.status, c.status) << answer.body;
  EXPECT_EQ(answer.headers.at("content-type").rfind(c.content_type, 0), 0u)
      << answer.headers.at("content-type");
  const std::string expected_text = llmbench::testing::read_test_file("fixtures/" + c.response);
  const Frames expected = frames_of(expected_text, c.framing, "fixture " + c.response);
  const Frames sim = frames_of(answer.body, c.framing, "simulator answer");
  ASSERT_FALSE(sim.objects.empty()) << answer.body;
  EXPECT_EQ(sim.done, expected.done) << "[DONE] at the end of the fixture: " << expected.done;
  expect_same_shape(shape_of(sim), shape_of(expected), c.omitted, c.extra, c.response);
  if (c.framing != Framing::kJson) {
    // The terminal frame on its own: what the fixture's last object holds, the simulator's
    // last object holds (usage, timings, details, done: true).
    expect_same_shape(shape_of(Frames{{sim.objects.back()}, false}),
                      shape_of(Frames{{expected.objects.back()}, false}), c.omitted, c.extra,
                      c.response + " (last frame)");
  }
}

void no_stream(json& j) {
  j["stream"] = false;
  j.erase("stream_options");
}
void stream(json& j) { j["stream"] = true; }
// Ollama's native chat request, as its OpenAI layer takes it.
void openai_chat(json& j) {
  j.erase("options");
  j.erase("keep_alive");
  j["max_tokens"] = 32;
  j["stream_options"] = {{"include_usage", true}};
}

const std::string kLlama = "meta-llama/Llama-3.1-8B-Instruct";
// llama.cpp's final native object: the echo of the request and settings, and the derived
// rates (the adapter reads the ms and counts they come from).
const std::set<std::string> kLlamaCppFinal = {"/generation_settings",
                                              "/has_new_line",
                                              "/prompt",
                                              "/stopping_word",
                                              "/tokens_cached",
                                              "/truncated",
                                              "/timings/predicted_per_second",
                                              "/timings/prompt_per_second"};

// Omissions are fields no adapter or detector reads (decoration, per-token detail lists, echo
// of the settings, optional per-request metrics that need a server flag); each is listed.
// clang-format off
INSTANTIATE_TEST_SUITE_P(
    Dialects, SimFixture,
    ::testing::Values(
        // vLLM
        Case{"vllm_chat_stream", Dialect::kVllm, kLlama, "POST", "/v1/chat/completions",
             "vllm/chat_request.json", nullptr, 200, "vllm/chat_stream.sse", Framing::kSse,
             {"/choices/*/stop_reason"}, "text/event-stream"},
        Case{"vllm_completions_stream", Dialect::kVllm, kLlama, "POST", "/v1/completions",
             "vllm/completions_request.json", nullptr, 200, "vllm/completions_stream.sse",
             Framing::kSse, {"/choices/*/stop_reason"}, "text/event-stream"},
        // "metrics" needs vLLM's per-request metrics flag; "reasoning" a reasoning parser.
        Case{"vllm_chat_whole", Dialect::kVllm, kLlama, "POST", "/v1/chat/completions",
             "vllm/chat_request.json", no_stream, 200, "vllm/chat_response.json", Framing::kJson,
             {"/choices/*/stop_reason", "/choices/*/message/reasoning", "/metrics",
              "/usage/prompt_tokens_details"}, "application/json"},
        Case{"vllm_models", Dialect::kVllm, kLlama, "GET", "/v1/models", "", nullptr, 200,
             "vllm/models_response.json", Framing::kJson,
             {"/data/*/parent", "/data/*/permission", "/data/*/root"}, "application/json"},
        Case{"vllm_tokenize", Dialect::kVllm, kLlama, "POST", "/tokenize",
             "vllm/tokenize_request.json", nullptr, 200, "vllm/tokenize_response.json",
             Framing::kJson, {"/token_strs"}, "application/json"},
        Case{"vllm_unknown_model", Dialect::kVllm, "other-model", "POST", "/v1/chat/completions",
             "vllm/chat_request.json", nullptr, 404, "vllm/error_400_new.json", Framing::kJson,
             {}, "application/json"},
        // Ollama
        Case{"ollama_generate_whole", Dialect::kOllama, "llama3.2:3b", "POST", "/api/generate",
             "ollama/generate_request.json", nullptr, 200, "ollama/generate_response.json",
             Framing::kJson, {"/context"}, "application/json"},
        Case{"ollama_generate_stream", Dialect::kOllama, "llama3.2:3b", "POST", "/api/generate",
             "ollama/generate_request.json", stream, 200, "ollama/generate_stream.ndjson",
             Framing::kNdjson, {"/context"}, "application/x-ndjson"},
        // The simulator's OpenAI chunks carry "logprobs": null, which Ollama's layer leaves out.
        Case{"ollama_openai_chat_stream", Dialect::kOllama, "llama3.2:3b", "POST",
             "/v1/chat/completions", "ollama/chat_request.json", openai_chat, 200,
             "ollama/openai_chat_stream.sse", Framing::kSse, {"/system_fingerprint"}, "text/event-stream",
             {"/choices/*/logprobs"}},
        Case{"ollama_unknown_model", Dialect::kOllama, "other-model", "POST", "/api/generate",
             "ollama/generate_request.json", nullptr, 404, "ollama/error_404.json",
             Framing::kJson, {}, "application/json"},
        // TGI ("data:" without a space on every route)
        Case{"tgi_generate_whole", Dialect::kTgi, "tgi-model", "POST", "/generate",
             "tgi/generate_request.json", nullptr, 200, "tgi/generate_response.json",
             Framing::kJson, {"/details/tokens"}, "application/json"},
        Case{"tgi_generate_stream", Dialect::kTgi, "tgi-model", "POST", "/generate_stream",
             "tgi/generate_request.json", nullptr, 200, "tgi/generate_stream.sse",
             Framing::kSseNoSpace, {}, "text/event-stream"},
        Case{"tgi_chat_stream", Dialect::kTgi, "tgi-model", "POST", "/v1/chat/completions",
             "tgi/chat_request.json", nullptr, 200, "tgi/chat_stream.sse", Framing::kSseNoSpace,
             {"/system_fingerprint"}, "text/event-stream"},
        Case{"tgi_invalid", Dialect::kTgi, "tgi-model", "POST", "/generate", R"({"parameters":{}})",
             nullptr, 422, "tgi/error_422.json", Framing::kJson, {}, "application/json"},
        Case{"tgi_rate_limited", Dialect::kTgi, "tgi-model", "POST", "/generate",
             "tgi/generate_request.json", nullptr, 429, "tgi/error_429.json", Framing::kJson, {},
             "application/json"},
        // llama.cpp
        Case{"llamacpp_completion_whole", Dialect::kLlamaCpp, "model.gguf", "POST", "/completion",
             "llamacpp/completion_request.json", nullptr, 200, "llamacpp/completion_response.json",
             Framing::kJson, kLlamaCppFinal, "application/json"},
        Case{"llamacpp_completion_stream", Dialect::kLlamaCpp, "model.gguf", "POST",
             "/completion", "llamacpp/completion_request.json", stream, 200,
             "llamacpp/completion_stream.sse", Framing::kSse, kLlamaCppFinal, "text/event-stream"},
        Case{"llamacpp_chat_stream", Dialect::kLlamaCpp, "model.gguf", "POST",
             "/v1/chat/completions", "llamacpp/chat_request.json", nullptr, 200,
             "llamacpp/chat_stream.sse", Framing::kSse,
             {"/timings/predicted_per_second", "/timings/prompt_per_second", "/system_fingerprint"},
             "text/event-stream",
             {"/choices/*/logprobs"}},
        Case{"llamacpp_chat_whole", Dialect::kLlamaCpp, "model.gguf", "POST",
             "/v1/chat/completions", "llamacpp/chat_request.json", no_stream, 200,
             "llamacpp/chat_response.json", Framing::kJson,
             {"/timings/predicted_per_second", "/timings/prompt_per_second", "/system_fingerprint"},
             "application/json",
             {"/choices/*/logprobs"}},
        Case{"llamacpp_props", Dialect::kLlamaCpp, "model.gguf", "GET", "/props", "", nullptr,
             200, "llamacpp/props_response.json", Framing::kJson,
             {"/chat_template", "/default_generation_settings/id",
              "/default_generation_settings/id_task", "/default_generation_settings/is_processing",
              "/default_generation_settings/params/ignore_eos",
              "/default_generation_settings/params/n_predict",
              "/default_generation_settings/params/seed",
              "/default_generation_settings/params/temperature",
              "/default_generation_settings/params/top_k",
              "/default_generation_settings/params/top_p",
              "/default_generation_settings/speculative",
              "/is_sleeping", "/modalities"}, "application/json"},
        // SGLang
        Case{"sglang_generate_whole", Dialect::kSglang, kLlama, "POST", "/generate",
             "sglang/generate_request.json", nullptr, 200, "sglang/generate_response.json",
             Framing::kJson, {"/output_ids"}, "application/json"},
        Case{"sglang_generate_stream", Dialect::kSglang, kLlama, "POST", "/generate",
             "sglang/generate_request.json", stream, 200, "sglang/generate_stream.sse",
             Framing::kSse, {"/output_ids"}, "text/event-stream"},
        Case{"sglang_chat_stream", Dialect::kSglang, kLlama, "POST", "/v1/chat/completions",
             "sglang/chat_request.json", nullptr, 200, "sglang/chat_stream.sse", Framing::kSse,
             {"/choices/*/matched_stop", "/usage/prompt_tokens_details"}, "text/event-stream"},
        Case{"sglang_model_info", Dialect::kSglang, kLlama, "GET", "/get_model_info", "",
             nullptr, 200, "sglang/model_info_response.json", Framing::kJson,
             {"/preferred_sampling_params", "/weight_version"}, "application/json"}),
    case_name);
// clang-format on

}  // namespace
}  // namespace llmbench::sim
