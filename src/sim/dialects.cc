#include "sim/dialects.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "sim/sim_server.h"

namespace llmbench::sim {

namespace {

using Json = nlohmann::json;

struct NamedDialect {
  std::string_view name;
  Dialect dialect;
};
constexpr NamedDialect kDialects[] = {
    {"openai", Dialect::kOpenAi}, {"vllm", Dialect::kVllm},         {"ollama", Dialect::kOllama},
    {"tgi", Dialect::kTgi},       {"llamacpp", Dialect::kLlamaCpp}, {"sglang", Dialect::kSglang},
};

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::int64_t ns(double seconds) { return std::llround(seconds * 1e9); }
double ms(double seconds) { return seconds * 1e3; }

bool is_openai(Route r) { return r == Route::kOpenAiCompletions || r == Route::kOpenAiChat; }

}  // namespace

Expected<Dialect> parse_dialect(std::string_view name) {
  for (const auto& d : kDialects) {
    if (d.name == name) return d.dialect;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown dialect '" + std::string(name) +
                        "'; expected openai, vllm, ollama, tgi, llamacpp or sglang");
}

std::string_view to_string(Dialect dialect) {
  for (const auto& d : kDialects) {
    if (d.dialect == dialect) return d.name;
  }
  return "openai";
}

std::string chunked(std::string_view payload) {
  return fmt::format("{:x}\r\n{}\r\n", payload.size(), payload);
}

std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::string_view extra_headers) {
  return fmt::format(
      "HTTP/1.1 {} {}\r\nServer: llmbench-sim\r\nContent-Type: {}\r\n{}{}Content-Length: "
      "{}\r\n\r\n{}",
      status, reason_phrase(status), content_type, extra_headers,
      keep_alive ? "" : "Connection: close\r\n", body.size(), body);
}

std::optional<Route> generation_route(Dialect dialect, std::string_view path) {
  if (path == "/v1/completions") return Route::kOpenAiCompletions;
  if (path == "/v1/chat/completions") return Route::kOpenAiChat;
  switch (dialect) {
    case Dialect::kOllama:
      if (path == "/api/generate") return Route::kOllamaGenerate;
      if (path == "/api/chat") return Route::kOllamaChat;
      break;
    case Dialect::kTgi:
      if (path == "/generate") return Route::kTgiGenerate;
      if (path == "/generate_stream") return Route::kTgiGenerateStream;
      break;
    case Dialect::kLlamaCpp:
      if (path == "/completion" || path == "/completions") return Route::kLlamaCppCompletion;
      break;
    case Dialect::kSglang:
      if (path == "/generate") return Route::kSglangGenerate;
      break;
    default:
      break;
  }
  return std::nullopt;
}

Expected<Generation> parse_generation(Route route, std::string_view body) {
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return make_error(ErrorCode::kInvalidArgument, "body is not a JSON object");
  Generation g;
  g.route = route;
  g.model = j.value("model", "");
  auto words_of = [](const Json& text) {
    return text.is_string() ? sim_token_count(text.get<std::string>()) : std::int64_t{0};
  };
  auto messages_tokens = [&](const Json& messages) -> Expected<std::int64_t> {
    if (!messages.is_array())
      return make_error(ErrorCode::kInvalidArgument, "'messages' must be an array");
    // Like a chat template: one BOS, then each message wrapped in 3 tokens of its own
    // (role markers), so a chat prompt counts more than its text does.
    std::int64_t n = 1;
    for (const Json& m : messages) {
      // words_of counts a BOS of its own: not per message.
      if (m.is_object() && m.contains("content")) n += 3 + words_of(m["content"]) - 1;
    }
    return n;
  };
  auto int_field = [](std::initializer_list<const char*> keys, const Json& in) -> std::int64_t {
    for (const char* key : keys) {
      if (in.is_object() && in.contains(key) && in[key].is_number_integer())
        return in[key].get<std::int64_t>();
    }
    return 0;
  };
  switch (route) {
    case Route::kOpenAiCompletions:
    case Route::kOpenAiChat: {
      g.stream = j.value("stream", false);
      if (j.contains("stream_options") && j["stream_options"].is_object()) {
        g.include_usage = j["stream_options"].value("include_usage", true);
        g.continuous_usage_stats = j["stream_options"].value("continuous_usage_stats", false);
      }
      if (route == Route::kOpenAiChat) {
        auto n = messages_tokens(j.contains("messages") ? j["messages"] : Json());
        if (!n) return tl::unexpected(n.error());
        g.prompt_tokens = *n;
      } else {
        if (!j.contains("prompt"))
          return make_error(ErrorCode::kInvalidArgument, "'prompt' is required");
        g.prompt_tokens = words_of(j["prompt"]);
      }
      g.max_tokens = int_field({"max_completion_tokens", "max_tokens"}, j);
      break;
    }
    case Route::kOllamaGenerate:
    case Route::kOllamaChat: {
      g.stream = j.value("stream", true);  // Ollama streams unless told not to
      if (route == Route::kOllamaChat) {
        auto n = messages_tokens(j.contains("messages") ? j["messages"] : Json());
        if (!n) return tl::unexpected(n.error());
        g.prompt_tokens = *n;
      } else {
        g.prompt_tokens = words_of(j.value("prompt", Json("")));
      }
      if (j.contains("options")) g.max_tokens = int_field({"num_predict"}, j["options"]);
      break;
    }
    case Route::kTgiGenerate:
    case Route::kTgiGenerateStream: {
      if (!j.contains("inputs") || !j["inputs"].is_string()) {
        return make_error(ErrorCode::kInvalidArgument, "missing field `inputs`");
      }
      g.stream = route == Route::kTgiGenerateStream;
      g.prompt_tokens = words_of(j["inputs"]);
      if (j.contains("parameters")) {
        const Json& p = j["parameters"];
        g.max_tokens = int_field({"max_new_tokens"}, p);
        if (p.is_object() && p.contains("temperature") && p["temperature"].is_number() &&
            p["temperature"].get<double>() <= 0) {
          return make_error(ErrorCode::kInvalidArgument, "`temperature` must be strictly positive");
        }
      }
      break;
    }
    case Route::kLlamaCppCompletion:
      g.stream = j.value("stream", false);
      g.prompt_tokens = words_of(j.value("prompt", Json("")));
      g.max_tokens = int_field({"n_predict", "max_tokens"}, j);
      break;
    case Route::kSglangGenerate:
      g.stream = j.value("stream", false);
      g.prompt_tokens = words_of(j.value("text", Json("")));
      if (j.contains("sampling_params"))
        g.max_tokens = int_field({"max_new_tokens"}, j["sampling_params"]);
      break;
  }
  if (g.max_tokens < 0) g.max_tokens = 0;
  return g;
}

std::optional<std::string> Format::tokenize(std::string_view path, std::string_view body,
                                            bool keep_alive) const {
  const bool sglang_path =
      dialect_ == Dialect::kSglang && (path == "/tokenize" || path == "/v1/tokenize");
  if (path != "/tokenize" && !sglang_path) return std::nullopt;
  if (dialect_ == Dialect::kOllama || dialect_ == Dialect::kOpenAi) return std::nullopt;
  const Json j = Json::parse(body, nullptr, false);
  const char* field = dialect_ == Dialect::kTgi        ? "inputs"
                      : dialect_ == Dialect::kLlamaCpp ? "content"
                                                       : "prompt";
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) {
    return error_response(nullptr, dialect_ == Dialect::kTgi ? 422 : 400,
                          fmt::format("missing field `{}`", field), "invalid_request_error",
                          keep_alive);
  }
  const std::int64_t n = sim_token_count(j[field].get<std::string>());
  Json ids = Json::array();
  for (std::int64_t i = 0; i < n; ++i) ids.push_back(1000 + i);
  Json answer;
  switch (dialect_) {
    case Dialect::kTgi:
      answer = Json::array();
      for (std::int64_t i = 0; i < n; ++i)
        answer.push_back({{"id", 1000 + i}, {"text", "w"}, {"start", 0}, {"stop", 0}});
      break;
    case Dialect::kLlamaCpp:
      answer = {{"tokens", ids}};
      break;
    default:
      answer = {{"count", n}, {"max_model_len", 32768}, {"tokens", ids}};
  }
  return http_response(200, "application/json", answer.dump(), keep_alive);
}

bool Format::accepts_model(const Generation& g) const {
  // llama.cpp (single model), SGLang and TGI's native routes ignore the name; TGI's OpenAI
  // routes want "tgi" or the model id.
  if (g.model.empty()) return true;
  switch (dialect_) {
    case Dialect::kLlamaCpp:
    case Dialect::kSglang:
      return true;
    case Dialect::kTgi:
      return !is_openai(g.route) || g.model == "tgi" || g.model == model_;
    default:
      return g.model == model_;
  }
}

std::string Format::stream_head(const Generation& g, bool keep_alive) {
  const bool ndjson = g.route == Route::kOllamaGenerate || g.route == Route::kOllamaChat;
  return fmt::format(
      "HTTP/1.1 200 OK\r\nServer: llmbench-sim\r\nContent-Type: {}\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\n{}\r\n",
      ndjson ? "application/x-ndjson" : "text/event-stream",
      keep_alive ? "" : "Connection: close\r\n");
}

namespace {

// SSE framing: TGI (axum) writes "data:" without a space, everyone else "data: ".
std::string sse(Dialect d, const std::string& payload) {
  return chunked((d == Dialect::kTgi ? "data:" : "data: ") + payload + "\n\n");
}

Json openai_chunk(const Generation& g, std::uint64_t id, const std::string& model) {
  const bool chat = g.route == Route::kOpenAiChat;
  return {{"id", fmt::format("{}-{}", chat ? "chatcmpl" : "cmpl", id)},
          {"object", chat ? "chat.completion.chunk" : "text_completion"},
          {"created", 1700000000},
          {"model", g.model.empty() ? model : g.model}};
}

Json usage(const Generation& g, std::int64_t n) {
  return {{"prompt_tokens", g.prompt_tokens},
          {"completion_tokens", n},
          {"total_tokens", g.prompt_tokens + n}};
}

Json llamacpp_timings(const Generation& g, const Produced& p) {
  return {{"cache_n", 0},
          {"prompt_n", g.prompt_tokens},
          {"prompt_ms", ms(p.prefill)},
          {"prompt_per_token_ms",
           g.prompt_tokens > 0 ? ms(p.prefill) / static_cast<double>(g.prompt_tokens) : 0.0},
          {"predicted_n", p.output_tokens},
          {"predicted_ms", ms(p.decode)},
          {"predicted_per_token_ms",
           p.output_tokens > 1 ? ms(p.decode) / static_cast<double>(p.output_tokens - 1) : 0.0}};
}

Json ollama_final(const Generation& g, const std::string& model, const Produced& p,
                  std::string_view text) {
  Json j = {{"model", g.model.empty() ? model : g.model}, {"created_at", "2026-01-01T00:00:00Z"}};
  if (g.route == Route::kOllamaChat)
    j["message"] = {{"role", "assistant"}, {"content", text}};
  else
    j["response"] = text;
  j["done"] = true;
  j["done_reason"] = "length";
  j["total_duration"] = ns(p.total);
  j["load_duration"] = ns(p.load);
  j["prompt_eval_count"] = g.prompt_tokens;
  j["prompt_eval_duration"] = ns(p.prefill);
  j["eval_count"] = p.output_tokens;
  j["eval_duration"] = ns(p.decode);
  return j;
}

}  // namespace

// Whether every chunk carries the cumulative usage so far (vLLM's should_include_usage:
// continuous stats need include_usage; SGLang's chat and completions honour the flag alone).
bool Format::continuous_usage(const Generation& g) const {
  if (!g.stream || !g.continuous_usage_stats) return false;
  if (dialect_ == Dialect::kVllm) return g.include_usage;
  return dialect_ == Dialect::kSglang;
}

std::string Format::preamble(const Generation& g, std::uint64_t id) const {
  if (g.route == Route::kOpenAiChat &&
      (dialect_ == Dialect::kOpenAi || dialect_ == Dialect::kVllm || dialect_ == Dialect::kSglang ||
       dialect_ == Dialect::kLlamaCpp)) {
    // The role chunk goes out at once, before any token, as some servers do: a client that
    // took TTFT at the first frame would be visibly wrong against this simulator.
    Json chunk = openai_chunk(g, id, model_);
    Json delta = {{"role", "assistant"},
                  {"content", dialect_ == Dialect::kLlamaCpp ? Json(nullptr) : Json("")}};
    chunk["choices"] = Json::array(
        {{{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", nullptr}}});
    if (continuous_usage(g)) chunk["usage"] = usage(g, 0);
    return sse(dialect_, chunk.dump());
  }
  if (g.route == Route::kTgiGenerateStream) return chunked(":\n\n");  // a keep-alive comment
  return {};
}

std::string Format::token(const Generation& g, std::uint64_t id, std::int64_t i, std::int64_t n,
                          std::string_view text, std::string_view text_so_far,
                          const Produced& p) const {
  const bool last = i + 1 == n;
  switch (g.route) {
    case Route::kOpenAiCompletions:
    case Route::kOpenAiChat: {
      Json chunk = openai_chunk(g, id, model_);
      Json choice = {{"index", 0}, {"logprobs", nullptr}};
      // llama.cpp and Ollama chat send the finish reason in a separate, empty chunk.
      const bool separate_finish = g.route == Route::kOpenAiChat &&
                                   (dialect_ == Dialect::kLlamaCpp || dialect_ == Dialect::kOllama);
      Json finish = last && !separate_finish ? Json("length") : Json(nullptr);
      if (dialect_ == Dialect::kTgi && g.route == Route::kOpenAiCompletions && !last) finish = "";
      choice["finish_reason"] = finish;
      if (g.route == Route::kOpenAiChat) {
        choice["delta"] = dialect_ == Dialect::kTgi || (dialect_ == Dialect::kOllama && i == 0)
                              ? Json{{"role", "assistant"}, {"content", text}}
                              : Json{{"content", text}};
      } else {
        choice["text"] = text;
      }
      chunk["choices"] = Json::array({choice});
      if (dialect_ == Dialect::kOllama && g.include_usage && g.route == Route::kOpenAiCompletions) {
        chunk["usage"] = {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}};
      }
      // Continuous usage: the tokens generated so far, this chunk's included (i is the
      // chunk's last token).
      if (continuous_usage(g)) chunk["usage"] = usage(g, i + 1);
      return sse(dialect_, chunk.dump());
    }
    case Route::kOllamaGenerate:
    case Route::kOllamaChat: {
      Json j = {{"model", g.model.empty() ? model_ : g.model},
                {"created_at", "2026-01-01T00:00:00Z"}};
      if (g.route == Route::kOllamaChat)
        j["message"] = {{"role", "assistant"}, {"content", text}};
      else
        j["response"] = text;
      j["done"] = false;
      return chunked(j.dump() + "\n");
    }
    case Route::kTgiGenerateStream: {
      Json j = {
          {"index", i + 1},
          {"token", {{"id", 1000 + i}, {"text", text}, {"logprob", -0.1}, {"special", false}}},
          {"generated_text",
           last ? Json(std::string(text_so_far) + std::string(text)) : Json(nullptr)},
          {"details", last ? Json{{"finish_reason", "length"},
                                  {"generated_tokens", n},
                                  {"seed", nullptr},
                                  {"input_length", g.prompt_tokens}}
                           : Json(nullptr)}};
      return sse(dialect_, j.dump());
    }
    case Route::kLlamaCppCompletion: {
      Json j = {{"index", 0},
                {"content", text},
                {"tokens", Json::array({1000 + i})},
                {"stop", false},
                {"id_slot", 0},
                {"tokens_predicted", i + 1},
                {"tokens_evaluated", g.prompt_tokens}};
      return sse(dialect_, j.dump());
    }
    case Route::kSglangGenerate: {
      Json meta = {{"id", fmt::format("sim-{}", id)},
                   {"finish_reason", nullptr},
                   {"prompt_tokens", g.prompt_tokens},
                   {"completion_tokens", i + 1},
                   {"cached_tokens", 0}};
      Json j = {{"text", std::string(text_so_far) + std::string(text)}, {"meta_info", meta}};
      if (last) {
        j["meta_info"]["finish_reason"] = {{"type", "length"}, {"length", n}};
        j["meta_info"]["e2e_latency"] = p.total;
      }
      return sse(dialect_, j.dump());
    }
    case Route::kTgiGenerate:
      break;
  }
  return {};
}

std::string Format::tail(const Generation& g, std::uint64_t id, const Produced& p) const {
  std::string out;
  switch (g.route) {
    case Route::kOpenAiCompletions:
    case Route::kOpenAiChat: {
      const bool chat = g.route == Route::kOpenAiChat;
      if (chat && (dialect_ == Dialect::kLlamaCpp || dialect_ == Dialect::kOllama)) {
        Json finish = openai_chunk(g, id, model_);
        finish["choices"] =
            Json::array({{{"index", 0}, {"delta", Json::object()}, {"finish_reason", "length"}}});
        if (dialect_ == Dialect::kLlamaCpp && !g.include_usage)
          finish["timings"] = llamacpp_timings(g, p);
        out += sse(dialect_, finish.dump());
      }
      // TGI and llama.cpp put usage on /v1/completions streams whether asked or not.
      const bool usage_always =
          !chat && (dialect_ == Dialect::kTgi || dialect_ == Dialect::kLlamaCpp);
      if (g.include_usage || usage_always) {
        Json u = openai_chunk(g, id, model_);
        u["choices"] = Json::array();
        u["usage"] = usage(g, p.output_tokens);
        if (dialect_ == Dialect::kLlamaCpp) u["timings"] = llamacpp_timings(g, p);
        out += sse(dialect_, u.dump());
      }
      out += sse(dialect_, "[DONE]");
      break;
    }
    case Route::kOllamaGenerate:
    case Route::kOllamaChat:
      out += chunked(ollama_final(g, model_, p, "").dump() + "\n");
      break;
    case Route::kTgiGenerateStream:
      break;  // the last token event is the end
    case Route::kLlamaCppCompletion: {
      Json j = {{"index", 0},
                {"content", ""},
                {"tokens", Json::array()},
                {"id_slot", 0},
                {"stop", true},
                {"model", model_},
                {"tokens_predicted", p.output_tokens},
                {"tokens_evaluated", g.prompt_tokens},
                {"stop_type", "limit"},
                {"timings", llamacpp_timings(g, p)}};
      out += sse(dialect_, j.dump());
      break;
    }
    case Route::kSglangGenerate:  // the last token event carried the finish reason
      out += sse(dialect_, "[DONE]");
      break;
    case Route::kTgiGenerate:
      break;
  }
  return out + "0\r\n\r\n";
}

std::string Format::error_event(const Generation& g, std::string_view message) const {
  std::string out;
  switch (g.route) {
    case Route::kOllamaGenerate:
    case Route::kOllamaChat:
      out = chunked(Json{{"error", message}}.dump() + "\n");
      break;
    case Route::kTgiGenerateStream:
      out = sse(dialect_, Json{{"error", message}, {"error_type", "generation"}}.dump());
      break;
    case Route::kLlamaCppCompletion:
      out = sse(
          dialect_,
          Json{{"error", {{"code", 500}, {"message", message}, {"type", "server_error"}}}}.dump());
      break;
    case Route::kSglangGenerate:
      out = sse(dialect_, Json{{"error", {{"message", message}}}}.dump()) + sse(dialect_, "[DONE]");
      break;
    default:
      out = sse(
          dialect_,
          Json{
              {"error",
               {{"message", message}, {"type", "server_error"}, {"param", nullptr}, {"code", 500}}}}
              .dump());
      if (dialect_ != Dialect::kLlamaCpp) out += sse(dialect_, "[DONE]");
  }
  return out + "0\r\n\r\n";
}

std::string Format::malformed(const Generation& g) const {
  if (g.route == Route::kOllamaGenerate || g.route == Route::kOllamaChat) {
    return chunked("{\"response\": tok\n");
  }
  return chunked(std::string(dialect_ == Dialect::kTgi ? "data:" : "data: ") +
                 "{\"choices\":[{\"text\": tok\n\n");
}

std::string Format::whole(const Generation& g, std::uint64_t id, std::string_view text,
                          const Produced& p, bool keep_alive) const {
  const std::int64_t n = p.output_tokens;
  switch (g.route) {
    case Route::kOpenAiCompletions:
    case Route::kOpenAiChat: {
      const bool chat = g.route == Route::kOpenAiChat;
      Json body = openai_chunk(g, id, model_);
      body["object"] = chat ? "chat.completion" : "text_completion";
      Json choice = {{"index", 0}, {"finish_reason", "length"}, {"logprobs", nullptr}};
      if (chat)
        choice["message"] = {{"role", "assistant"}, {"content", text}};
      else
        choice["text"] = text;
      body["choices"] = Json::array({choice});
      body["usage"] = usage(g, n);
      if (dialect_ == Dialect::kLlamaCpp) body["timings"] = llamacpp_timings(g, p);
      std::string headers;
      if (dialect_ == Dialect::kTgi) {
        headers = fmt::format("x-total-time: {}\r\nx-queue-time: {}\r\nx-inference-time: {}\r\n",
                              std::llround(ms(p.total)), std::llround(ms(p.queue)),
                              std::llround(ms(p.prefill + p.decode)));
      }
      return http_response(200, "application/json", body.dump(), keep_alive, headers);
    }
    case Route::kOllamaGenerate:
    case Route::kOllamaChat:
      return http_response(200, "application/json", ollama_final(g, model_, p, text).dump(),
                           keep_alive);
    case Route::kTgiGenerate:
    case Route::kTgiGenerateStream: {
      Json body = {{"generated_text", text},
                   {"details",
                    {{"finish_reason", "length"},
                     {"generated_tokens", n},
                     {"seed", nullptr},
                     {"prefill", Json::array()}}}};
      const double inference = p.prefill + p.decode;
      const std::string headers = fmt::format(
          "x-compute-type: sim\r\nx-compute-time: {:.6f}\r\nx-total-time: {}\r\nx-validation-time: "
          "0\r\n"
          "x-queue-time: {}\r\nx-inference-time: {}\r\nx-time-per-token: {}\r\nx-prompt-tokens: "
          "{}\r\n"
          "x-generated-tokens: {}\r\n",
          p.total, std::llround(ms(p.total)), std::llround(ms(p.queue)),
          std::llround(ms(inference)),
          n > 0 ? static_cast<long long>(ms(inference) / static_cast<double>(n)) : 0LL,
          g.prompt_tokens, n);
      return http_response(200, "application/json", body.dump(), keep_alive, headers);
    }
    case Route::kLlamaCppCompletion: {
      Json j = {{"index", 0},
                {"content", text},
                {"tokens", Json::array()},
                {"id_slot", 0},
                {"stop", true},
                {"model", model_},
                {"tokens_predicted", n},
                {"tokens_evaluated", g.prompt_tokens},
                {"stop_type", "limit"},
                {"timings", llamacpp_timings(g, p)}};
      return http_response(200, "application/json", j.dump(), keep_alive);
    }
    case Route::kSglangGenerate: {
      Json j = {{"text", text},
                {"meta_info",
                 {{"id", fmt::format("sim-{}", id)},
                  {"finish_reason", {{"type", "length"}, {"length", n}}},
                  {"prompt_tokens", g.prompt_tokens},
                  {"completion_tokens", n},
                  {"cached_tokens", 0},
                  {"e2e_latency", p.total}}}};
      return http_response(200, "application/json", j.dump(), keep_alive);
    }
  }
  return http_response(500, "text/plain", "unreachable", keep_alive);
}

std::string Format::error_response(const Generation* g, int status, std::string_view message,
                                   std::string_view type, bool keep_alive,
                                   std::string_view extra_headers) const {
  const bool openai_route = g == nullptr || is_openai(g->route);
  Json body;
  switch (dialect_) {
    case Dialect::kOllama:
      body = openai_route && g != nullptr ? Json{{"error",
                                                  {{"message", message},
                                                   {"type", type},
                                                   {"param", nullptr},
                                                   {"code", nullptr}}}}
                                          : Json{{"error", message}};
      break;
    case Dialect::kTgi:
      body = {{"error", message}, {"error_type", type}};
      break;
    case Dialect::kLlamaCpp:
      body = {{"error", {{"code", status}, {"message", message}, {"type", type}}}};
      break;
    case Dialect::kSglang:
      body = {{"object", "error"},
              {"message", message},
              {"type", type},
              {"param", nullptr},
              {"code", status}};
      break;
    default:
      body = {
          {"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", status}}}};
  }
  return http_response(status, "application/json", body.dump(), keep_alive, extra_headers);
}

std::optional<std::string> Format::info(std::string_view path, bool keep_alive) const {
  const auto json = [&](const Json& j) {
    return http_response(200, "application/json", j.dump(), keep_alive);
  };
  if (path == "/health") {
    return dialect_ == Dialect::kLlamaCpp ? json({{"status", "ok"}})
                                          : http_response(200, "application/json", "", keep_alive);
  }
  if (path == "/v1/models") {
    Json card = {
        {"id", model_}, {"object", "model"}, {"created", 0}, {"owned_by", to_string(dialect_)}};
    if (dialect_ == Dialect::kVllm || dialect_ == Dialect::kOpenAi) card["max_model_len"] = 32768;
    if (dialect_ == Dialect::kLlamaCpp) card["meta"] = {{"n_ctx_train", 32768}, {"n_vocab", 32000}};
    return json({{"object", "list"}, {"data", Json::array({card})}});
  }
  switch (dialect_) {
    case Dialect::kVllm:
      if (path == "/version") return json({{"version", "0.11.0+llmbench.sim"}});
      break;
    case Dialect::kOllama:
      if (path == "/")
        return http_response(200, "text/plain; charset=utf-8", "Ollama is running", keep_alive);
      if (path == "/api/version") return json({{"version", "0.12.0-llmbench-sim"}});
      if (path == "/api/tags" || path == "/api/ps") {
        Json m = {{"name", model_},
                  {"model", model_},
                  {"size", 2019393189},
                  {"details",
                   {{"format", "gguf"},
                    {"family", "llama"},
                    {"parameter_size", "3.2B"},
                    {"quantization_level", "Q4_K_M"}}}};
        if (path == "/api/ps") {
          // Loaded wholly in VRAM (size_vram == size); the simulator never unloads it.
          m["size_vram"] = m["size"];
          m["digest"] = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72";
          m["expires_at"] = "2099-01-01T00:00:00Z";
          m["context_length"] = 4096;
        }
        return json({{"models", Json::array({m})}});
      }
      break;
    case Dialect::kTgi:
      if (path == "/info") {
        return json({{"model_id", model_},
                     {"model_sha", nullptr},
                     {"max_concurrent_requests", 128},
                     {"max_input_tokens", 8191},
                     {"max_total_tokens", 8192},
                     {"router", "text-generation-router"},
                     {"version", "3.3.7-llmbench-sim"},
                     {"sha", nullptr},
                     {"docker_label", nullptr}});
      }
      break;
    case Dialect::kLlamaCpp:
      if (path == "/props") {
        return json({{"default_generation_settings", {{"n_ctx", 8192}, {"params", Json::object()}}},
                     {"total_slots", 4},
                     {"model_path", model_},
                     {"build_info", "b0-llmbench-sim"}});
      }
      if (path == "/slots")
        return json(Json::array({{{"id", 0}, {"n_ctx", 8192}, {"is_processing", false}}}));
      break;
    case Dialect::kSglang:
      if (path == "/get_model_info") {
        return json({{"model_path", model_}, {"tokenizer_path", model_}, {"is_generation", true}});
      }
      if (path == "/get_server_info") return json({{"version", "0.5.0-llmbench-sim"}});
      break;
    case Dialect::kOpenAi:
      break;
  }
  return std::nullopt;
}

}  // namespace llmbench::sim
