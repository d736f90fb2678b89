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
#include "metrics/time_series.h"

namespace llmbench::metrics {

// One figure the engine reported, beside the client's measurement of the same thing
// (METRICS.md M43: delta = native − client).
struct NativeComparison {
  std::string name;  // "prompt_eval_duration", "eval_duration", "total_duration", "ttft"…
  double native = 0;
  std::optional<double> client;
  std::optional<double> delta;
};

// Client-measured figures of one request, in seconds. A figure the request could not show is
// nullopt (empty for itl): a non-streamed request has ttft (= e2e: the user saw its first
// token with the whole body), e2e and their _sched forms, but no tpot, no itl, and no client
// decode or prefill time to set beside the engine's.
struct RequestMetrics {
  std::optional<double> ttft;        // M9: first content arrival − send
  std::optional<double> e2e;         // M11: end − send
  std::optional<double> tpot;        // M12: (end − first) / (output tokens − 1), ≥ 2 tokens,
                                     //      streamed requests only
  std::optional<double> ttft_sched;  // M9 open loop: first content arrival − scheduled time
  std::optional<double> e2e_sched;   // M11 open loop: end − scheduled time
  std::optional<double> schedule_lag;    // M40: send − scheduled time
  std::vector<double> itl;               // M10: gaps between consecutive content arrivals
  std::int64_t output_tokens = 0;        // M5 (engine count, else client count)
  std::vector<NativeComparison> native;  // every native timing the engine reported
  // M35: the request asked for an exact length and the output differs from it.
  bool output_length_mismatch = false;
};

// `forced_length`: the run asked the engine for exactly max_tokens (ignore_eos).
RequestMetrics derive(const RequestRecord& record, bool forced_length = false);

// One objective judged over every measured request that finished: a failed request (timed
// out included) counts as an infinitely long latency, so it violates the objective; for
// `itl` it counts as max(1, max_tokens − 1) infinite gaps (the gaps it did not deliver).
// Cancelled requests are left out. A successful request without the figure (tpot of a
// one-token or non-streamed output) is left out too.
struct SloResult {
  Slo slo;
  // The objective's percentile over those values; nullopt when it falls on a failed request
  // (the latency is unbounded) or when there is nothing to judge.
  std::optional<double> actual;
  bool met = false;          // actual is known and ≤ the threshold
  std::size_t samples = 0;   // values judged (requests, or gaps for itl), failures included
  std::size_t failures = 0;  // of them, infinite values standing for failed requests
};

// How hard llmbench itself worked (M39).
struct ClientHealth {
  std::vector<double> worker_cpu;  // fraction of one core per worker thread, 0..1
  double process_cpu = 0;          // cores used by the whole process (user + system)
  bool client_bound = false;       // a worker reached 80 % of a core or lag p99 > 10 ms
  std::string reason;              // why client_bound, empty otherwise
};

struct RunSummary {
  // Measured records (sent or attempted; warm-up/cool-down apart): succeeded + failed +
  // cancelled.
  std::size_t requests = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;     // ended by an error other than cancellation
  std::size_t cancelled = 0;  // aborted by Ctrl-C/SIGTERM or the run stopping: no verdict

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
  // sweep compares with the offered rate. 0 when not measured (fewer than two successful
  // completions, or all at one instant): reporters show it as absent.
  double completion_rate = 0;
  double mean_concurrency = 0;  // M20: request-seconds in flight / duration
  double success_rate = 0;      // M31: succeeded / (succeeded + failed), 0..1; cancelled apart
  // Cost (M44-M46), from the price of a GPU-hour and the GPU count over `duration`; absent
  // without a price (tokens per GPU-second: without a GPU count) or without output.
  std::optional<double> cost_per_million_output_tokens;
  std::optional<double> cost_per_thousand_requests;
  std::optional<double> output_tokens_per_gpu_second;
  std::int64_t output_tokens = 0;
  std::int64_t prompt_tokens = 0;             // engine-reported, where reported
  std::map<std::string, std::size_t> errors;  // M32: count per category name, of `failed`
  std::uint64_t retries = 0;                  // M34: attempts after the first, all requests
  std::size_t requests_retried = 0;           // requests that needed at least one retry
  // Requests written again after their write failed on a kept-alive connection (net/), all
  // requests; not part of `retries`.
  std::uint64_t resends = 0;
  // Bytes of text from the network that were not UTF-8 (replaced by U+FFFD), all requests.
  std::uint64_t invalid_utf8_bytes = 0;
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
  double window = 1;       // s, width of each time-series window
  TimeSeries time_series;  // shared, not copied, between copies of the summary
  ClientHealth client;
};

struct AggregatorOptions {
  bool forced_length = false;
  std::vector<Slo> slos;
  double window = 1;  // s
  // Keep the time series. An aggregator whose summary's time series nobody reads (the one
  // level of a single run, whose summary the run's replaces) can skip it: it is the
  // aggregator's one structure that grows with the run's length.
  bool time_series = true;
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
  TimeWindow& window_at(TimePoint t) { return series_.at(window_index(t)); }
  void add_to_time_series(const RequestRecord& record, const RequestMetrics& metrics);

  TimePoint origin_;
  AggregatorOptions options_;
  RunSummary counts_;  // counters only; statistics live below
  Distribution ttft_, itl_, tpot_, e2e_, ttft_sched_, e2e_sched_, lag_;
  std::map<std::string, std::array<Distribution, 3>> native_;  // native, client, delta
  std::vector<Distribution> slo_values_;                       // one per SLO
  std::vector<std::size_t> slo_failures_;  // per SLO: infinite values for failed requests
  std::size_t forced_ = 0;
  std::map<std::int64_t, std::size_t> prompt_differences_;  // reported − target → requests
  TimePoint first_send_ = TimePoint::max();
  TimePoint last_end_ = TimePoint::min();
  TimePoint first_done_ = TimePoint::max();
  TimePoint last_done_ = TimePoint::min();
  double busy_ = 0;
  std::int64_t total_tokens_ = 0;
  TimeSeries series_;
};

// Fills the cost figures of `s` from the price of one GPU-hour and the GPUs used (both as
// given: a figure whose input is absent stays absent, as does one over no output).
void add_cost(RunSummary& s, std::optional<double> gpu_hourly_cost, std::optional<int> gpus);

// Convenience for a finished list of records: every record added to one Aggregator.
RunSummary summarize(const std::vector<RequestRecord>& records, TimePoint started,
                     bool forced_length = false);

}  // namespace llmbench::metrics
