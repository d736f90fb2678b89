// llama.cpp's native /completion (ENGINES.md §4): SSE "data: {content, stop:false}" events,
// the last with "stop": true and "timings" in milliseconds; no [DONE].

#include "core/json_text.h"
#include "engines/json_frame.h"
#include "engines/native.h"
#include "engines/reader_base.h"

namespace llmbench::engines {

// Reads a llama.cpp "timings" object (ms) into native timings; shared with the OpenAI
// adapter, which finds the same object on llama.cpp's OpenAI routes.
void read_llamacpp_timings(simdjson::dom::element timings, RequestRecord& record);

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
      if (auto type = json_string(*root, "stop_type")) record_.finish_reason = *type;
      if (auto n = json_int(*root, "tokens_predicted")) record_.usage.output_tokens = *n;
      if (auto p = json_int(*root, "tokens_evaluated")) record_.usage.prompt_tokens = *p;
      if (auto timings = json_object(*root, "timings")) read_llamacpp_timings(*timings, record_);
    }
    const std::size_t bytes = json_string(*root, "content").value_or("").size();
    if (bytes > 0) {
      const auto tokens =
          whole_body ? std::max<std::int64_t>(record_.usage.output_tokens.value_or(1), 1) : 1;
      add_output(frame.arrival, bytes, static_cast<std::uint32_t>(tokens));
    }
  }
};

}  // namespace

void read_llamacpp_timings(simdjson::dom::element t, RequestRecord& record) {
  NativeTimings& n = record.native;
  if (auto ms = json_number(t, "prompt_ms")) n.prompt_eval_duration = *ms * 1e-3;
  if (auto ms = json_number(t, "predicted_ms")) n.eval_duration = *ms * 1e-3;
  if (auto ms = json_number(t, "predicted_per_token_ms")) n.time_per_output_token = *ms * 1e-3;
  if (auto count = json_int(t, "prompt_n")) n.prompt_eval_tokens = *count;
  if (auto cached = json_int(t, "cache_n")) record.usage.cached_prompt_tokens = *cached;
  if (!record.usage.output_tokens) {
    if (auto predicted = json_int(t, "predicted_n")) record.usage.output_tokens = *predicted;
  }
}

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
