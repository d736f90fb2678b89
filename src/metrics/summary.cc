#include "metrics/summary.h"

#include <algorithm>

namespace llmbench::metrics {

RequestMetrics derive(const RequestRecord& r) {
  RequestMetrics m;
  m.output_tokens = r.output_tokens();
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
  return m;
}

RunSummary summarize(const std::vector<RequestRecord>& records, TimePoint started) {
  RunSummary s;
  std::vector<double> ttft, itl, tpot, e2e;
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
    const RequestMetrics m = derive(r);
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
  if (s.duration > 0) {
    s.request_throughput = static_cast<double>(s.succeeded) / s.duration;
    s.output_token_throughput = static_cast<double>(s.output_tokens) / s.duration;
  }
  s.success_rate =
      s.requests > 0 ? static_cast<double>(s.succeeded) / static_cast<double>(s.requests) : 0;
  return s;
}

}  // namespace llmbench::metrics
