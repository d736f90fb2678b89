#pragma once
// The one interface every engine adapter implements. Adapters are pure translation: a
// RequestSpec becomes request bytes, response frames become TokenEvents, usage, a finish
// reason or a categorised error in the RequestRecord. No sockets, no clocks: arrival times
// come in with the frames.

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/record.h"
#include "core/request.h"
#include "net/http_client.h"

namespace llmbench::engines {

// How a response body is cut into frames before the adapter sees it.
enum class Framing {
  kSse,        // text/event-stream: one frame per event's data
  kNdjson,     // one frame per line
  kWholeBody,  // one frame holding the complete body (non-streaming or error responses)
};

struct Frame {
  std::string_view payload;
  TimePoint arrival;         // arrival of the frame's first byte
  bool error_field = false;  // SSE "error:" field (older llama.cpp)
};

// Reads one response into the RequestRecord it was created for. One per request; called on
// the thread that runs the request.
class ResponseReader {
 public:
  virtual ~ResponseReader() = default;
  // Status line and headers arrived; records the status and says how the body is framed.
  virtual Framing on_head(int status, std::span<const net::Header> headers) = 0;
  virtual void on_frame(const Frame& frame) = 0;
  // The body is complete. Decides success, truncation or the HTTP error category.
  virtual void on_end() = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  [[nodiscard]] virtual net::HttpRequest build_request(const RequestSpec& spec) const = 0;
  // `record` must outlive the reader.
  [[nodiscard]] virtual std::unique_ptr<ResponseReader> make_reader(
      const RequestSpec& spec, RequestRecord& record) const = 0;
};

// Extracts a human-readable message from an error body of any engine's shape:
// {"error":{"message":…}}, {"error":"…"}, {"message":…} (flat), or plain text. Always
// well-formed UTF-8 (bytes of the body that are not are replaced by U+FFFD and, when
// `invalid_utf8_bytes` is given, added to it), truncated to 300 bytes at a character boundary.
std::string error_message_from_body(std::string_view body,
                                    std::uint64_t* invalid_utf8_bytes = nullptr);

// The message of an SSE "error:" field (older llama.cpp): error_message_from_body(), or a
// sentence saying the engine gave none, so an error never has an empty message.
std::string error_field_message(std::string_view payload,
                                std::uint64_t* invalid_utf8_bytes = nullptr);

// "HTTP 429: <engine's message> (retry after 1 s)" for a non-2xx response; counts the body's
// invalid UTF-8 into the record.
std::string http_error_message(int status, std::string_view body, RequestRecord& record);

}  // namespace llmbench::engines
