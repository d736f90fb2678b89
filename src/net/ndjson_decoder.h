#pragma once
// Incremental newline-delimited JSON decoder (Ollama's native streams).
//
// Bytes are fed as they arrive, split anywhere; each complete, non-blank line is delivered as
// a string_view valid only during the callback, with the arrival time of its first byte.
// LF and CRLF line ends are accepted. No allocation on the fast path (a line inside one
// chunk); a line split across feeds is assembled in a reused buffer.
//
// Memory is bounded: a line longer than the line limit fails the decoder (over_limit()),
// checked before anything is copied; every later byte is ignored.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace llmbench::net {

class NdjsonDecoder {
 public:
  // Limit on one line, its line end included (docs/limits.md, "Size limits").
  static constexpr std::size_t kMaxLineBytes = std::size_t{16} << 20;
  static constexpr std::string_view kOverLimitMessage = "NDJSON line over 16 MiB";

  // `max_line_bytes` other than the default is for tests.
  explicit NdjsonDecoder(std::size_t max_line_bytes = kMaxLineBytes)
      : max_line_bytes_(max_line_bytes) {}

  // Calls on_line(std::string_view line, TimePoint first_byte_at) per complete line.
  template <class OnLine>
  void feed(std::string_view bytes, TimePoint arrival, OnLine&& on_line);

  // End of stream: a final line without its newline is still delivered (it may be a
  // complete JSON object; the consumer decides).
  template <class OnLine>
  void finish(OnLine&& on_line);

  // Whether a line outgrew the limit; the stream is then unusable.
  [[nodiscard]] bool over_limit() const { return over_limit_; }

 private:
  static bool is_blank(std::string_view line);
  void fail() {
    over_limit_ = true;
    std::string().swap(carry_);
  }
  std::size_t max_line_bytes_;
  bool over_limit_ = false;
  std::string carry_;
  TimePoint carry_started_at_{};
};

template <class OnLine>
void NdjsonDecoder::feed(std::string_view bytes, TimePoint arrival, OnLine&& on_line) {
  if (over_limit_) return;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t nl = bytes.find('\n', pos);
    // Bytes of the line so far, its LF included when it arrived.
    const std::size_t piece = (nl == std::string_view::npos ? bytes.size() : nl + 1) - pos;
    if (carry_.size() + piece > max_line_bytes_) {
      fail();
      return;
    }
    if (nl == std::string_view::npos) {
      if (carry_.empty()) carry_started_at_ = arrival;
      carry_.append(bytes.substr(pos));
      return;
    }
    std::string_view line;
    TimePoint started = arrival;
    if (!carry_.empty()) {
      carry_.append(bytes.substr(pos, nl - pos));
      line = carry_;
      started = carry_started_at_;
    } else {
      line = bytes.substr(pos, nl - pos);
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!is_blank(line)) on_line(line, started);
    carry_.clear();
    pos = nl + 1;
  }
}

template <class OnLine>
void NdjsonDecoder::finish(OnLine&& on_line) {
  if (over_limit_) return;
  std::string_view line = carry_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!is_blank(line)) on_line(line, carry_started_at_);
  carry_.clear();
}

inline bool NdjsonDecoder::is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace llmbench::net
