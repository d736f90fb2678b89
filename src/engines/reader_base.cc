#include "engines/reader_base.h"

#include <cctype>
#include <charconv>

namespace llmbench::engines {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

simdjson::dom::parser& dom_parser() {
  // One parser per worker thread: its buffers are reused across frames (see frame_parser()).
  thread_local simdjson::dom::parser parser;
  return parser;
}
}  // namespace

std::optional<std::string_view> find_header(std::span<const net::Header> headers,
                                            std::string_view name) {
  for (const net::Header& h : headers) {
    if (iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

void note_retry_after(std::span<const net::Header> headers, RequestRecord& record) {
  const auto value = find_header(headers, "retry-after");
  if (!value) return;
  double seconds = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), seconds);
  if (ec == std::errc{} && end == value->data() + value->size() && seconds >= 0) {
    record.retry_after = seconds;
  }
}

Framing ReaderBase::on_head(int status, std::span<const net::Header> headers) {
  status_ = status;
  if (status < 200 || status >= 300) {
    note_retry_after(headers, record_);
    return Framing::kWholeBody;
  }
  on_success_head(headers);
  if (!stream_) return Framing::kWholeBody;
  const std::string_view type = find_header(headers, "content-type").value_or("");
  // A server that ignored "stream" answers with one JSON document.
  if (type.find("application/json") != std::string_view::npos) return Framing::kWholeBody;
  streaming_body_ = true;
  return stream_framing_;
}

void ReaderBase::on_frame(const Frame& frame) {
  if (status_ < 200 || status_ >= 300) {
    set_error(category_for_http_status(status_),
              http_error_message(status_, frame.payload, record_));
    return;
  }
  got_payload_ = true;
  if (frame.error_field) {  // llama.cpp before Sep 2025: "error:" SSE field
    set_error(ErrorCategory::kEngineError, error_field_message(frame.payload));
    return;
  }
  on_payload(frame, !streaming_body_);
}

void ReaderBase::on_end() {
  if (record_.error) return;
  if (status_ < 200 || status_ >= 300) {
    set_error(category_for_http_status(status_), "HTTP " + std::to_string(status_));
    return;
  }
  if (!got_payload_) {
    set_error(streaming_body_ ? ErrorCategory::kTruncated : ErrorCategory::kProtocol,
              "empty response body");
    return;
  }
  if (done_) {
    record_.completed = true;
    return;
  }
  set_error(ErrorCategory::kTruncated, streaming_body_
                                           ? "stream ended before the engine signalled its end"
                                           : "response does not say generation finished");
}

void ReaderBase::set_error(ErrorCategory category, std::string message) {
  if (record_.error) return;  // the first error explains the request
  record_.error = RequestError{category, std::move(message)};
}

bool ReaderBase::record_engine_error(simdjson::dom::element root,
                                     std::optional<std::string_view> kind) {
  simdjson::dom::element error;
  if (root["error"].get(error)) return false;
  std::string message = json_error_message(error).value_or("error");
  if (kind) message = std::string(*kind) + ": " + message;
  set_error(ErrorCategory::kEngineError, std::move(message));
  return true;
}

void ReaderBase::add_output(TimePoint arrival, std::size_t text_bytes, std::uint32_t tokens) {
  record_.events.push_back(TokenEvent{arrival, tokens});
  record_.output_chars += text_bytes;
}

std::optional<simdjson::dom::element> ReaderBase::parse_json(std::string_view payload) {
  scratch_.resize(payload.size() + simdjson::SIMDJSON_PADDING);
  std::copy(payload.begin(), payload.end(), scratch_.begin());
  simdjson::dom::element root;
  const auto err = dom_parser().parse(scratch_.data(), payload.size(), false).get(root);
  if (err) {
    set_error(ErrorCategory::kProtocol, std::string("malformed JSON frame (") +
                                            simdjson::error_message(err) +
                                            "): " + std::string(payload.substr(0, 120)));
    return std::nullopt;
  }
  return root;
}

std::optional<std::string_view> json_string(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  if (e[key].get(v)) return std::nullopt;
  return v;
}

std::optional<std::int64_t> json_int(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element v;
  if (e[key].get(v)) return std::nullopt;
  std::int64_t i = 0;
  if (!v.get(i)) return i;
  std::uint64_t u = 0;
  if (!v.get(u)) return static_cast<std::int64_t>(u);
  double d = 0;
  if (!v.get(d)) return static_cast<std::int64_t>(d);
  return std::nullopt;
}

std::optional<double> json_number(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element v;
  if (e[key].get(v)) return std::nullopt;
  double d = 0;
  if (!v.get(d)) return d;
  std::int64_t i = 0;
  if (!v.get(i)) return static_cast<double>(i);
  std::uint64_t u = 0;
  if (!v.get(u)) return static_cast<double>(u);
  return std::nullopt;
}

std::optional<bool> json_bool(simdjson::dom::element e, std::string_view key) {
  bool b = false;
  if (e[key].get(b)) return std::nullopt;
  return b;
}

std::optional<simdjson::dom::element> json_object(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element v;
  if (e[key].get(v) || !v.is_object()) return std::nullopt;
  return v;
}

std::optional<std::string> json_error_message(simdjson::dom::element e) {
  std::string_view s;
  // An empty message reads as none: an error always says something.
  if (!e.get(s)) return s.empty() ? std::string("engine reported an error") : std::string(s);
  if (auto m = json_string(e, "message"); m && !m->empty()) return std::string(*m);
  if (e.is_object()) return std::string("engine reported an error");
  return std::nullopt;
}

}  // namespace llmbench::engines
