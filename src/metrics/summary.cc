#include "metrics/summary.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace llmbench::metrics {

namespace {

void compare(RequestMetrics& m, std::string name, const std::optional<double>& native,
             std::optional<double> client) {
  if (!native) return;
  NativeComparison c{std::move(name), *native, client, std::nullopt};
  if (client) c.delta = *native - *client;
  m.native.push_back(std::move(c));
}

}  // namespace

RequestMetrics derive(const RequestRecord& r, bool forced_length) {
  RequestMetrics m;
  m.output_tokens = r.output_tokens();
  m.output_length_mismatch = forced_length && r.ok() && m.output_tokens != r.max_tokens;
  if (!r.sent) return m;
  m.e2e = to_seconds(r.t_end - r.t_send);
  m.e2e_sched = to_seconds(r.t_end - r.t_sched);
  m.schedule_lag = to_seconds(r.t_send - r.t_sched);
  if (r.has_first_token()) {
    m.ttft = to_seconds(r.t_first() - r.t_send);
    m.ttft_sched = to_seconds(r.t_first() - r.t_sched);
    m.itl.reserve(r.events.size());
    for (std::size_t i = 1; r.stream && i < r.events.size(); ++i) {
      m.itl.push_back(to_seconds(r.events[i].arrival - r.events[i - 1].arrival));
    }
    // A non-streamed response is one arrival at the end: no decode to divide.
    if (r.stream && m.output_tokens >= 2) {
      m.tpot = to_seconds(r.t_end - r.t_first()) / static_cast<double>(m.output_tokens - 1);
    }
  }
  const NativeTimings& n = r.native;
  // Client decode and prefill exist only for a streamed request: a non-streamed one shows no
  // boundary between the two (its single arrival is at the end).
  const std::optional<double> decode =
      r.stream && r.has_first_token() ? std::optional<double>(to_seconds(r.t_end - r.t_first()))
                                      : std::nullopt;
  // Client prefill: TTFT minus the engine's queue time where the engine reports it.
  std::optional<double> prefill = r.stream ? m.ttft : std::nullopt;
  if (prefill && n.queue_time) prefill = *prefill - *n.queue_time;
  compare(m, "load_duration", n.load_duration, std::nullopt);
  compare(m, "queue_time", n.queue_time, std::nullopt);
  compare(m, "prompt_eval_duration", n.prompt_eval_duration, prefill);
  compare(m, "eval_duration", n.eval_duration, decode);
  compare(m, "total_duration", n.total_duration, m.e2e);
  compare(m, "inference_time", n.inference_time, std::nullopt);
  compare(m, "time_per_output_token", n.time_per_output_token, m.tpot);
  compare(m, "ttft", n.ttft, m.ttft);
  return m;
}

namespace {

// The per-request value an SLO limits, where a request has one (ITL is judged per run only:
// a request has many gaps, not one value).
std::optional<double> slo_value(const Slo& slo, const RequestMetrics& m) {
  if (slo.metric == "ttft") return m.ttft;
  if (slo.metric == "tpot") return m.tpot;
  if (slo.metric == "e2e_latency") return m.e2e;
  if (slo.metric == "ttft_sched") return m.ttft_sched;
  if (slo.metric == "e2e_sched") return m.e2e_sched;
  return std::nullopt;
}

Distribution make_distribution(const AggregatorOptions& o) { return Distribution(o.exact_limit); }

// Type-7 percentile q over the values in `d` and `failures` more values of +∞; nullopt when
// the percentile reaches an infinite one or there is no value.
std::optional<double> quantile_with_failures(const Distribution& d, std::uint64_t failures,
                                             double q) {
  const std::uint64_t finite = d.count();
  const std::uint64_t n = finite + failures;
  if (n == 0) return std::nullopt;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(n - 1);
  const auto lower = static_cast<std::uint64_t>(std::floor(rank));
  const std::uint64_t upper = std::min(lower + 1, n - 1);
  const bool interpolates = rank > static_cast<double>(lower);
  if (lower >= finite || (interpolates && upper >= finite)) return std::nullopt;
  if (finite == 1) return d.quantile(0);
  // The same rank among the finite values alone (they are the smallest).
  return d.quantile(std::min(1.0, rank / static_cast<double>(finite - 1)));
}

}  // namespace

Aggregator::Aggregator(TimePoint origin, AggregatorOptions options)
    : origin_(origin),
      options_(std::move(options)),
      ttft_(make_distribution(options_)),
      itl_(make_distribution(options_)),
      tpot_(make_distribution(options_)),
      e2e_(make_distribution(options_)),
      ttft_sched_(make_distribution(options_)),
      e2e_sched_(make_distribution(options_)),
      lag_(make_distribution(options_)),
      series_(options_.window > 0 ? options_.window : 1) {
  if (!(options_.window > 0)) options_.window = 1;
  slo_values_.assign(options_.slos.size(), make_distribution(options_));
  slo_failures_.assign(options_.slos.size(), 0);
}

std::size_t Aggregator::window_index(TimePoint t) const {
  return static_cast<std::size_t>(
      std::floor(std::max(0.0, to_seconds(t - origin_)) / options_.window));
}

namespace {
// Whether a record counts in the summary's statistics (and so in the windows' tokens,
// TTFT and ITL): measured, not warm-up or cool-down, and successful.
bool counted(const RequestRecord& r) { return r.phase == Phase::kMeasure && r.ok(); }
}  // namespace

void Aggregator::add_to_time_series(const RequestRecord& r, const RequestMetrics& m) {
  const double width = series_.window();
  if (r.sent) {
    ++window_at(r.t_send).requests_started;
    // Spread the request's time in flight over the windows it spans.
    double from = std::max(0.0, to_seconds(r.t_send - origin_));
    const double to = std::max(from, to_seconds(r.t_end - origin_));
    for (std::size_t index = window_index(r.t_send); from < to; ++index) {
      TimeWindow& w = series_.at(index);
      const double until = std::min(to, static_cast<double>(index + 1) * width);
      if (until > from) w.busy += until - from;
      from = std::max(from, until);
    }
  }
  TimeWindow& end = window_at(r.t_end);
  if (r.ok()) {
    ++end.requests_completed;
  } else {
    ++end.requests_failed;
  }
  if (!counted(r)) return;
  // The request's output tokens (M5, the summary's count) over its arrivals: as each
  // arrival said where it knew (per-chunk usage, native counts), otherwise the engine's
  // final count spread over the arrivals in proportion to what they were thought to hold
  // (one each when a stream did not say). Either way the windows sum to the summary.
  const std::int64_t total = m.output_tokens;
  const std::int64_t client = r.client_output_tokens();
  if (r.events.empty()) {
    end.output_tokens += total;
  }
  std::int64_t cumulative = 0;
  std::int64_t placed = 0;
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    TimeWindow& w = window_at(r.events[i].arrival);
    cumulative += r.events[i].tokens;
    std::int64_t tokens = r.events[i].tokens;
    if (client != total) {
      // Allocated by cumulative share, so the parts sum to `total` exactly.
      const std::int64_t upto = client > 0 ? total * cumulative / client
                                           : total * static_cast<std::int64_t>(i + 1) /
                                                 static_cast<std::int64_t>(r.events.size());
      tokens = upto - placed;
      placed = upto;
    }
    w.output_tokens += tokens;
    if (i > 0 && i - 1 < m.itl.size()) w.itl.add(m.itl[i - 1]);
  }
  if (m.ttft) window_at(r.t_first()).ttft.add(*m.ttft);
}

void Aggregator::add(const RequestRecord& r, const RequestMetrics& m) {
  if (options_.time_series) add_to_time_series(r, m);
  counts_.retries += r.retries;
  if (r.retries > 0) ++counts_.requests_retried;
  counts_.resends += r.resends;
  counts_.invalid_utf8_bytes += r.invalid_utf8_bytes;
  if (r.phase == Phase::kWarmup) {
    ++counts_.warmup_requests;
    return;
  }
  if (r.phase == Phase::kCooldown) {
    ++counts_.cooldown_requests;
    return;
  }
  ++counts_.requests;
  if (r.sent) {
    first_send_ = std::min(first_send_, r.t_send);
    busy_ += std::max(0.0, to_seconds(r.t_end - r.t_send));
    if (m.schedule_lag) lag_.add(*m.schedule_lag);
  }
  last_end_ = std::max(last_end_, r.t_end);
  if (!r.ok() && r.error->category == ErrorCategory::kCancelled) {
    // No verdict on the engine: neither a success nor a failure, and in no objective.
    ++counts_.cancelled;
    return;
  }
  if (!r.ok()) {
    ++counts_.failed;
    ++counts_.errors[std::string(to_string(r.error->category))];
    // A failed request violates every latency objective.
    for (std::size_t i = 0; i < options_.slos.size(); ++i) {
      slo_failures_[i] +=
          options_.slos[i].metric == "itl"
              ? static_cast<std::size_t>(std::max<std::int64_t>(1, r.max_tokens - 1))
              : 1;
    }
    return;
  }
  ++counts_.succeeded;
  first_done_ = std::min(first_done_, r.t_end);
  last_done_ = std::max(last_done_, r.t_end);
  if (options_.forced_length) {
    ++forced_;
    if (m.output_length_mismatch) ++counts_.output_length_mismatches;
  }
  if (r.cold_start) ++counts_.cold_starts;
  if (r.prompt_tokens_target > 0 && r.usage.prompt_tokens) {
    const std::int64_t difference = *r.usage.prompt_tokens - r.prompt_tokens_target;
    ++counts_.prompt_length_checked;
    if (difference != 0) ++counts_.prompt_length_mismatches;
    // Bounded: differences beyond a few hundred kinds carry no further information.
    if (prompt_differences_.size() < 512 || prompt_differences_.contains(difference)) {
      ++prompt_differences_[difference];
    }
  }
  for (const NativeComparison& c : m.native) {
    auto found = native_.find(c.name);
    if (found == native_.end()) {
      found = native_
                  .emplace(c.name, std::array<Distribution, 3>{make_distribution(options_),
                                                               make_distribution(options_),
                                                               make_distribution(options_)})
                  .first;
    }
    found->second[0].add(c.native);
    if (c.client) found->second[1].add(*c.client);
    if (c.delta) found->second[2].add(*c.delta);
  }
  if (m.ttft) ttft_.add(*m.ttft);
  if (m.e2e) e2e_.add(*m.e2e);
  if (m.tpot) tpot_.add(*m.tpot);
  if (m.ttft_sched) ttft_sched_.add(*m.ttft_sched);
  if (m.e2e_sched) e2e_sched_.add(*m.e2e_sched);
  for (const double gap : m.itl) itl_.add(gap);
  counts_.output_tokens += m.output_tokens;
  counts_.prompt_tokens += r.usage.prompt_tokens.value_or(0);
  total_tokens_ += m.output_tokens + r.usage.prompt_tokens.value_or(0);
  bool good = true;
  for (std::size_t i = 0; i < options_.slos.size(); ++i) {
    const Slo& slo = options_.slos[i];
    if (slo.metric == "itl") {
      for (const double gap : m.itl) slo_values_[i].add(gap);
      continue;
    }
    const std::optional<double> value = slo_value(slo, m);
    if (value) slo_values_[i].add(*value);
    good = good && value && *value <= slo.threshold;
  }
  if (good) ++counts_.good_requests;
}

RunSummary Aggregator::finish() const {
  RunSummary s = counts_;
  const TimePoint first = first_send_ == TimePoint::max() ? origin_ : first_send_;
  const TimePoint last = last_end_ == TimePoint::min() ? first : last_end_;
  s.duration = std::max(0.0, to_seconds(last - first));
  s.ttft = ttft_.stats();
  s.itl = itl_.stats();
  s.tpot = tpot_.stats();
  s.e2e = e2e_.stats();
  s.ttft_sched = ttft_sched_.stats();
  s.e2e_sched = e2e_sched_.stats();
  s.schedule_lag = lag_.stats();
  for (const auto& [name, series] : native_) {
    s.native[name] =
        RunSummary::NativeSummary{series[0].stats(), series[1].stats(), series[2].stats()};
  }
  if (s.prompt_length_checked > 0) {
    s.prompt_length_mismatch_rate = static_cast<double>(s.prompt_length_mismatches) /
                                    static_cast<double>(s.prompt_length_checked);
    std::size_t most = 0;
    for (const auto& [difference, n] : prompt_differences_) {
      if (n > most) {
        most = n;
        s.prompt_length_offset = difference;
      }
    }
  }
  if (forced_ > 0) {
    s.output_length_accuracy =
        static_cast<double>(forced_ - s.output_length_mismatches) / static_cast<double>(forced_);
  }
  if (s.duration > 0) {
    s.request_throughput = static_cast<double>(s.succeeded) / s.duration;
    s.output_token_throughput = static_cast<double>(s.output_tokens) / s.duration;
    s.total_token_throughput = static_cast<double>(total_tokens_) / s.duration;
    s.mean_concurrency = busy_ / s.duration;
  }
  if (s.succeeded >= 2 && last_done_ > first_done_) {
    s.completion_rate = static_cast<double>(s.succeeded - 1) / to_seconds(last_done_ - first_done_);
  }
  const std::size_t judged = s.succeeded + s.failed;
  s.success_rate = judged > 0 ? static_cast<double>(s.succeeded) / static_cast<double>(judged) : 0;
  if (!options_.slos.empty()) {
    for (std::size_t i = 0; i < options_.slos.size(); ++i) {
      SloResult result;
      result.slo = options_.slos[i];
      result.actual =
          quantile_with_failures(slo_values_[i], slo_failures_[i], options_.slos[i].quantile);
      result.met = result.actual && *result.actual <= result.slo.threshold;
      result.failures = slo_failures_[i];
      result.samples = static_cast<std::size_t>(slo_values_[i].count()) + slo_failures_[i];
      s.slos.push_back(std::move(result));
    }
    s.goodput = s.duration > 0 ? static_cast<double>(s.good_requests) / s.duration : 0;
  }
  s.window = options_.window;
  s.time_series = series_;  // shared: the aggregator clones the windows if it adds again
  return s;
}

RunSummary summarize(const std::vector<RequestRecord>& records, TimePoint started,
                     bool forced_length) {
  AggregatorOptions options;
  options.forced_length = forced_length;
  Aggregator aggregator(started, std::move(options));
  for (const RequestRecord& r : records) aggregator.add(r, derive(r, forced_length));
  return aggregator.finish();
}

void add_cost(RunSummary& s, std::optional<double> gpu_hourly_cost, std::optional<int> gpus) {
  const double gpu_count = gpus ? static_cast<double>(*gpus) : 1.0;
  // Spend per second of the measured duration; the throughputs are over the same duration.
  if (gpu_hourly_cost) {
    const double per_second = *gpu_hourly_cost * gpu_count / 3600;
    if (s.output_token_throughput > 0) {
      s.cost_per_million_output_tokens = per_second / s.output_token_throughput * 1e6;
    }
    if (s.request_throughput > 0) {
      s.cost_per_thousand_requests = per_second / s.request_throughput * 1e3;
    }
  }
  if ((gpus || gpu_hourly_cost) && s.output_token_throughput > 0) {
    s.output_tokens_per_gpu_second = s.output_token_throughput / gpu_count;
  }
}

}  // namespace llmbench::metrics
