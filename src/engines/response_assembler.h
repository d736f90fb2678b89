#pragma once
// Joins the transport to an adapter: receives de-chunked body bytes with their arrival
// times, cuts them into frames with the framing the adapter asked for (SSE, NDJSON, whole
// body) and feeds the frames to the adapter's ResponseReader. Then maps the transport's
// outcome onto the record. Pure; tested by feeding fixtures split at every byte.

#include <string>

#include "engines/engine.h"
#include "net/http_client.h"
#include "net/ndjson_decoder.h"
#include "net/sse_decoder.h"

namespace llmbench::engines {

class ResponseAssembler final : public net::ResponseHandler {
 public:
  ResponseAssembler(ResponseReader& reader, RequestRecord& record)
      : reader_(reader), record_(record) {}

  void on_head(int status, std::span<const net::Header> headers) override;
  void on_body(std::string_view bytes, TimePoint arrival) override;
  [[nodiscard]] bool first_token_seen() const override {
    return !record_.events.empty() || record_.error.has_value();
  }

  // Called once with the exchange's outcome: flushes the framing, stamps send/end times and
  // sets the record's error from the transport when the adapter has not set one.
  void finish(const net::ExchangeResult& result);

  [[nodiscard]] std::size_t sse_comments() const { return sse_.comments(); }

 private:
  void deliver(std::string_view payload, TimePoint arrival, bool error_field);
  // The SSE or NDJSON decoder passed its size limit: a protocol error; later bytes ignored.
  void framing_failed(std::string_view message);
  ResponseReader& reader_;
  RequestRecord& record_;
  Framing framing_ = Framing::kWholeBody;
  bool head_seen_ = false;
  bool framing_failed_ = false;
  net::SseDecoder sse_;
  net::NdjsonDecoder ndjson_;
  std::string body_;
  TimePoint body_started_at_{};
};

// Error category for a transport failure.
ErrorCategory category_for_exchange(net::ExchangeStatus status);

}  // namespace llmbench::engines
