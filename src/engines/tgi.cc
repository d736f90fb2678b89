// TGI's native API (ENGINES.md §3): /generate_stream sends one SSE event per token
// ("data:" without a space), the last with generated_text and details; errors arrive as
// events inside the 200 stream. Non-streamed /generate carries timing headers (ms).

#include <charconv>

#include "core/json_text.h"
#include "engines/json_frame.h"
#include "engines/native.h"
#include "engines/reader_base.h"

namespace llmbench::engines {

namespace {

std::optional<double> header_number(std::span<const net::Header> headers, std::string_view name) {
  const auto value = find_header(headers, name);
  if (!value) return std::nullopt;
  double parsed = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (ec != std::errc{}) return std::nullopt;
  return parsed;
}

class TgiReader final : public ReaderBase {
 public:
  TgiReader(const RequestSpec& spec, RequestRecord& record)
      : ReaderBase(spec, record, Framing::kSse) {}

 private:
  void on_success_head(std::span<const net::Header> headers) override {
    auto ms = [&](std::string_view name) -> std::optional<double> {
      auto v = header_number(headers, name);
      if (v) *v *= 1e-3;
      return v;
    };
    NativeTimings& n = record_.native;
    n.total_duration = ms("x-total-time");
    n.queue_time = ms("x-queue-time");
    n.inference_time = ms("x-inference-time");
    n.time_per_output_token = ms("x-time-per-token");
    if (auto p = header_number(headers, "x-prompt-tokens")) {
      record_.usage.prompt_tokens = static_cast<std::int64_t>(*p);
    }
    if (auto g = header_number(headers, "x-generated-tokens")) {
      record_.usage.output_tokens = static_cast<std::int64_t>(*g);
    }
  }

  void on_payload(const Frame& frame, bool whole_body) override {
    auto root = parse_json(frame.payload);
    if (!root) return;
    if (record_engine_error(*root, json_string(*root, "error_type"))) return;  // error event
    simdjson::dom::element details;
    const bool has_details = !(*root)["details"].get(details) && details.is_object();
    if (has_details) {
      if (auto reason = json_string(details, "finish_reason")) record_.finish_reason = *reason;
      if (auto n = json_int(details, "generated_tokens")) record_.usage.output_tokens = *n;
      if (auto p = json_int(details, "input_length")) record_.usage.prompt_tokens = *p;
    }
    if (whole_body) {  // {"generated_text": …, "details": …}
      const std::size_t bytes = json_string(*root, "generated_text").value_or("").size();
      if (json_string(*root, "generated_text")) mark_done();
      if (bytes > 0) {
        const auto tokens = std::max<std::int64_t>(record_.usage.output_tokens.value_or(1), 1);
        add_output(frame.arrival, bytes, static_cast<std::uint32_t>(tokens));
      }
      return;
    }
    simdjson::dom::element token;
    if (!(*root)["token"].get(token) && token.is_object()) {
      const std::size_t bytes = json_string(token, "text").value_or("").size();
      if (bytes > 0) add_output(frame.arrival, bytes);
    }
    if (json_string(*root, "generated_text")) mark_done();  // non-null only on the last event
  }
};

}  // namespace

net::HttpRequest TgiEngine::build_request(const RequestSpec& spec) const {
  net::HttpRequest request;
  request.target = options_.base_path + (spec.stream ? "/generate_stream" : "/generate");
  add_auth(request, options_.api_key, options_.headers);
  std::string& body = request.body;
  body += "{\"inputs\":";
  append_json_string(body, prompt_text(spec));
  body += ",\"parameters\":{\"details\":true";
  if (spec.max_tokens > 0) body += ",\"max_new_tokens\":" + std::to_string(spec.max_tokens);
  if (spec.seed) body += ",\"seed\":" + std::to_string(*spec.seed);
  // TGI's native routes reject temperature 0: greedy decoding is do_sample false.
  if (spec.temperature && *spec.temperature > 0) {
    body += ",\"do_sample\":true,\"temperature\":" + format_json_number(*spec.temperature);
  } else if (spec.temperature) {
    body += ",\"do_sample\":false";
  }
  body += "}}";
  return request;
}

std::unique_ptr<ResponseReader> TgiEngine::make_reader(const RequestSpec& spec,
                                                       RequestRecord& record) const {
  return std::make_unique<TgiReader>(spec, record);
}

}  // namespace llmbench::engines
