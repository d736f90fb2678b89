#pragma once
// Per-request figures (METRICS.md M9–M12) derived from RequestRecords, and the run summary
// (M16–M20, M31–M35, M40) over them, aggregated as records stream in so a run of any length
// needs bounded memory. Computed once here; reporters only format.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/record.h"
#include "metrics/distribution.h"
#include "metrics/slo.h"
#include "metrics/stats.h"

namespace llmbench::metrics {

// One figure the engine reported, beside the client's measurement of the same thing
// (METRICS.md M43: delta = native − client).
struct NativeComparison {
  std::string name;  // "prompt_eval_duration", "eval_duration", "total_duration", "ttft"…
  double native = 0;
  std::optional<double> client;
  std::optional<double> delta;
};

// Client-measured figures of one request, in seconds.
struct RequestMetrics {
  std::optional<double> ttft;          // M9: first content arrival − send
  std::optional<double> e2e;           // M11: end − send
  std::optional<double> tpot;          // M12: (end − first) / (output tokens − 1), ≥ 2 tokens
  std::optional<double> ttft_sched;    // M9 open loop: first content arrival − scheduled time
  std::optional<double> e2e_sched;     // M11 open loop: end − scheduled time
  std::optional<double> schedule_lag;  // M40: send − scheduled time
  std::vector<double> itl;             // M10: gaps between consecutive content arrivals
  std::int64_t output_tokens = 0;      // M5 (engine count, else client count)
  std::vector<NativeComparison> native;  // every native timing the engine reported
  // M35: the request asked for an exact length and the output differs from it.
  bool output_length_mismatch = false;
};

// `forced_length`: the run asked the engine for exactly max_tokens (ignore_eos).
RequestMetrics derive(const RequestRecord& record, bool forced_length = false);

// One window of the run's time series. Requests are placed by when things happened: a
// request is started in the window of its send, completed/failed in the window of its end,
// its tokens in the windows they arrived in, its TTFT in the window of its first token.
struct TimeWindow {
  double start = 0;                    // s from the run start
  std::uint64_t requests_started = 0;  // sent in this window
  std::uint64_t requests_completed = 0;
  std::uint64_t requests_failed = 0;
  std::int64_t output_tokens = 0;  // tokens that arrived in this window
  double busy = 0;                 // request-seconds in flight within the window
  Histogram ttft{8};               // ≤ 0.8 % bucket width: enough for plots
  Histogram itl{8};
};

struct SloResult {
  Slo slo;
  double actual = 0;  // the percentile over the run's measured successful requests
  bool met = false;
};

// How hard llmbench itself worked (M39).
struct ClientHealth {
  std::vector<double> worker_cpu;  // fraction of one core per worker thread, 0..1
  double process_cpu = 0;          // cores used by the whole process (user + system)
  bool client_bound = false;       // a worker reached 80 % of a core or lag p99 > 10 ms
  std::string reason;              // why client_bound, empty otherwise
};

struct RunSummary {
  std::size_t requests = 0;  // measured records (sent or attempted; warm-up/cool-down apart)
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::size_t warmup_requests = 0;     // recorded, not in any statistic below
  std::size_t cooldown_requests = 0;   // recorded, not in any statistic below
  double duration = 0;                 // s: first send to last end of the measured requests
  Stats ttft, itl, tpot, e2e;          // over successful requests
  Stats ttft_sched, e2e_sched;         // from the scheduled time (open loop)
  Stats schedule_lag;                  // M40, over every request that was sent
  double request_throughput = 0;       // M16: successful requests / duration
  double output_token_throughput = 0;  // M17: Σ output tokens of successful requests / duration
  double total_token_throughput = 0;   // M18: Σ (prompt + output) tokens / duration
  // Completion rate between the first and the last successful completion: (n − 1) / span.
  // Unlike M16 it is not diluted by the ramp-up before the first completion, so it is what a
  // sweep compares with the offered rate.
  double completion_rate = 0;
  double mean_concurrency = 0;  // M20: request-seconds in flight / duration
  double success_rate = 0;      // M31: succeeded / requests (0..1)
  std::int64_t output_tokens = 0;
  std::int64_t prompt_tokens = 0;             // engine-reported, where reported
  std::map<std::string, std::size_t> errors;  // M32: count per category name
  std::uint64_t retries = 0;                  // M34: attempts after the first, all requests
  std::size_t requests_retried = 0;           // requests that needed at least one retry
  // Requests written again after their write failed on a kept-alive connection (net/), all
  // requests; not part of `retries`.
  std::uint64_t resends = 0;
  // M35: of successful requests that forced an exact length, the fraction that got it;
  // nullopt when no request forced one.
  std::optional<double> output_length_accuracy;
  std::size_t output_length_mismatches = 0;
  std::size_t cold_starts = 0;  // requests that loaded the model (Ollama)
  // Prompt lengths: successful requests with a target whose engine reported a prompt count
  // (checked), those where the count differed from the target (mismatches), and the most
  // common difference, reported − target (a chat template's own tokens show up here).
  std::size_t prompt_length_checked = 0;
  std::size_t prompt_length_mismatches = 0;
  std::optional<double> prompt_length_mismatch_rate;
  std::int64_t prompt_length_offset = 0;
  // M19, with the SLOs given: requests meeting every per-request objective / duration.
  std::optional<double> goodput;
  std::size_t good_requests = 0;
  std::vector<SloResult> slos;
  // Native figures beside client ones, over successful requests that reported them.
  struct NativeSummary {
    Stats native, client, delta;
  };
  std::map<std::string, NativeSummary> native;
  double window = 1;  // s, width of each time-series window
  std::vector<TimeWindow> time_series;
  ClientHealth client;
};

struct AggregatorOptions {
  bool forced_length = false;
  std::vector<Slo> slos;
  double window = 1;  // s
  std::size_t exact_limit = Distribution::kDefaultExactLimit;
};

// Folds records into the summary one at a time. Not thread-safe: one thread adds.
class Aggregator {
 public:
  // `origin`: the run's start; time-series windows count from it.
  Aggregator(TimePoint origin, AggregatorOptions options);
  void add(const RequestRecord& record, const RequestMetrics& metrics);
  [[nodiscard]] RunSummary finish() const;
  [[nodiscard]] const AggregatorOptions& options() const { return options_; }

 private:
  [[nodiscard]] std::size_t window_index(TimePoint t) const;
  TimeWindow& window_at(TimePoint t);
  TimeWindow& window(std::size_t index);  // created, with those before it, on first use
  void add_to_time_series(const RequestRecord& record, const RequestMetrics& metrics);

  TimePoint origin_;
  AggregatorOptions options_;
  RunSummary counts_;  // counters only; statistics live below
  Distribution ttft_, itl_, tpot_, e2e_, ttft_sched_, e2e_sched_, lag_;
  std::map<std::string, std::array<Distribution, 3>> native_;  // native, client, delta
  std::vector<Distribution> slo_values_;                       // one per SLO
  std::size_t forced_ = 0;
  std::map<std::int64_t, std::size_t> prompt_differences_;  // reported − target → requests
  TimePoint first_send_ = TimePoint::max();
  TimePoint last_end_ = TimePoint::min();
  TimePoint first_done_ = TimePoint::max();
  TimePoint last_done_ = TimePoint::min();
  double busy_ = 0;
  std::int64_t total_tokens_ = 0;
  std::vector<TimeWindow> windows_;
};

// Convenience for a finished list of records: every record added to one Aggregator.
RunSummary summarize(const std::vector<RequestRecord>& records, TimePoint started,
                     bool forced_length = false);

}  // namespace llmbench::metrics
