#pragma once
// What a use case tells the one who runs it while it works. The CLI prints notes on stderr
// and draws the live dashboard; a test or a server may ignore them or collect them.

#include <cstdint>
#include <string_view>

#include "metrics/live.h"

namespace llmbench::app {

// The run in progress; readable from any thread.
class RunProgress {
 public:
  virtual ~RunProgress() = default;
  [[nodiscard]] virtual std::uint64_t done() const = 0;
  [[nodiscard]] virtual std::uint64_t failed() const = 0;
  // Everything the dashboard shows, as of now: the counts, the level running, and the
  // figures of the last completed window (computed off the measuring threads). Cheap enough
  // to call a few times a second; never blocks on a measuring thread.
  [[nodiscard]] virtual metrics::LiveSnapshot snapshot() const = 0;
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // A line of information before or after the run ("engine: vllm 0.11.0 …", "prompts: …").
  // Called on the thread that called the use case.
  virtual void note(std::string_view /*line*/) {}
  // The clock is about to start; `progress` stays valid until finished().
  virtual void started(const RunProgress& /*progress*/) {}
  virtual void finished() {}
};

}  // namespace llmbench::app
