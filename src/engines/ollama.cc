// Ollama's native API (ENGINES.md §1): NDJSON stream of {"response"|"message", "done":false}
// objects ending with a "done": true object holding counts and durations in nanoseconds.

#include "core/json_text.h"
#include "engines/json_frame.h"
#include "engines/native.h"
#include "engines/reader_base.h"

namespace llmbench::engines {

namespace {

// Whether `text` is a plain JSON number: optional '-', an integer without leading zeros, an
// optional fraction. Ollama reads such a keep_alive as seconds only when it is sent as a
// number (a string goes through Go's time.ParseDuration, which wants a unit).
bool is_plain_number(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  const std::size_t int_start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const std::size_t int_digits = i - int_start;
  if (int_digits == 0 || (int_digits > 1 && text[int_start] == '0')) return false;
  if (i == text.size()) return true;
  if (text[i++] != '.') return false;
  const std::size_t fraction_start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  return i == text.size() && i > fraction_start;
}

class OllamaReader final : public ReaderBase {
 public:
  OllamaReader(const RequestSpec& spec, RequestRecord& record)
      : ReaderBase(spec, record, Framing::kNdjson) {}

 private:
  void on_payload(const Frame& frame, bool whole_body) override {
    auto root = parse_json(frame.payload);
    if (!root) return;
    if (record_engine_error(*root)) return;  // {"error": …} inside a 200 response
    const std::string_view response = json_string(*root, "response").value_or("");
    keep_sample(response);
    std::size_t bytes = response.size() + json_string(*root, "thinking").value_or("").size();
    if (auto message = json_object(*root, "message")) {
      simdjson::dom::element m = *message;
      const std::string_view content = json_string(m, "content").value_or("");
      keep_sample(content);
      bytes += content.size() + json_string(m, "thinking").value_or("").size();
      simdjson::dom::array calls;
      if (!m["tool_calls"].get(calls) && calls.size() > 0) bytes += 1;
    }
    const bool done = json_bool(*root, "done").value_or(false);
    if (done) read_final(*root);
    if (bytes > 0) {
      // A non-streamed body is one arrival of every token it holds.
      const auto tokens = whole_body ? record_.usage.output_tokens.value_or(1) : 1;
      add_output(frame.arrival, bytes,
                 static_cast<std::uint32_t>(std::max<std::int64_t>(tokens, 1)));
    }
  }

  void read_final(simdjson::dom::element root) {
    mark_done();
    if (auto reason = json_string(root, "done_reason")) set_finish_reason(*reason);
    // Metric fields are omitted when zero (Go omitempty): absent means 0. A value outside
    // sense is a protocol error (read_count, read_seconds) and the rest is not read.
    std::optional<std::int64_t> prompt = 0;
    std::optional<std::int64_t> output = 0;
    std::optional<double> total = 0.0;
    std::optional<double> load = 0.0;
    std::optional<double> prompt_eval = 0.0;
    std::optional<double> eval = 0.0;
    constexpr double kNs = 1e9;  // per second
    if (!read_count(root, "prompt_eval_count", prompt) || !read_count(root, "eval_count", output) ||
        !read_seconds(root, "total_duration", kNs, total) ||
        !read_seconds(root, "load_duration", kNs, load) ||
        !read_seconds(root, "prompt_eval_duration", kNs, prompt_eval) ||
        !read_seconds(root, "eval_duration", kNs, eval)) {
      return;
    }
    record_.usage.prompt_tokens = prompt;
    record_.usage.output_tokens = output;
    NativeTimings& n = record_.native;
    n.total_duration = total;
    n.load_duration = load;
    n.prompt_eval_duration = prompt_eval;
    n.eval_duration = eval;
    record_.cold_start = *n.load_duration >= OllamaEngine::kColdStartSeconds;
  }
};

}  // namespace

net::HttpRequest OllamaEngine::build_request(const RequestSpec& spec) const {
  net::HttpRequest request;
  const bool chat = spec.api == ApiKind::kChat;
  request.target = options_.base_path + (chat ? "/api/chat" : "/api/generate");
  add_auth(request, options_.api_key, options_.headers);
  std::string& body = request.body;
  body += "{\"model\":";
  append_json_string(body, spec.model);
  if (chat) {
    body += ",\"messages\":";
    append_messages_json(body, spec.messages);
  } else {
    body += ",\"prompt\":";
    append_json_string(body, spec.prompt);
  }
  // Ollama streams by default: say so either way.
  body += spec.stream ? ",\"stream\":true" : ",\"stream\":false";
  body +=
      ",\"options\":{\"num_predict\":" + std::to_string(spec.max_tokens > 0 ? spec.max_tokens : -1);
  if (spec.seed) body += ",\"seed\":" + std::to_string(*spec.seed);
  if (spec.temperature) body += ",\"temperature\":" + format_json_number(*spec.temperature);
  body += '}';
  if (options_.keep_alive) {
    body += ",\"keep_alive\":";
    if (is_plain_number(*options_.keep_alive)) {
      body += *options_.keep_alive;  // seconds; negative keeps the model loaded
    } else {
      append_json_string(body, *options_.keep_alive);  // a Go duration ("30m")
    }
  }
  body += '}';
  return request;
}

std::unique_ptr<ResponseReader> OllamaEngine::make_reader(const RequestSpec& spec,
                                                          RequestRecord& record) const {
  return std::make_unique<OllamaReader>(spec, record);
}

std::string prompt_text(const RequestSpec& spec) {
  if (spec.api != ApiKind::kChat) return spec.prompt;
  std::string text;
  for (const ChatMessage& m : spec.messages) {
    if (!text.empty()) text += '\n';
    text += m.role + ": " + m.content;
  }
  return text;
}

void append_messages_json(std::string& out, const std::vector<ChatMessage>& messages) {
  out += '[';
  for (std::size_t i = 0; i < messages.size(); ++i) {
    out += i > 0 ? ",{\"role\":" : "{\"role\":";
    append_json_string(out, messages[i].role);
    out += ",\"content\":";
    append_json_string(out, messages[i].content);
    out += '}';
  }
  out += ']';
}

void add_auth(net::HttpRequest& request, const std::optional<std::string>& api_key,
              const std::vector<net::Header>& headers) {
  request.headers.insert(request.headers.end(), headers.begin(), headers.end());
  if (api_key) request.headers.push_back({"Authorization", "Bearer " + *api_key});
}

}  // namespace llmbench::engines
