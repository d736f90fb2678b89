#pragma once
// What every adapter's ResponseReader shares: HTTP error handling with the engine's
// message, choosing the framing from the status and Content-Type, first-error-wins, token
// events, and the end-of-response verdict (complete, truncated, protocol error).

#include <simdjson.h>

#include <optional>
#include <string>

#include "engines/engine.h"

namespace llmbench::engines {

// ---- engine values outside sense (docs/limits.md, "Text from the network") ----
// A count an engine reports (tokens) is an integer from 0 to kMaxEngineTokens; a duration is
// from 0 to kMaxEngineSeconds. Anything else (negative, fractional, absurd, not a number) is
// a protocol error on that request naming the field and value, never clamped or used.
inline constexpr std::int64_t kMaxEngineTokens = 2147483647;  // 2^31 - 1
inline constexpr double kMaxEngineSeconds = 86400.0;          // one day

// The count `value` as an integer, or nullopt when it is outside sense.
std::optional<std::int64_t> sensible_count(double value);
// `value`, in units of which `per_second` make a second (1e3 for ms, 1e9 for ns), as
// seconds, or nullopt outside sense.
std::optional<double> sensible_seconds(double value, double per_second);
// "engine value outside sense: usage.completion_tokens = -5 (a token count is an integer
// from 0 to 2147483647)"; `value` nullopt when the field was not a number.
std::string outside_sense_message(std::string_view field, std::optional<double> value,
                                  bool is_count);

// Longest error message kept in a record (bytes of UTF-8, cut at a character boundary).
inline constexpr std::size_t kMaxErrorMessageBytes = 512;
// Longest finish reason kept in a record.
inline constexpr std::size_t kMaxFinishReasonBytes = 64;

// Text from the network as it may be kept in a record: well-formed UTF-8 (invalid bytes
// replaced by U+FFFD and added to `invalid_bytes`), at most `max_bytes` long.
std::string network_text(std::string_view text, std::size_t max_bytes,
                         std::uint64_t& invalid_bytes);

// Case-insensitive header lookup.
std::optional<std::string_view> find_header(std::span<const net::Header> headers,
                                            std::string_view name);

// Reads a Retry-After header given in seconds into the record (HTTP-dates are ignored).
void note_retry_after(std::span<const net::Header> headers, RequestRecord& record);

// A 2xx answer of Content-Type text/html: a proxy's login page, a dashboard on the port, a
// wrong base path — not the engine's API. Its error names the type and keeps the page's start
// (`payload`, empty when the body was), which says whose page it is.
bool is_html_page(std::string_view content_type);
std::string html_page_message(std::string_view payload);

class ReaderBase : public ResponseReader {
 public:
  // `stream_framing` is how a 2xx streaming body of this engine is framed.
  ReaderBase(const RequestSpec& spec, RequestRecord& record, Framing stream_framing)
      : record_(record), stream_(spec.stream), stream_framing_(stream_framing) {}

  Framing on_head(int status, std::span<const net::Header> headers) final;
  void on_frame(const Frame& frame) final;
  void on_end() final;

 protected:
  // 2xx head: engines that report timings in headers read them here.
  virtual void on_success_head(std::span<const net::Header> /*headers*/) {}
  // One payload of a 2xx response: a stream frame, or the whole body when `whole_body`.
  virtual void on_payload(const Frame& frame, bool whole_body) = 0;

  // Records the request's error (the first one wins), its message made network_text.
  void set_error(ErrorCategory category, std::string_view message);
  // Records the engine's finish reason (as network_text).
  void set_finish_reason(std::string_view reason);
  // Reads the number at `path` ("details.generated_tokens": the last name is the member of
  // `object`) as a count, or as a duration in units of which `per_second` make a second, into
  // `into`. Absent or null leaves `into` as it was; a value outside sense is a protocol error
  // (and false).
  bool read_count(simdjson::dom::element object, std::string_view path,
                  std::optional<std::int64_t>& into);
  bool read_seconds(simdjson::dom::element object, std::string_view path, double per_second,
                    std::optional<double>& into);
  // When `root` has an "error" member (a string or {"message": …}), records an engine_error
  // with that message, prefixed by `kind` ("validation: …") when given, and returns true.
  bool record_engine_error(simdjson::dom::element root,
                           std::optional<std::string_view> kind = std::nullopt);
  // One arrival of generated output (bytes of text, tokens it holds).
  void add_output(TimePoint arrival, std::size_t text_bytes, std::uint32_t tokens = 1);
  // Generated text of this response, in order, for its bounded sample (RequestRecord::
  // output_sample); nothing is copied once the sample is full.
  void keep_sample(std::string_view text);
  // The engine signalled the end of the response (finish reason, [DONE], done:true…).
  void mark_done() { done_ = true; }

  // Parses `payload` as a JSON document with a per-thread DOM parser; on failure records a
  // protocol error naming the frame and returns nullopt. A payload that is not UTF-8 is
  // parsed with its invalid bytes replaced (and counted): the text it carries still counts.
  std::optional<simdjson::dom::element> parse_json(std::string_view payload);

  RequestRecord& record_;
  bool stream_;

 private:
  Framing stream_framing_;
  int status_ = 0;
  bool html_page_ = false;  // a 2xx answer of Content-Type text/html: not the engine's API
  bool streaming_body_ = false;
  bool got_payload_ = false;
  bool done_ = false;
  std::string scratch_;
  std::string repaired_;  // a payload with its invalid UTF-8 replaced
};

// What a JSON member holds where a number is expected.
struct JsonNumber {
  bool present = false;         // the member exists and is not null
  std::optional<double> value;  // its value when it is a number (any JSON number)
};
JsonNumber json_number_member(simdjson::dom::element e, std::string_view key);

// DOM accessors returning nullopt when the key is absent, null or of another type.
std::optional<std::string_view> json_string(simdjson::dom::element e, std::string_view key);
std::optional<std::int64_t> json_int(simdjson::dom::element e, std::string_view key);
std::optional<double> json_number(simdjson::dom::element e, std::string_view key);
std::optional<bool> json_bool(simdjson::dom::element e, std::string_view key);
// The member `key` when it is an object.
std::optional<simdjson::dom::element> json_object(simdjson::dom::element e, std::string_view key);
// The message of an error value that is a string or an object with "message".
std::optional<std::string> json_error_message(simdjson::dom::element e);

}  // namespace llmbench::engines
