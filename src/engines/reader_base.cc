#include "engines/reader_base.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "core/redact.h"
#include "core/text.h"
#include "engines/json_frame.h"

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

std::optional<std::int64_t> sensible_count(double value) {
  // NaN fails every comparison, so it is outside sense too.
  if (!(value >= 0 && value <= static_cast<double>(kMaxEngineTokens))) return std::nullopt;
  if (value != std::floor(value)) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

std::optional<double> sensible_seconds(double value, double per_second) {
  // Divided, not multiplied by 1e-9: 86400000000000 ns is then exactly a day.
  const double seconds = value / per_second;
  if (!(seconds >= 0 && seconds <= kMaxEngineSeconds)) return std::nullopt;
  return seconds;
}

std::string outside_sense_message(std::string_view field, std::optional<double> value,
                                  bool is_count) {
  std::string message = "engine value outside sense: " + std::string(field);
  message += value ? " = " + format_json_number(*value) : std::string(" is not a number");
  message += is_count ? " (a token count is an integer from 0 to 2147483647)"
                      : " (a duration is from 0 to 1 day)";
  return message;
}

std::string network_text(std::string_view text, std::size_t max_bytes,
                         std::uint64_t& invalid_bytes) {
  // Only what can be kept is examined, cut where a character starts (a valid character at the
  // cut is not a truncated sequence); replacements are longer than what they replace, so the
  // repaired text is cut again.
  std::string out = valid_utf8(utf8_prefix(text, max_bytes), invalid_bytes);
  out.resize(utf8_prefix(out, max_bytes).size());
  return out;
}

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
  // A hint outside sense (negative, "inf", beyond a day) is not kept: the request has
  // failed with its HTTP status already, which explains it.
  if (const auto seconds = parse_number(trim_blanks(*value))) {
    if (auto kept = sensible_seconds(*seconds, 1.0)) record.retry_after = kept;
  }
}

bool is_html_page(std::string_view content_type) {
  return content_type.find("text/html") != std::string_view::npos;
}

std::string html_page_message(std::string_view payload) {
  std::string message =
      "HTTP 2xx answered with Content-Type text/html, not the engine's API (a proxy, a web page "
      "or a wrong --url?)";
  if (!payload.empty()) message += ": " + std::string(payload);
  return message;
}

Framing ReaderBase::on_head(int status, std::span<const net::Header> headers) {
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
  on_success_head(headers);
  if (!stream_) return Framing::kWholeBody;
  // A server that ignored "stream" answers with one JSON document.
  if (type.find("application/json") != std::string_view::npos) return Framing::kWholeBody;
  streaming_body_ = true;
  return stream_framing_;
}

void ReaderBase::on_frame(const Frame& frame) {
  if (html_page_) {
    set_error(ErrorCategory::kProtocol, html_page_message(frame.payload));
    return;
  }
  if (status_ < 200 || status_ >= 300) {
    set_error(category_for_http_status(status_),
              http_error_message(status_, frame.payload, record_));
    return;
  }
  got_payload_ = true;
  if (frame.error_field) {  // llama.cpp before Sep 2025: "error:" SSE field
    set_error(ErrorCategory::kEngineError,
              error_field_message(frame.payload, &record_.invalid_utf8_bytes));
    return;
  }
  on_payload(frame, !streaming_body_);
}

void ReaderBase::on_end() {
  if (record_.error) return;
  if (html_page_) {
    set_error(ErrorCategory::kProtocol, html_page_message({}));
    return;
  }
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

void ReaderBase::set_error(ErrorCategory category, std::string_view message) {
  if (record_.error) return;  // the first error explains the request
  // Repaired as UTF-8, then cleared of our secrets: an error may echo the request.
  record_.error = RequestError{
      category, redact(network_text(message, kMaxErrorMessageBytes, record_.invalid_utf8_bytes))};
}

void ReaderBase::set_finish_reason(std::string_view reason) {
  // An echoing server can put our request, secrets included, in any text it returns; cut
  // first, so a secret cut at the end is still recognised by its tail.
  record_.finish_reason =
      redact(network_text(reason, kMaxFinishReasonBytes, record_.invalid_utf8_bytes));
}

bool ReaderBase::read_count(simdjson::dom::element object, std::string_view path,
                            std::optional<std::int64_t>& into) {
  const std::string_view key = path.substr(path.rfind('.') + 1);  // npos + 1 == 0
  const JsonNumber n = json_number_member(object, key);
  if (!n.present) return true;
  const auto count = n.value ? sensible_count(*n.value) : std::nullopt;
  if (!count) {
    set_error(ErrorCategory::kProtocol, outside_sense_message(path, n.value, true));
    return false;
  }
  into = count;
  return true;
}

bool ReaderBase::read_seconds(simdjson::dom::element object, std::string_view path,
                              double per_second, std::optional<double>& into) {
  const std::string_view key = path.substr(path.rfind('.') + 1);
  const JsonNumber n = json_number_member(object, key);
  if (!n.present) return true;
  const auto seconds = n.value ? sensible_seconds(*n.value, per_second) : std::nullopt;
  if (!seconds) {
    set_error(ErrorCategory::kProtocol, outside_sense_message(path, n.value, false));
    return false;
  }
  into = seconds;
  return true;
}

bool ReaderBase::record_engine_error(simdjson::dom::element root,
                                     std::optional<std::string_view> kind) {
  simdjson::dom::element error;
  if (root["error"].get(error)) return false;
  std::string message = json_error_message(error).value_or("error");
  if (kind) message = std::string(*kind) + ": " + message;
  set_error(ErrorCategory::kEngineError, message);
  return true;
}

void ReaderBase::keep_sample(std::string_view text) {
  const std::size_t room =
      kOutputSampleBytes - std::min(kOutputSampleBytes, record_.output_sample.size());
  if (room > 0) record_.output_sample.append(text.substr(0, room));
}

void ReaderBase::add_output(TimePoint arrival, std::size_t text_bytes, std::uint32_t tokens) {
  record_.events.push_back(TokenEvent{arrival, tokens});
  record_.output_chars += text_bytes;
}

std::optional<simdjson::dom::element> ReaderBase::parse_json(std::string_view payload) {
  const auto parse = [this](std::string_view text, simdjson::dom::element& root) {
    scratch_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    std::copy(text.begin(), text.end(), scratch_.begin());
    return dom_parser().parse(scratch_.data(), text.size(), false).get(root);
  };
  simdjson::dom::element root;
  auto err = parse(payload, root);
  if (err == simdjson::UTF8_ERROR) {  // rare: repair, count and parse again
    repaired_.clear();
    record_.invalid_utf8_bytes += append_valid_utf8(repaired_, payload);
    payload = repaired_;
    err = parse(payload, root);
  }
  if (err) {
    set_error(ErrorCategory::kProtocol, std::string("malformed JSON frame (") +
                                            simdjson::error_message(err) +
                                            "): " + std::string(utf8_prefix(payload, 120)));
    return std::nullopt;
  }
  return root;
}

JsonNumber json_number_member(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element v;
  if (e[key].get(v) || v.is_null()) return {};
  JsonNumber n{true, std::nullopt};
  double d = 0;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  if (!v.get(i)) {
    n.value = static_cast<double>(i);
  } else if (!v.get(u)) {
    n.value = static_cast<double>(u);
  } else if (!v.get(d)) {
    n.value = d;
  }
  return n;
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
  double d = 0;  // a double beyond int64 has no int64 value (the cast would be undefined)
  if (!v.get(d) && d >= -9.2e18 && d <= 9.2e18) return static_cast<std::int64_t>(d);
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
