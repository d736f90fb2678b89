#pragma once
// The comparison `llmbench compare` reports (issue 11): per metric and statistic, each side's
// value, the relative change, a significance test across repetitions, the family-adjusted
// p-value and a verdict; a geometric mean of the ratios over the metrics compared.
// Computed here once; reporters only format it (STYLE.md 5).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/significance.h"

namespace llmbench::metrics {

// One figure of a result: "ttft.p99", "output_token_throughput".
struct ComparedFigure {
  std::string name;
  Better better = Better::kLower;
};
// TTFT, ITL, TPOT and E2E at p50/p90/p99, the throughputs and the success rate.
std::vector<ComparedFigure> default_figures();
// Which way is better for a figure name (latencies lower, throughputs and rates higher).
Better better_for(const std::string& name);

// One run's figures by name; a figure that was not measured is absent.
using RunFigures = std::map<std::string, double>;

struct ComparisonOptions {
  double alpha = 0.05;
  double noise = 0.02;  // relative change within which a significant one is "within noise"
};

struct FigureComparison {
  ComparedFigure figure;
  std::size_t base_runs = 0, new_runs = 0;  // repetitions that measured it
  std::optional<double> base, next;         // medians over the repetitions
  std::optional<double> relative_change;    // (next − base) / base
  std::optional<double> p, p_adjusted;      // Mann–Whitney U; Holm across the figures
  bool exact = true;                        // p from the exact distribution
  Verdict verdict = Verdict::kNoSignificantDifference;
  std::string method;  // "mann_whitney" (repetitions), "block_bootstrap" (single runs), ""
  std::optional<double> ci_low, ci_high;  // of the relative change (block bootstrap)
  std::string note;  // why there is no test: "not measured by BASE", "fewer than 2 runs"…
};

struct Comparison {
  std::vector<FigureComparison> figures;
  // exp(mean(log(next / base))) over the figures both sides measured (> 0); better or worse
  // depends on each figure's direction, so it is given per direction.
  std::optional<double> geomean_ratio_lower_better, geomean_ratio_higher_better;
  // The smallest p-value the repetitions allow (exact test); > alpha means no figure can be
  // significant with so few repetitions.
  double smallest_possible_p = 1;
  std::vector<std::string> warnings;
};

// Repetitions of each side (at least one each). With fewer than 2 a side the figures get
// values and changes but no test.
Comparison compare_repetitions(const std::vector<RunFigures>& base,
                               const std::vector<RunFigures>& next,
                               const std::vector<ComparedFigure>& figures,
                               const ComparisonOptions& options = {});

// One run a side: each percentile figure ("ttft.p99") is tested by the block bootstrap of
// its relative change over the runs' windows (`*_windows`: per base metric name, the values
// per window, as report::ResultFigures holds them); the other figures get values and changes
// only. Holm across the figures tested.
using MetricWindows = std::map<std::string, std::vector<std::vector<double>>>;
Comparison compare_single_runs(const RunFigures& base, const MetricWindows& base_windows,
                               const RunFigures& next, const MetricWindows& next_windows,
                               const std::vector<ComparedFigure>& figures,
                               const ComparisonOptions& options = {},
                               std::size_t replicates = 2000);

// The regression gate (`--max-regression 5%`, or per figure `ttft.p99=10%`): the figures
// whose verdict is "regressed" by more than their threshold. A figure without a threshold
// of its own uses `all` when set, else it is not gated.
struct RegressionGate {
  std::optional<double> all;  // relative, 0.05 for 5 %
  std::map<std::string, double> per_figure;
};
std::vector<std::string> gate_failures(const Comparison& comparison, const RegressionGate& gate);

}  // namespace llmbench::metrics
