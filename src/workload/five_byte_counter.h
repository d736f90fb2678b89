#pragma once
// For tests: a token counter with the simulator's rule — a BOS token, then one token per
// started 5 bytes of each space-separated word ("time" 1, "government" 2) — standing in for
// an engine whose counts are not words.

#include "workload/workload.h"

namespace llmbench::workload {

class FiveByteCounter final : public TokenCounter {
 public:
  Expected<std::int64_t> count(std::string_view text) override {
    ++calls;
    std::int64_t n = 1;
    std::size_t run = 0;
    for (const char c : text) {
      if (c == ' ') {
        n += static_cast<std::int64_t>((run + 4) / 5);
        run = 0;
      } else {
        ++run;
      }
    }
    return n + static_cast<std::int64_t>((run + 4) / 5);
  }
  int calls = 0;
};

}  // namespace llmbench::workload
