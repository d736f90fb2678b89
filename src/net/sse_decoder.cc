#include "net/sse_decoder.h"

namespace llmbench::net {

void SseDecoder::begin_event_if_needed() {
  if (in_event_) return;
  in_event_ = true;
  event_started_at_ = line_started_at_;
}

void SseDecoder::add_data(std::string_view value, LineStorage storage) {
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
}

void SseDecoder::reset_event() {
  in_event_ = false;
  data_lines_ = 0;
  data_owned_ = false;
  data_view_ = {};
  data_.clear();
  event_name_.clear();
  error_field_ = false;
}

}  // namespace llmbench::net
