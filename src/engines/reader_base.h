#pragma once
// What every adapter's ResponseReader shares: HTTP error handling with the engine's
// message, choosing the framing from the status and Content-Type, first-error-wins, token
// events, and the end-of-response verdict (complete, truncated, protocol error).

#include <simdjson.h>

#include <optional>
#include <string>

#include "engines/engine.h"

namespace llmbench::engines {

// Case-insensitive header lookup.
std::optional<std::string_view> find_header(std::span<const net::Header> headers,
                                            std::string_view name);

// Reads a Retry-After header given in seconds into the record (HTTP-dates are ignored).
void note_retry_after(std::span<const net::Header> headers, RequestRecord& record);

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

  void set_error(ErrorCategory category, std::string message);
  // When `root` has an "error" member (a string or {"message": …}), records an engine_error
  // with that message, prefixed by `kind` ("validation: …") when given, and returns true.
  bool record_engine_error(simdjson::dom::element root,
                           std::optional<std::string_view> kind = std::nullopt);
  // One arrival of generated output (bytes of text, tokens it holds).
  void add_output(TimePoint arrival, std::size_t text_bytes, std::uint32_t tokens = 1);
  // The engine signalled the end of the response (finish reason, [DONE], done:true…).
  void mark_done() { done_ = true; }

  // Parses `payload` as a JSON document with a per-thread DOM parser; on failure records a
  // protocol error naming the frame and returns nullopt.
  std::optional<simdjson::dom::element> parse_json(std::string_view payload);

  RequestRecord& record_;
  bool stream_;

 private:
  Framing stream_framing_;
  int status_ = 0;
  bool streaming_body_ = false;
  bool got_payload_ = false;
  bool done_ = false;
  std::string scratch_;
};

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
