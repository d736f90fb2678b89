// TGI's native API (ENGINES.md §3): /generate_stream sends one SSE event per token
// ("data:" without a space), the last with generated_text and details; errors arrive as
// events inside the 200 stream. Non-streamed /generate carries timing headers (ms).

#include "core/json_text.h"
#include "core/text.h"
#include "engines/json_frame.h"
#include "engines/native.h"
#include "engines/reader_base.h"

namespace llmbench::engines {

namespace {

// A TGI timing or count header: absent, a number, or (nullopt inside) something else.
struct HeaderNumber {
  bool present = false;
  std::optional<double> value;
};

HeaderNumber header_number(std::span<const net::Header> headers, std::string_view name) {
  const auto value = find_header(headers, name);
  if (!value) return {};
  return {true, parse_number(trim_blanks(*value))};
}

class TgiReader final : public ReaderBase {
 public:
  TgiReader(const RequestSpec& spec, RequestRecord& record)
      : ReaderBase(spec, record, Framing::kSse) {}

 private:
  void on_success_head(std::span<const net::Header> headers) override {
    // Header values are never quoted in a message: only a number read from one is.
    const auto ms = [&](std::string_view name, std::optional<double>& into) {
      const HeaderNumber h = header_number(headers, name);
      if (!h.present) return true;
      const auto seconds = h.value ? sensible_seconds(*h.value, 1e3) : std::nullopt;
      if (!seconds) {
        set_error(ErrorCategory::kProtocol,
                  outside_sense_message("header " + std::string(name), h.value, false));
        return false;
      }
      into = seconds;
      return true;
    };
    const auto count = [&](std::string_view name, std::optional<std::int64_t>& into) {
      const HeaderNumber h = header_number(headers, name);
      if (!h.present) return true;
      const auto n = h.value ? sensible_count(*h.value) : std::nullopt;
      if (!n) {
        set_error(ErrorCategory::kProtocol,
                  outside_sense_message("header " + std::string(name), h.value, true));
        return false;
      }
      into = n;
      return true;
    };
    NativeTimings& n = record_.native;
    (void)(ms("x-total-time", n.total_duration) && ms("x-queue-time", n.queue_time) &&
           ms("x-inference-time", n.inference_time) &&
           ms("x-time-per-token", n.time_per_output_token) &&
           count("x-prompt-tokens", record_.usage.prompt_tokens) &&
           count("x-generated-tokens", record_.usage.output_tokens));
  }

  void on_payload(const Frame& frame, bool whole_body) override {
    auto root = parse_json(frame.payload);
    if (!root) return;
    if (record_engine_error(*root, json_string(*root, "error_type"))) return;  // error event
    simdjson::dom::element details;
    const bool has_details = !(*root)["details"].get(details) && details.is_object();
    if (has_details) {
      if (auto reason = json_string(details, "finish_reason")) set_finish_reason(*reason);
      if (!read_count(details, "details.generated_tokens", record_.usage.output_tokens) ||
          !read_count(details, "details.input_length", record_.usage.prompt_tokens)) {
        return;
      }
    }
    if (whole_body) {  // {"generated_text": …, "details": …}
      const std::string_view generated = json_string(*root, "generated_text").value_or("");
      keep_sample(generated);
      const std::size_t bytes = generated.size();
      if (json_string(*root, "generated_text")) mark_done();
      if (bytes > 0) {
        const auto tokens = std::max<std::int64_t>(record_.usage.output_tokens.value_or(1), 1);
        add_output(frame.arrival, bytes, static_cast<std::uint32_t>(tokens));
      }
      return;
    }
    simdjson::dom::element token;
    if (!(*root)["token"].get(token) && token.is_object()) {
      const std::string_view text = json_string(token, "text").value_or("");
      keep_sample(text);
      const std::size_t bytes = text.size();
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
