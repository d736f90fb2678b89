#include "metrics/sweep.h"

#include <fmt/format.h>

#include <algorithm>

namespace llmbench::metrics {

namespace {
constexpr double kSustainedFraction = 0.95;
constexpr double kBusyWorker = 0.80;
constexpr double kLateClient = 0.010;  // s of schedule lag at p99
}  // namespace

std::vector<double> sweep_rates(double low, double high, int steps) {
  std::vector<double> rates;
  if (steps < 1 || !(high > 0)) return rates;
  if (!(high > low)) low = 0;
  for (int i = 1; i <= steps; ++i) {
    rates.push_back(low + (high - low) * static_cast<double>(i) / static_cast<double>(steps));
  }
  return rates;
}

bool sustains(const LevelOutcome& level) {
  if (!level.offered_rate || level.summary == nullptr) return false;
  const RunSummary& s = *level.summary;
  if (s.completion_rate < kSustainedFraction * *level.offered_rate) return false;
  return std::all_of(s.slos.begin(), s.slos.end(), [](const SloResult& r) { return r.met; });
}

SweepAnalysis analyze_sweep(const std::vector<LevelOutcome>& levels) {
  SweepAnalysis analysis;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (!sustains(levels[i])) continue;
    if (!analysis.max_sustainable_rate ||
        *levels[i].offered_rate > *analysis.max_sustainable_rate) {
      analysis.max_sustainable_rate = levels[i].offered_rate;
      analysis.max_sustainable_level = i;
    }
  }
  // Knee over levels with a throughput and a latency, ordered by throughput.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i].summary && levels[i].summary->ttft.count > 0) order.push_back(i);
  }
  if (order.size() >= 3) {
    auto x = [&](std::size_t i) { return levels[i].summary->completion_rate; };
    auto y = [&](std::size_t i) { return levels[i].summary->ttft.p50; };
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return x(a) < x(b); });
    double x_min = x(order.front());
    double x_max = x(order.back());
    double y_min = y(order.front());
    double y_max = y(order.front());
    for (const std::size_t i : order) {
      y_min = std::min(y_min, y(i));
      y_max = std::max(y_max, y(i));
    }
    if (x_max > x_min && y_max > y_min) {
      double best = 0;
      for (const std::size_t i : order) {
        const double xn = (x(i) - x_min) / (x_max - x_min);
        const double yn = (y(i) - y_min) / (y_max - y_min);
        if (xn - yn > best) {
          best = xn - yn;
          analysis.knee_level = i;
        }
      }
    }
  }
  return analysis;
}

ClientHealth assess_client(std::vector<double> worker_cpu, double process_cpu,
                           const Stats& schedule_lag, bool open_loop) {
  ClientHealth health;
  health.worker_cpu = std::move(worker_cpu);
  health.process_cpu = process_cpu;
  const double busiest = health.worker_cpu.empty() ? 0
                                                   : *std::max_element(health.worker_cpu.begin(),
                                                                       health.worker_cpu.end());
  if (busiest >= kBusyWorker) {
    health.client_bound = true;
    health.reason = fmt::format(
        "a client worker thread used {:.0f}% of a core: llmbench itself may have limited the "
        "load; add --threads or run llmbench on more cores",
        busiest * 100);
  } else if (open_loop && schedule_lag.count > 0 && schedule_lag.p99 > kLateClient) {
    health.client_bound = true;
    health.reason = fmt::format(
        "requests were sent late: schedule lag p99 {:.1f} ms; latencies from the schedule "
        "(ttft_sched, e2e_sched) include it",
        schedule_lag.p99 * 1e3);
  }
  return health;
}

}  // namespace llmbench::metrics
