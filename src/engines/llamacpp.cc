// llama.cpp's native /completion (ENGINES.md §4): SSE "data: {content, stop:false}" events,
// the last with "stop": true and "timings" in milliseconds; no [DONE].

#include "core/json_text.h"
#include "engines/json_frame.h"
#include "engines/native.h"
#include "engines/reader_base.h"

namespace llmbench::engines {

namespace {

class LlamaCppReader final : public ReaderBase {
 public:
  LlamaCppReader(const RequestSpec& spec, RequestRecord& record)
      : ReaderBase(spec, record, Framing::kSse) {}

 private:
  void on_payload(const Frame& frame, bool whole_body) override {
    auto root = parse_json(frame.payload);
    if (!root) return;
    if (record_engine_error(*root)) return;  // {"error": …} inside a 200 response
    const bool stop = json_bool(*root, "stop").value_or(false);
    if (stop) {
      mark_done();
      if (auto type = json_string(*root, "stop_type")) set_finish_reason(*type);
      if (!read_count(*root, "tokens_predicted", record_.usage.output_tokens) ||
          !read_count(*root, "tokens_evaluated", record_.usage.prompt_tokens)) {
        return;
      }
      if (auto timings = json_object(*root, "timings")) {
        if (!read_timings(*timings)) return;
      }
    }
    const std::string_view content = json_string(*root, "content").value_or("");
    keep_sample(content);
    const std::size_t bytes = content.size();
    if (bytes > 0) {
      const auto tokens =
          whole_body ? std::max<std::int64_t>(record_.usage.output_tokens.value_or(1), 1) : 1;
      add_output(frame.arrival, bytes, static_cast<std::uint32_t>(tokens));
    }
  }

  // Reads the "timings" object (ms) into native timings; false on a value outside sense.
  bool read_timings(simdjson::dom::element t) {
    NativeTimings& n = record_.native;
    constexpr double kMs = 1e3;  // per second
    std::optional<std::int64_t> predicted;
    if (!read_seconds(t, "timings.prompt_ms", kMs, n.prompt_eval_duration) ||
        !read_seconds(t, "timings.predicted_ms", kMs, n.eval_duration) ||
        !read_seconds(t, "timings.predicted_per_token_ms", kMs, n.time_per_output_token) ||
        !read_count(t, "timings.prompt_n", n.prompt_eval_tokens) ||
        !read_count(t, "timings.cache_n", record_.usage.cached_prompt_tokens) ||
        !read_count(t, "timings.predicted_n", predicted)) {
      return false;
    }
    if (!record_.usage.output_tokens) record_.usage.output_tokens = predicted;
    return true;
  }
};

}  // namespace

net::HttpRequest LlamaCppEngine::build_request(const RequestSpec& spec) const {
  net::HttpRequest request;
  request.target = options_.base_path + "/completion";
  add_auth(request, options_.api_key, options_.headers);
  std::string& body = request.body;
  body += "{\"prompt\":";
  append_json_string(body, prompt_text(spec));
  body += ",\"n_predict\":" + std::to_string(spec.max_tokens > 0 ? spec.max_tokens : -1);
  body += spec.stream ? ",\"stream\":true" : ",\"stream\":false";
  // Prompt caching is on by default and would make prefill look free on repeated prompts.
  body += ",\"cache_prompt\":false";
  if (spec.ignore_eos) body += ",\"ignore_eos\":true";
  if (spec.seed) body += ",\"seed\":" + std::to_string(*spec.seed);
  if (spec.temperature) body += ",\"temperature\":" + format_json_number(*spec.temperature);
  body += '}';
  return request;
}

std::unique_ptr<ResponseReader> LlamaCppEngine::make_reader(const RequestSpec& spec,
                                                            RequestRecord& record) const {
  return std::make_unique<LlamaCppReader>(spec, record);
}

}  // namespace llmbench::engines
