#pragma once
// Sweeps (GuideLLM's method): a synchronous baseline, a maximum-throughput run, then open-loop
// levels at rates between the two. From the levels: the maximum sustainable rate (M21) and
// the latency–throughput knee.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "metrics/summary.h"

namespace llmbench::metrics {

// `steps` rates evenly spaced above `low` up to and including `high`.
std::vector<double> sweep_rates(double low, double high, int steps);

struct LevelOutcome {
  std::optional<double> offered_rate;  // open-loop levels only
  const RunSummary* summary = nullptr;
};

struct SweepAnalysis {
  // M21: highest offered rate whose completion rate reached 95 % of it and whose SLOs (when
  // given) all held; nullopt when no open-loop level qualified.
  std::optional<double> max_sustainable_rate;
  std::optional<std::size_t> max_sustainable_level;
  // The level after which latency (p50 TTFT) rises faster than throughput: the point of the
  // normalised latency–throughput curve furthest below its chord (Kneedle).
  std::optional<std::size_t> knee_level;
};

// Sustained: completion rate ≥ 95 % of offered, and every SLO met.
bool sustains(const LevelOutcome& level);

SweepAnalysis analyze_sweep(const std::vector<LevelOutcome>& levels);

// Judges llmbench's own health (M39): a worker at ≥ 80 % of a core, or, in open loop, a
// schedule lag p99 over 10 ms, marks the run client-bound.
ClientHealth assess_client(std::vector<double> worker_cpu, double process_cpu,
                           const Stats& schedule_lag, bool open_loop);

}  // namespace llmbench::metrics
