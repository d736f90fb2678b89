#pragma once
// Incremental Server-Sent Events decoder (WHATWG "event stream" interpretation).
//
// Bytes are fed as they arrive, split anywhere; complete events are delivered through a
// callback as string_views that stay valid only during the call. No allocation happens on
// the fast path (an event whose single data line lies inside one fed chunk); a line split
// across feeds or a multi-line event is assembled in buffers whose capacity is reused.
//
// Handled: CRLF, LF and lone CR line ends (a CR that ends one feed and an LF that starts the
// next are one line end), "data:" with or without one leading space, several data lines
// joined with '\n', comment lines (":" keep-alives, counted), "event:" names, and the
// non-standard "error:" field of older llama.cpp builds (reported as an error event).
//
// Memory is bounded: the bytes held for the event being received (its data so far and the
// line not yet complete) never exceed the frame limit, checked before anything is copied.
// Past it the decoder fails: over_limit() turns true and every later byte is ignored.

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace llmbench::net {

struct SseEvent {
  std::string_view data;        // data lines joined with '\n' (may be empty)
  std::string_view event_name;  // value of the "event:" field, empty when absent
  bool error_field = false;     // the payload came from an "error:" field line
  TimePoint first_byte_at{};    // arrival time of the event's first byte
};

class SseDecoder {
 public:
  // Limit on the bytes held for one event: its data lines so far plus the line being
  // received (docs/limits.md, "Size limits"). Real events are a few hundred bytes; the
  // largest legitimate ones (a whole non-streamed answer sent as one event) are far below.
  static constexpr std::size_t kMaxFrameBytes = std::size_t{16} << 20;
  static constexpr std::string_view kOverLimitMessage = "SSE frame over 16 MiB";

  // `max_frame_bytes` other than the default is for tests.
  explicit SseDecoder(std::size_t max_frame_bytes = kMaxFrameBytes)
      : max_frame_bytes_(max_frame_bytes) {}

  // Feeds one chunk of bytes that arrived at `arrival`; calls on_event(const SseEvent&) for
  // every event completed by this chunk, in order.
  template <class OnEvent>
  void feed(std::string_view bytes, TimePoint arrival, OnEvent&& on_event);

  // End of stream: an event whose lines were all complete but which lacked the final blank
  // line is still delivered (servers that close right after the last data line); an
  // unterminated trailing line is dropped and counted in truncated_bytes().
  template <class OnEvent>
  void finish(OnEvent&& on_event);

  // Whether an event outgrew the frame limit; the stream is then unusable.
  [[nodiscard]] bool over_limit() const { return over_limit_; }
  [[nodiscard]] std::size_t comments() const { return comments_; }
  [[nodiscard]] std::size_t truncated_bytes() const { return truncated_bytes_; }

 private:
  enum class LineStorage { kInput, kCarry };
  template <class OnEvent>
  void on_line(std::string_view line, LineStorage storage, OnEvent& on_event);
  void begin_event_if_needed();
  // Adds a data line; false (and the decoder failed) when the event would pass the limit.
  bool add_data(std::string_view value, LineStorage storage);
  [[nodiscard]] std::size_t data_size() const;
  // Holds `piece` of an incomplete line; false (and the decoder failed) past the limit.
  bool carry(std::string_view piece, TimePoint arrival);
  void fail();
  void reset_event();

  std::size_t max_frame_bytes_;
  bool over_limit_ = false;
  bool skip_lf_ = false;          // the last feed ended with a CR: an LF next ends nothing
  std::string carry_;             // partial line held across feeds (never holds a CR)
  TimePoint carry_started_at_{};  // arrival of the carried line's first byte
  TimePoint line_started_at_{};   // arrival of the current line's first byte

  bool in_event_ = false;
  TimePoint event_started_at_{};
  int data_lines_ = 0;
  bool data_owned_ = false;     // data lives in data_ rather than data_view_
  std::string_view data_view_;  // single data line inside the chunk being fed
  std::string data_;
  std::string event_name_;
  bool error_field_ = false;

  std::size_t comments_ = 0;
  std::size_t truncated_bytes_ = 0;
};

// ---- implementation (templates) ----

template <class OnEvent>
void SseDecoder::feed(std::string_view bytes, TimePoint arrival, OnEvent&& on_event) {
  if (over_limit_ || bytes.empty()) return;
  std::size_t pos = 0;
  if (skip_lf_) {
    skip_lf_ = false;
    if (bytes.front() == '\n') pos = 1;
  }
  // Position of the next CR at or after `pos`, searched again only once passed: an LF-only
  // stream costs one search per feed, a CRLF one a short search per line.
  std::size_t next_cr = 0;
  bool cr_known = false;
  while (pos < bytes.size()) {
    if (!cr_known || (next_cr != std::string_view::npos && next_cr < pos)) {
      next_cr = bytes.find('\r', pos);
      cr_known = true;
    }
    // The line ends at the first LF before the next CR, else at that CR (alone or in a CRLF).
    const std::size_t search_end = next_cr == std::string_view::npos ? bytes.size() : next_cr;
    std::size_t end = std::string_view(bytes.data(), search_end).find('\n', pos);
    std::size_t next = end + 1;  // where the next line starts
    if (end == std::string_view::npos) {
      if (next_cr == std::string_view::npos) {
        carry(bytes.substr(pos), arrival);
        break;
      }
      end = next_cr;
      next = end + 1;
      if (next < bytes.size()) {
        if (bytes[next] == '\n') ++next;  // CRLF
      } else {
        skip_lf_ = true;  // the LF of a CRLF may start the next feed
      }
    }
    std::string_view line;
    LineStorage storage = LineStorage::kInput;
    if (!carry_.empty()) {
      if (!carry(bytes.substr(pos, end - pos), arrival)) return;
      line = carry_;
      storage = LineStorage::kCarry;
      line_started_at_ = carry_started_at_;
    } else {
      line = bytes.substr(pos, end - pos);
      if (line.size() + data_size() > max_frame_bytes_) {
        fail();
        return;
      }
      line_started_at_ = arrival;
    }
    on_line(line, storage, on_event);
    if (over_limit_) return;
    if (storage == LineStorage::kCarry) carry_.clear();
    pos = next;
  }
  // A data line kept as a view into `bytes` must not outlive this call.
  if (data_lines_ > 0 && !data_owned_) {
    data_.assign(data_view_);
    data_owned_ = true;
  }
}

template <class OnEvent>
void SseDecoder::finish(OnEvent&& on_event) {
  skip_lf_ = false;
  if (over_limit_) return;
  truncated_bytes_ += carry_.size();
  carry_.clear();
  if (data_lines_ > 0) on_line(std::string_view{}, LineStorage::kInput, on_event);
  reset_event();
}

template <class OnEvent>
void SseDecoder::on_line(std::string_view line, LineStorage storage, OnEvent& on_event) {
  if (line.empty()) {  // blank line: dispatch
    if (data_lines_ > 0) {
      SseEvent event;
      event.data = data_owned_ ? std::string_view(data_) : data_view_;
      event.event_name = event_name_;
      event.error_field = error_field_;
      event.first_byte_at = event_started_at_;
      on_event(static_cast<const SseEvent&>(event));
    }
    reset_event();
    return;
  }
  if (line.front() == ':') {
    ++comments_;
    return;
  }
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  begin_event_if_needed();
  if (field == "data") {
    add_data(value, storage);
  } else if (field == "error") {
    error_field_ = true;
    add_data(value, storage);
  } else if (field == "event") {
    event_name_.assign(value);
  }
  // "id", "retry" and unknown fields are ignored, as the SSE specification says.
}

}  // namespace llmbench::net
