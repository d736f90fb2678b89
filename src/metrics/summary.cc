#include "metrics/summary.h"

#include <algorithm>
#include <array>

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
  if (r.has_first_token()) {
    m.ttft = to_seconds(r.t_first() - r.t_send);
    m.itl.reserve(r.events.size());
    for (std::size_t i = 1; i < r.events.size(); ++i) {
      m.itl.push_back(to_seconds(r.events[i].arrival - r.events[i - 1].arrival));
    }
    if (m.output_tokens >= 2) {
      m.tpot = to_seconds(r.t_end - r.t_first()) / static_cast<double>(m.output_tokens - 1);
    }
  }
  const NativeTimings& n = r.native;
  const std::optional<double> decode =
      r.has_first_token() ? std::optional<double>(to_seconds(r.t_end - r.t_first())) : std::nullopt;
  // Client prefill: TTFT minus the engine's queue time where the engine reports it.
  std::optional<double> prefill = m.ttft;
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

RunSummary summarize(const std::vector<RequestRecord>& records, TimePoint started,
                     bool forced_length) {
  RunSummary s;
  std::vector<double> ttft, itl, tpot, e2e;
  std::map<std::string, std::array<std::vector<double>, 3>> native;  // native, client, delta
  std::size_t forced = 0;
  TimePoint first = TimePoint::max();
  TimePoint last = started;
  for (const RequestRecord& r : records) {
    ++s.requests;
    if (r.sent) first = std::min(first, r.t_send);
    last = std::max(last, r.t_end);
    if (!r.ok()) {
      ++s.failed;
      ++s.errors[std::string(to_string(r.error->category))];
      continue;
    }
    ++s.succeeded;
    const RequestMetrics m = derive(r, forced_length);
    if (forced_length) {
      ++forced;
      if (m.output_length_mismatch) ++s.output_length_mismatches;
    }
    if (r.cold_start) ++s.cold_starts;
    for (const NativeComparison& c : m.native) {
      auto& series = native[c.name];
      series[0].push_back(c.native);
      if (c.client) series[1].push_back(*c.client);
      if (c.delta) series[2].push_back(*c.delta);
    }
    if (m.ttft) ttft.push_back(*m.ttft);
    if (m.e2e) e2e.push_back(*m.e2e);
    if (m.tpot) tpot.push_back(*m.tpot);
    itl.insert(itl.end(), m.itl.begin(), m.itl.end());
    s.output_tokens += m.output_tokens;
    s.prompt_tokens += r.usage.prompt_tokens.value_or(0);
  }
  if (first == TimePoint::max()) first = started;
  s.duration = std::max(0.0, to_seconds(last - first));
  s.ttft = compute_stats(std::move(ttft));
  s.itl = compute_stats(std::move(itl));
  s.tpot = compute_stats(std::move(tpot));
  s.e2e = compute_stats(std::move(e2e));
  for (auto& [name, series] : native) {
    s.native[name] = RunSummary::NativeSummary{compute_stats(std::move(series[0])),
                                               compute_stats(std::move(series[1])),
                                               compute_stats(std::move(series[2]))};
  }
  if (forced > 0) {
    s.output_length_accuracy =
        static_cast<double>(forced - s.output_length_mismatches) / static_cast<double>(forced);
  }
  if (s.duration > 0) {
    s.request_throughput = static_cast<double>(s.succeeded) / s.duration;
    s.output_token_throughput = static_cast<double>(s.output_tokens) / s.duration;
  }
  s.success_rate =
      s.requests > 0 ? static_cast<double>(s.succeeded) / static_cast<double>(s.requests) : 0;
  return s;
}

}  // namespace llmbench::metrics
