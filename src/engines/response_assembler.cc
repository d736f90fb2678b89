#include "engines/response_assembler.h"

#include "engines/reader_base.h"

namespace llmbench::engines {

ErrorCategory category_for_exchange(net::ExchangeStatus status) {
  switch (status) {
    case net::ExchangeStatus::kConnectFailed:
      return ErrorCategory::kConnect;
    case net::ExchangeStatus::kTlsFailed:
      return ErrorCategory::kTls;
    case net::ExchangeStatus::kTimeoutConnect:
      return ErrorCategory::kTimeoutConnect;
    case net::ExchangeStatus::kTimeoutFirstToken:
      return ErrorCategory::kTimeoutFirstToken;
    case net::ExchangeStatus::kTimeoutIdle:
      return ErrorCategory::kTimeoutIdle;
    case net::ExchangeStatus::kTimeoutTotal:
      return ErrorCategory::kTimeoutTotal;
    case net::ExchangeStatus::kClosedEarly:
      return ErrorCategory::kTruncated;
    case net::ExchangeStatus::kBadResponse:
    case net::ExchangeStatus::kRedirect:
      return ErrorCategory::kProtocol;
    case net::ExchangeStatus::kClientResource:
      return ErrorCategory::kClient;
    case net::ExchangeStatus::kCancelled:
      return ErrorCategory::kCancelled;
    case net::ExchangeStatus::kOk:
      break;
  }
  return ErrorCategory::kProtocol;
}

void ResponseAssembler::on_head(int status, std::span<const net::Header> headers) {
  head_seen_ = true;
  record_.http_status = status;
  framing_ = reader_.on_head(status, headers);
}

void ResponseAssembler::deliver(std::string_view payload, TimePoint arrival, bool error_field) {
  reader_.on_frame(Frame{payload, arrival, error_field});
}

void ResponseAssembler::framing_failed(std::string_view message) {
  framing_failed_ = true;
  if (!record_.error) record_.error = RequestError{ErrorCategory::kProtocol, std::string(message)};
}

void ResponseAssembler::on_body(std::string_view bytes, TimePoint arrival) {
  if (bytes.empty() || framing_failed_) return;
  switch (framing_) {
    case Framing::kSse:
      sse_.feed(bytes, arrival, [this](const net::SseEvent& e) {
        deliver(e.data, e.first_byte_at, e.error_field);
      });
      if (sse_.over_limit()) framing_failed(net::SseDecoder::kOverLimitMessage);
      break;
    case Framing::kNdjson:
      ndjson_.feed(bytes, arrival,
                   [this](std::string_view line, TimePoint at) { deliver(line, at, false); });
      if (ndjson_.over_limit()) framing_failed(net::NdjsonDecoder::kOverLimitMessage);
      break;
    case Framing::kWholeBody:
      if (body_.empty()) body_started_at_ = arrival;
      body_.append(bytes);
      break;
  }
}

void ResponseAssembler::finish(const net::ExchangeResult& result) {
  record_.sent = result.sent;
  record_.t_send = result.t_send;
  record_.t_end = result.t_end;
  if (head_seen_) {
    switch (framing_) {
      case Framing::kSse:
        sse_.finish(
            [this](const net::SseEvent& e) { deliver(e.data, e.first_byte_at, e.error_field); });
        break;
      case Framing::kNdjson:
        ndjson_.finish([this](std::string_view line, TimePoint at) { deliver(line, at, false); });
        break;
      case Framing::kWholeBody:
        // A whole body that was cut short is not parsed: it would be a misleading protocol
        // error when the real cause is the transport's.
        if (result.status == net::ExchangeStatus::kOk) deliver(body_, body_started_at_, false);
        break;
    }
  }
  if (result.status != net::ExchangeStatus::kOk) {
    // An error the engine itself reported (mid-stream error event), or a frame over the
    // limit, explains the failure better than the transport's symptom of it, so it is kept.
    if (!framing_failed_ &&
        (!record_.error || record_.error->category != ErrorCategory::kEngineError)) {
      record_.error = RequestError{
          category_for_exchange(result.status),
          network_text(result.message, kMaxErrorMessageBytes, record_.invalid_utf8_bytes)};
    }
    return;
  }
  reader_.on_end();
}

}  // namespace llmbench::engines
