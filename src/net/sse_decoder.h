#pragma once
// Incremental Server-Sent Events decoder (WHATWG "event stream" interpretation).
//
// Bytes are fed as they arrive, split anywhere; complete events are delivered through a
// callback as string_views that stay valid only during the call. No allocation happens on
// the fast path (an event whose single data line lies inside one fed chunk); a line split
// across feeds or a multi-line event is assembled in buffers whose capacity is reused.
//
// Handled: LF and CRLF line ends, "data:" with or without one leading space, several data
// lines joined with '\n', comment lines (":" keep-alives, counted), "event:" names, and the
// non-standard "error:" field of older llama.cpp builds (reported as an error event).

#include <cstddef>
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
  // Feeds one chunk of bytes that arrived at `arrival`; calls on_event(const SseEvent&) for
  // every event completed by this chunk, in order.
  template <class OnEvent>
  void feed(std::string_view bytes, TimePoint arrival, OnEvent&& on_event);

  // End of stream: an event whose lines were all complete but which lacked the final blank
  // line is still delivered (servers that close right after the last data line); an
  // unterminated trailing line is dropped and counted in truncated_bytes().
  template <class OnEvent>
  void finish(OnEvent&& on_event);

  [[nodiscard]] std::size_t comments() const { return comments_; }
  [[nodiscard]] std::size_t truncated_bytes() const { return truncated_bytes_; }

 private:
  enum class LineStorage { kInput, kCarry };
  template <class OnEvent>
  void on_line(std::string_view line, LineStorage storage, OnEvent& on_event);
  void begin_event_if_needed();
  void add_data(std::string_view value, LineStorage storage);
  void reset_event();

  std::string carry_;             // partial line held across feeds
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
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (carry_.empty()) carry_started_at_ = arrival;
      carry_.append(bytes.substr(pos));
      break;
    }
    std::string_view line;
    LineStorage storage = LineStorage::kInput;
    if (!carry_.empty()) {
      carry_.append(bytes.substr(pos, nl - pos));
      line = carry_;
      storage = LineStorage::kCarry;
      line_started_at_ = carry_started_at_;
    } else {
      line = bytes.substr(pos, nl - pos);
      line_started_at_ = arrival;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(line, storage, on_event);
    if (storage == LineStorage::kCarry) carry_.clear();
    pos = nl + 1;
  }
  // A data line kept as a view into `bytes` must not outlive this call.
  if (data_lines_ > 0 && !data_owned_) {
    data_.assign(data_view_);
    data_owned_ = true;
  }
}

template <class OnEvent>
void SseDecoder::finish(OnEvent&& on_event) {
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
