#include "net/sse_decoder.h"

namespace llmbench::net {

namespace {
// Buffers that grew past this for one large event are released rather than kept.
constexpr std::size_t kKeptCapacity = std::size_t{1} << 20;

void clear_buffer(std::string& buffer) {
  if (buffer.capacity() > kKeptCapacity) {
    std::string().swap(buffer);
  } else {
    buffer.clear();
  }
}
}  // namespace

void SseDecoder::begin_event_if_needed() {
  if (in_event_) return;
  in_event_ = true;
  event_started_at_ = line_started_at_;
}

std::size_t SseDecoder::data_size() const {
  if (data_lines_ == 0) return 0;
  return data_owned_ ? data_.size() : data_view_.size();
}

bool SseDecoder::carry(std::string_view piece, TimePoint arrival) {
  if (carry_.size() + piece.size() + data_size() > max_frame_bytes_) {
    fail();
    return false;
  }
  if (carry_.empty()) carry_started_at_ = arrival;
  carry_.append(piece);
  return true;
}

bool SseDecoder::add_data(std::string_view value, LineStorage storage) {
  // The joining '\n' counts against the limit too.
  if (data_size() + (data_lines_ > 0 ? 1 : 0) + value.size() > max_frame_bytes_) {
    fail();
    return false;
  }
  if (data_lines_ == 0 && storage == LineStorage::kInput) {
    data_view_ = value;  // fast path: no copy while the chunk is alive
    data_owned_ = false;
  } else {
    if (!data_owned_) {
      data_.assign(data_lines_ > 0 ? data_view_ : std::string_view{});
      data_owned_ = true;
    }
    if (data_lines_ > 0) data_.push_back('\n');
    data_.append(value);
  }
  ++data_lines_;
  return true;
}

void SseDecoder::fail() {
  over_limit_ = true;
  reset_event();
  clear_buffer(carry_);
}

void SseDecoder::reset_event() {
  in_event_ = false;
  data_lines_ = 0;
  data_owned_ = false;
  data_view_ = {};
  clear_buffer(data_);
  event_name_.clear();
  error_field_ = false;
}

}  // namespace llmbench::net
