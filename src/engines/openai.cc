#include "engines/openai.h"

#include <simdjson.h>

#include <algorithm>

#include "core/json_text.h"
#include "core/redact.h"
#include "core/text.h"
#include "engines/json_frame.h"
#include "engines/native.h"
#include "engines/reader_base.h"

namespace llmbench::engines {

namespace {

namespace od = simdjson::ondemand;

// What one OpenAI JSON object (stream chunk or whole response) said.
struct ChunkContent {
  std::size_t text_bytes = 0;  // generated text in this chunk (content, reasoning, text)
  // The chunk's content or text (not reasoning), up to `sample_room` bytes: for the record's
  // bounded output sample.
  std::size_t sample_room = 0;
  std::string sample;
  bool tool_call = false;  // tool-call deltas count as generated output
  std::string finish_reason;
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  bool is_error = false;
  std::string error_message;
  std::optional<std::int64_t> cached_tokens;
  // llama.cpp "timings" (ms) and vLLM per-request "metrics" (ms), where present.
  std::optional<double> prompt_ms, predicted_ms, predicted_per_token_ms;
  std::optional<std::int64_t> prompt_n, cache_n, predicted_n;
  std::optional<double> ttft_ms, generation_ms, queue_ms;
  // The first engine value outside sense (reader_base.h), as its protocol error message.
  std::string outside_sense;
};

// Reads every member of `object` that is not null through `assign(key, value)`: `value` is
// the number, or nullopt for a member of another type. `prompt_tokens_details` is entered.
template <class Assign>
simdjson::error_code for_each_number(od::value value, Assign&& assign) {
  od::json_type type;
  if (auto err = value.type().get(type)) return err;
  if (type != od::json_type::object) return simdjson::SUCCESS;
  od::object object;
  if (auto err = value.get_object().get(object)) return err;
  for (auto field : object) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return err;
    od::value v;
    if (auto err = field.value().get(v)) return err;
    if (auto err = v.type().get(type)) return err;
    if (type == od::json_type::number) {
      double d = 0;
      if (auto err = v.get_double().get(d)) return err;
      assign(key, std::optional<double>(d));
    } else if (type == od::json_type::object && key_is(key, "prompt_tokens_details")) {
      if (auto err = for_each_number(v, assign)) return err;
    } else if (type != od::json_type::null) {
      assign(key, std::optional<double>());
    }
  }
  return simdjson::SUCCESS;
}

// Reads a count member of `object` (named `object_name` in messages) into `into`; a value
// outside sense is noted in `out` instead.
void take_count(std::string_view object_name, std::string_view key, std::optional<double> value,
                std::optional<std::int64_t>& into, ChunkContent& out) {
  const auto count = value ? sensible_count(*value) : std::nullopt;
  if (count) {
    into = count;
  } else if (out.outside_sense.empty()) {
    out.outside_sense =
        outside_sense_message(std::string(object_name) + "." + std::string(key), value, true);
  }
}

// Reads a duration member in milliseconds (kept in ms) into `into`, as take_count.
void take_ms(std::string_view object_name, std::string_view key, std::optional<double> value,
             std::optional<double>& into, ChunkContent& out) {
  if (value && sensible_seconds(*value, 1e3)) {
    into = value;
  } else if (out.outside_sense.empty()) {
    out.outside_sense =
        outside_sense_message(std::string(object_name) + "." + std::string(key), value, false);
  }
}

// Adds the length of a string-or-null value; `sampled` text also goes to the chunk's sample.
simdjson::error_code add_text(od::value value, ChunkContent& out, bool sampled) {
  od::json_type type;
  if (auto err = value.type().get(type)) return err;
  if (type != od::json_type::string) return simdjson::SUCCESS;  // null content
  std::string_view text;
  if (auto err = value.get_string().get(text)) return err;
  out.text_bytes += text.size();
  if (sampled && out.sample.size() < out.sample_room) {
    out.sample.append(text.substr(0, out.sample_room - out.sample.size()));
  }
  return simdjson::SUCCESS;
}

simdjson::error_code parse_message_like(od::object object, ChunkContent& out) {
  for (auto field : object) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return err;
    if (key_is(key, "content") || key_is(key, "reasoning_content") || key_is(key, "reasoning")) {
      if (auto err = add_text(field.value(), out, key_is(key, "content"))) return err;
    } else if (key_is(key, "tool_calls")) {
      od::json_type type;
      if (auto err = field.value().type().get(type)) return err;
      if (type == od::json_type::array) {
        od::array calls;
        if (auto err = field.value().get_array().get(calls)) return err;
        std::size_t count = 0;
        if (auto err = calls.count_elements().get(count)) return err;
        out.tool_call = out.tool_call || count > 0;
      }
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code parse_choice(od::object choice, ChunkContent& out) {
  for (auto field : choice) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return err;
    od::value value;
    if (auto err = field.value().get(value)) return err;
    if (key_is(key, "text")) {
      if (auto err = add_text(value, out, true)) return err;
    } else if (key_is(key, "delta") || key_is(key, "message")) {
      od::json_type type;
      if (auto err = value.type().get(type)) return err;
      if (type == od::json_type::object) {
        od::object inner;
        if (auto err = value.get_object().get(inner)) return err;
        if (auto err = parse_message_like(inner, out)) return err;
      }
    } else if (key_is(key, "finish_reason")) {
      od::json_type type;
      if (auto err = value.type().get(type)) return err;
      if (type == od::json_type::string) {
        std::string_view reason;
        if (auto err = value.get_string().get(reason)) return err;
        // TGI's /v1/completions sends "" until the last chunk: not a finish.
        if (!reason.empty()) out.finish_reason.assign(reason);
      }
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code parse_usage(od::value value, ChunkContent& out) {
  return for_each_number(value, [&out](std::string_view key, std::optional<double> d) {
    if (key_is(key, "prompt_tokens"))
      take_count("usage", key, d, out.prompt_tokens, out);
    else if (key_is(key, "completion_tokens"))
      take_count("usage", key, d, out.completion_tokens, out);
    else if (key_is(key, "cached_tokens"))
      take_count("usage", key, d, out.cached_tokens, out);
  });
}

simdjson::error_code parse_timings(od::value value, ChunkContent& out) {
  return for_each_number(value, [&out](std::string_view key, std::optional<double> d) {
    if (key_is(key, "prompt_ms"))
      take_ms("timings", key, d, out.prompt_ms, out);
    else if (key_is(key, "predicted_ms"))
      take_ms("timings", key, d, out.predicted_ms, out);
    else if (key_is(key, "predicted_per_token_ms"))
      take_ms("timings", key, d, out.predicted_per_token_ms, out);
    else if (key_is(key, "prompt_n"))
      take_count("timings", key, d, out.prompt_n, out);
    else if (key_is(key, "cache_n"))
      take_count("timings", key, d, out.cache_n, out);
    else if (key_is(key, "predicted_n"))
      take_count("timings", key, d, out.predicted_n, out);
  });
}

simdjson::error_code parse_vllm_metrics(od::value value, ChunkContent& out) {
  return for_each_number(value, [&out](std::string_view key, std::optional<double> d) {
    if (key_is(key, "time_to_first_token_ms"))
      take_ms("metrics", key, d, out.ttft_ms, out);
    else if (key_is(key, "generation_time_ms"))
      take_ms("metrics", key, d, out.generation_ms, out);
    else if (key_is(key, "queue_time_ms"))
      take_ms("metrics", key, d, out.queue_ms, out);
  });
}

simdjson::error_code parse_error_value(od::value value, ChunkContent& out) {
  out.is_error = true;
  od::json_type type;
  if (auto err = value.type().get(type)) return err;
  if (type == od::json_type::string) {
    std::string_view message;
    if (auto err = value.get_string().get(message)) return err;
    out.error_message.assign(message);
  } else if (type == od::json_type::object) {
    od::object object;
    if (auto err = value.get_object().get(object)) return err;
    for (auto field : object) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return err;
      if (key_is(key, "message")) {
        std::string_view message;
        if (field.value().get_string().get(message) == simdjson::SUCCESS) {
          out.error_message.assign(message);
        }
      }
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code parse_chunk(od::document& doc, ChunkContent& out) {
  od::object object;
  if (auto err = doc.get_object().get(object)) return err;
  bool flat_error = false;
  std::string flat_message;
  for (auto field : object) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return err;
    od::value value;
    if (auto err = field.value().get(value)) return err;
    if (key_is(key, "choices")) {
      od::array choices;
      if (auto err = value.get_array().get(choices)) return err;
      bool first = true;
      for (auto element : choices) {
        od::object choice;
        if (auto err = element.get_object().get(choice)) return err;
        if (first) {
          if (auto err = parse_choice(choice, out)) return err;
          first = false;
        }
      }
    } else if (key_is(key, "usage")) {
      if (auto err = parse_usage(value, out)) return err;
    } else if (key_is(key, "timings")) {
      if (auto err = parse_timings(value, out)) return err;
    } else if (key_is(key, "metrics")) {
      if (auto err = parse_vllm_metrics(value, out)) return err;
    } else if (key_is(key, "error")) {
      if (auto err = parse_error_value(value, out)) return err;
    } else if (key_is(key, "object")) {
      std::string_view kind;
      if (value.get_string().get(kind) == simdjson::SUCCESS && key_is(kind, "error"))
        flat_error = true;
    } else if (key_is(key, "message")) {
      std::string_view message;
      if (value.get_string().get(message) == simdjson::SUCCESS) flat_message.assign(message);
    }
  }
  if (flat_error) {  // vLLM before 0.10.1 and SGLang: {"object":"error","message":…}
    out.is_error = true;
    out.error_message = std::move(flat_message);
  }
  return simdjson::SUCCESS;
}

class OpenAiReader final : public ResponseReader {
 public:
  OpenAiReader(const RequestSpec& spec, RequestRecord& record, bool continuous_usage)
      : record_(record), stream_(spec.stream), continuous_usage_(continuous_usage) {}

  Framing on_head(int status, std::span<const net::Header> headers) override {
    status_ = status;
    if (status < 200 || status >= 300) {
      note_retry_after(headers, record_);
      return Framing::kWholeBody;
    }
    const std::string_view type = find_header(headers, "content-type").value_or("");
    if (is_html_page(type)) {
      html_page_ = true;
      return Framing::kWholeBody;
    }
    if (type.find("text/event-stream") != std::string_view::npos) {
      sse_ = true;
      return Framing::kSse;
    }
    return Framing::kWholeBody;
  }

  void on_frame(const Frame& frame) override {
    if (html_page_) {
      set_error(ErrorCategory::kProtocol, html_page_message(frame.payload));
      return;
    }
    if (status_ < 200 || status_ >= 300) {
      set_error(category_for_http_status(status_),
                http_error_message(status_, frame.payload, record_));
      return;
    }
    if (!sse_) {
      on_whole_body(frame);
      return;
    }
    if (frame.error_field) {  // legacy llama.cpp "error:" line
      set_error(ErrorCategory::kEngineError,
                error_field_message(frame.payload, &record_.invalid_utf8_bytes));
      return;
    }
    const std::string_view payload = trim_blanks(frame.payload);
    if (payload.empty()) return;
    if (payload == "[DONE]") {
      done_ = true;
      return;
    }
    ChunkContent chunk;
    chunk.sample_room =
        kOutputSampleBytes - std::min(kOutputSampleBytes, record_.output_sample.size());
    if (!parse(payload, chunk)) return;
    apply(chunk, frame.arrival, chunk_tokens(chunk));
  }

  void on_end() override {
    if (record_.error) return;
    if (html_page_) {
      set_error(ErrorCategory::kProtocol, html_page_message({}));
      return;
    }
    if (status_ < 200 || status_ >= 300) {
      // Error status with an empty body: no frame arrived to name it.
      set_error(category_for_http_status(status_), "HTTP " + std::to_string(status_));
      return;
    }
    if (!sse_ && !parsed_body_) {
      set_error(ErrorCategory::kProtocol, "empty response body");
      return;
    }
    if (done_ || !record_.finish_reason.empty()) {
      record_.completed = true;
      return;
    }
    set_error(ErrorCategory::kTruncated, stream_ ? "stream ended without a finish reason or [DONE]"
                                                 : "response has no finish reason");
  }

 private:
  void set_error(ErrorCategory category, std::string_view message) {
    if (record_.error) return;  // the first error explains the request
    // Repaired as UTF-8, then cleared of our secrets: an error may echo the request.
    record_.error = RequestError{
        category, redact(network_text(message, kMaxErrorMessageBytes, record_.invalid_utf8_bytes))};
  }

  bool parse(std::string_view payload, ChunkContent& chunk) {
    simdjson::error_code err = parse_once(payload, chunk);
    if (err == simdjson::UTF8_ERROR) {
      // Not UTF-8 (a byte-fallback token split across frames, a broken server): the text is
      // read with its invalid bytes replaced, and they are counted. Rare, so not fast.
      repaired_.clear();
      record_.invalid_utf8_bytes += append_valid_utf8(repaired_, payload);
      payload = repaired_;
      chunk = ChunkContent{};
      err = parse_once(payload, chunk);
    }
    if (err) {
      set_error(ErrorCategory::kProtocol, std::string("malformed JSON frame (") +
                                              simdjson::error_message(err) +
                                              "): " + std::string(utf8_prefix(payload, 120)));
      return false;
    }
    return true;
  }

  simdjson::error_code parse_once(std::string_view payload, ChunkContent& chunk) {
    od::document doc;
    simdjson::error_code err = frame_parser().iterate(padded(payload)).get(doc);
    if (!err) err = parse_chunk(doc, chunk);
    return err;
  }

  // Tokens in a streamed chunk that carries output. With continuous usage stats (asked for,
  // and the engine sent them) each chunk's completion_tokens is cumulative: the chunk holds
  // the change since the tokens already placed. Otherwise, or when the count did not grow
  // (Ollama's /v1 sends zeros on every chunk), one; the final count, where the engine sends
  // one, is spread over the arrivals by metrics/.
  std::uint32_t chunk_tokens(const ChunkContent& chunk) {
    if (chunk.is_error || (chunk.text_bytes == 0 && !chunk.tool_call)) return 0;
    std::int64_t tokens = 1;
    if (continuous_usage_ && chunk.completion_tokens && *chunk.completion_tokens > placed_) {
      tokens = std::min<std::int64_t>(*chunk.completion_tokens - placed_, 1 << 24);
    }
    placed_ += tokens;
    return static_cast<std::uint32_t>(tokens);
  }

  void apply(const ChunkContent& chunk, TimePoint arrival, std::uint32_t tokens) {
    if (chunk.is_error) {
      set_error(ErrorCategory::kEngineError,
                chunk.error_message.empty() ? "engine reported an error" : chunk.error_message);
      return;
    }
    if (!chunk.outside_sense.empty()) {
      set_error(ErrorCategory::kProtocol, chunk.outside_sense);
      return;
    }
    if (chunk.text_bytes > 0 || chunk.tool_call) {
      record_.events.push_back(TokenEvent{arrival, tokens});
      record_.output_chars += chunk.text_bytes;
      record_.output_sample += chunk.sample;
    }
    if (!chunk.finish_reason.empty()) {
      record_.finish_reason = redact(
          network_text(chunk.finish_reason, kMaxFinishReasonBytes, record_.invalid_utf8_bytes));
    }
    // Take the last usage seen, never a sum: Ollama's /v1 sends zero usage on every chunk
    // and the real numbers in a final one.
    if (chunk.prompt_tokens) record_.usage.prompt_tokens = chunk.prompt_tokens;
    if (chunk.completion_tokens) record_.usage.output_tokens = chunk.completion_tokens;
    if (chunk.cached_tokens) record_.usage.cached_prompt_tokens = chunk.cached_tokens;
    NativeTimings& n = record_.native;
    const auto seconds = [](const std::optional<double>& ms) {
      return ms ? std::optional<double>(*ms * 1e-3) : std::nullopt;
    };
    if (chunk.prompt_ms) n.prompt_eval_duration = seconds(chunk.prompt_ms);
    if (chunk.predicted_ms) n.eval_duration = seconds(chunk.predicted_ms);
    if (chunk.predicted_per_token_ms)
      n.time_per_output_token = seconds(chunk.predicted_per_token_ms);
    if (chunk.prompt_n) n.prompt_eval_tokens = chunk.prompt_n;
    if (chunk.cache_n) record_.usage.cached_prompt_tokens = chunk.cache_n;
    if (chunk.ttft_ms) n.ttft = seconds(chunk.ttft_ms);
    if (chunk.generation_ms) n.eval_duration = seconds(chunk.generation_ms);
    if (chunk.queue_ms) n.queue_time = seconds(chunk.queue_ms);
  }

  void on_whole_body(const Frame& frame) {
    parsed_body_ = true;
    ChunkContent chunk;
    if (!parse(frame.payload, chunk)) return;
    // A non-streamed response is one arrival of all its tokens.
    const std::int64_t n = chunk.completion_tokens.value_or(1);
    apply(chunk, frame.arrival,
          static_cast<std::uint32_t>(std::clamp<std::int64_t>(n, 1, 1 << 24)));
  }

  simdjson::padded_string_view padded(std::string_view payload) {
    scratch_.resize(payload.size() + simdjson::SIMDJSON_PADDING);
    std::copy(payload.begin(), payload.end(), scratch_.begin());
    return simdjson::padded_string_view(scratch_.data(), payload.size(), scratch_.size());
  }

  RequestRecord& record_;
  bool stream_;
  bool continuous_usage_;
  std::int64_t placed_ = 0;  // tokens given to arrivals so far (continuous usage)
  int status_ = 0;
  bool sse_ = false;
  bool html_page_ = false;  // a 2xx web page (is_html_page), not the API
  bool done_ = false;
  bool parsed_body_ = false;
  std::string scratch_;
  std::string repaired_;  // a payload with its invalid UTF-8 replaced
};

}  // namespace

std::string strip_v1_suffix(std::string_view base_path) {
  while (!base_path.empty() && base_path.back() == '/') base_path.remove_suffix(1);
  if (base_path.size() >= 3 && base_path.substr(base_path.size() - 3) == "/v1") {
    base_path.remove_suffix(3);
  }
  return std::string(base_path);
}

OpenAiEngine::OpenAiEngine(OpenAiOptions options) : options_(std::move(options)) {
  options_.base_path = strip_v1_suffix(options_.base_path);
}

net::HttpRequest OpenAiEngine::build_request(const RequestSpec& spec) const {
  net::HttpRequest request;
  request.method = "POST";
  const bool chat = spec.api == ApiKind::kChat;
  request.target = options_.base_path + (chat ? "/v1/chat/completions" : "/v1/completions");
  add_auth(request, options_.api_key, options_.headers);
  if (spec.stream) request.headers.push_back({"Accept", "text/event-stream"});

  std::string& body = request.body;
  body.reserve(128 + spec.prompt.size());
  body += "{\"model\":";
  append_json_string(body, options_.model_override ? *options_.model_override : spec.model);
  if (chat) {
    body += ",\"messages\":";
    append_messages_json(body, spec.messages);
  } else {
    body += ",\"prompt\":";
    append_json_string(body, spec.prompt);
  }
  if (spec.max_tokens > 0) body += ",\"max_tokens\":" + std::to_string(spec.max_tokens);
  body += spec.stream ? ",\"stream\":true" : ",\"stream\":false";
  if (spec.stream && options_.request_usage) {
    body += options_.continuous_usage
                ? ",\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true}"
                : ",\"stream_options\":{\"include_usage\":true}";
  }
  if (spec.ignore_eos && options_.supports_ignore_eos) {
    body += ",\"ignore_eos\":true";
    if (options_.supports_min_tokens && spec.max_tokens > 0) {
      body += ",\"min_tokens\":" + std::to_string(spec.max_tokens);
    }
  }
  if (options_.disable_prompt_cache) body += ",\"cache_prompt\":false";
  if (spec.temperature) body += ",\"temperature\":" + format_json_number(*spec.temperature);
  if (spec.seed) body += ",\"seed\":" + std::to_string(*spec.seed);
  body += '}';
  return request;
}

std::unique_ptr<ResponseReader> OpenAiEngine::make_reader(const RequestSpec& spec,
                                                          RequestRecord& record) const {
  return std::make_unique<OpenAiReader>(spec, record,
                                        options_.continuous_usage && options_.request_usage);
}

}  // namespace llmbench::engines
