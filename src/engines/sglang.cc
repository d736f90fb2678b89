// SGLang's native /generate (ENGINES.md §5): each SSE event holds the *cumulative* text and
// completion_tokens so far; the last has a finish_reason object and e2e_latency (s); the
// stream ends with [DONE].

#include "core/json_text.h"
#include "engines/json_frame.h"
#include "engines/native.h"
#include "engines/reader_base.h"

namespace llmbench::engines {

namespace {

class SglangReader final : public ReaderBase {
 public:
  SglangReader(const RequestSpec& spec, RequestRecord& record)
      : ReaderBase(spec, record, Framing::kSse) {}

 private:
  void on_payload(const Frame& frame, bool /*whole_body*/) override {
    if (frame.payload == "[DONE]") {
      mark_done();
      return;
    }
    auto root = parse_json(frame.payload);
    if (!root) return;
    if (record_engine_error(*root)) return;  // {"error": …} inside a 200 response
    const std::string_view text = json_string(*root, "text").value_or("");
    const std::size_t text_length = text.size();
    // Cumulative text: the sample is its beginning, taken while it is shorter than the cap.
    if (record_.output_sample.size() < kOutputSampleBytes) {
      record_.output_sample.assign(text.substr(0, kOutputSampleBytes));
    }
    std::int64_t tokens_so_far = tokens_seen_;
    if (auto meta = json_object(*root, "meta_info")) {
      const simdjson::dom::element m = *meta;
      std::optional<std::int64_t> completion;
      if (!read_count(m, "meta_info.completion_tokens", completion) ||
          !read_count(m, "meta_info.prompt_tokens", record_.usage.prompt_tokens) ||
          !read_count(m, "meta_info.cached_tokens", record_.usage.cached_prompt_tokens) ||
          !read_seconds(m, "meta_info.e2e_latency", 1.0, record_.native.total_duration)) {
        return;
      }
      if (completion) tokens_so_far = *completion;
      simdjson::dom::element reason;
      if (!m["finish_reason"].get(reason) && reason.is_object()) {
        set_finish_reason(json_string(reason, "type").value_or("stop"));
        mark_done();  // the final object; [DONE] may follow
      }
    }
    record_.usage.output_tokens = tokens_so_far;
    // Text and counts are cumulative: this event's output is what grew since the last one.
    const std::size_t new_bytes = text_length > text_seen_ ? text_length - text_seen_ : 0;
    const std::int64_t new_tokens = tokens_so_far - tokens_seen_;
    if (new_bytes > 0 || new_tokens > 0) {
      add_output(frame.arrival, new_bytes,
                 static_cast<std::uint32_t>(std::max<std::int64_t>(new_tokens, 1)));
    }
    text_seen_ = std::max(text_seen_, text_length);
    tokens_seen_ = std::max(tokens_seen_, tokens_so_far);
  }

  std::size_t text_seen_ = 0;
  std::int64_t tokens_seen_ = 0;
};

}  // namespace

net::HttpRequest SglangEngine::build_request(const RequestSpec& spec) const {
  net::HttpRequest request;
  request.target = options_.base_path + "/generate";
  add_auth(request, options_.api_key, options_.headers);
  std::string& body = request.body;
  body += "{\"text\":";
  append_json_string(body, prompt_text(spec));
  body += ",\"sampling_params\":{\"max_new_tokens\":" + std::to_string(spec.max_tokens);
  if (spec.ignore_eos) body += ",\"ignore_eos\":true";
  if (spec.temperature) body += ",\"temperature\":" + format_json_number(*spec.temperature);
  body += '}';
  body += spec.stream ? ",\"stream\":true}" : ",\"stream\":false}";
  return request;
}

std::unique_ptr<ResponseReader> SglangEngine::make_reader(const RequestSpec& spec,
                                                          RequestRecord& record) const {
  return std::make_unique<SglangReader>(spec, record);
}

}  // namespace llmbench::engines
