#pragma once
// The comparison `llmbench compare` reports (issue 11): per metric and statistic, each side's
// value, the relative change, a significance test across repetitions, the family-adjusted
// p-value and a verdict; a geometric mean of the ratios over the metrics compared.
// Computed here once; reporters only format it (STYLE.md 5).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
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

// An interval around one side's value of a figure.
struct ValueInterval {
  double low = 0, high = 0;
  double level = 0;  // coverage: 0.9375 for min–max of 5 repetitions
  // "order statistics" (of the median over repetitions), "min-max" (the same with the extreme
  // values, the widest the count allows), "summary" (a single run's own CI of that percentile)
  std::string method;
};

// Distribution-free confidence interval of the median of `values` from their order
// statistics: [x_(k), x_(n+1−k)] covers the median with probability 1 − 2·P(Bin(n, ½) < k).
// k is the smallest whose coverage is at most 95 % (so the level is the highest ≤ 95 % the
// count allows; k = 1 is min–max). nullopt for fewer than 2 values.
std::optional<ValueInterval> median_interval(std::vector<double> values);

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
  // Of each side's value: median_interval over repetitions; for single runs the caller sets
  // the run's own CI (compare_single_runs leaves them empty).
  std::optional<ValueInterval> base_interval, new_interval;
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
// A figure is tested only when both runs have at least kMinBootstrapWindows windows with
// requests in them; shorter runs get values and changes, and a note.
inline constexpr std::size_t kMinBootstrapWindows = 10;
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

// An absolute gate on the new side (`--slo ttft.p99<=500ms`, k6 style): the figure's value
// (median over the new side's repetitions) must stay at or under (or at or over) a threshold.
struct FigureGate {
  std::string figure;    // "ttft.p99", "output_token_throughput"
  bool at_most = true;   // "<=" (true) or ">=" (false)
  double threshold = 0;  // in the figure's unit: seconds for latencies, a fraction for rates
  std::string text;      // as written, for messages
};
// Comma-separated `FIGURE<=VALUE` or `FIGURE>=VALUE`; FIGURE as in --figures (`ttft:p99` is
// accepted for `ttft.p99`); a latency's VALUE is a duration ("500ms", a bare number is
// seconds), a rate's may end in %. Errors name the gate that is wrong and why.
Expected<std::vector<FigureGate>> parse_figure_gates(std::string_view text);

struct GateOutcome {
  FigureGate gate;
  std::optional<double> value;  // the new side's; nullopt when not measured (a failure)
  bool passed = false;
};
std::vector<GateOutcome> check_figure_gates(const Comparison& comparison,
                                            const std::vector<FigureGate>& gates);

}  // namespace llmbench::metrics
