#include "metrics/comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/duration_text.h"

namespace llmbench::metrics {

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::vector<double> measured(const std::vector<RunFigures>& runs, const std::string& name) {
  std::vector<double> out;
  for (const RunFigures& run : runs) {
    if (const auto it = run.find(name); it != run.end() && std::isfinite(it->second)) {
      out.push_back(it->second);
    }
  }
  return out;
}

bool is_latency(const std::string& figure) {
  return figure.find(".p") != std::string::npos || figure.find(".mean") != std::string::npos;
}

}  // namespace

std::optional<ValueInterval> median_interval(std::vector<double> values) {
  const std::size_t n = values.size();
  if (n < 2) return std::nullopt;
  std::sort(values.begin(), values.end());
  // cdf[j] = P(Bin(n, ½) ≤ j), accumulated with binomial coefficients in doubles.
  double term = std::pow(0.5, static_cast<double>(n));  // P(B = 0)
  double below = 0;                                     // P(B < k)
  for (std::size_t k = 1; 2 * k <= n + 1; ++k) {
    below += term;  // now P(B ≤ k − 1)
    term = term * static_cast<double>(n - (k - 1)) / static_cast<double>(k);
    const double coverage = 1 - 2 * below;
    if (coverage <= 0.95 + 1e-12 || 2 * (k + 1) > n + 1) {
      ValueInterval out;
      out.low = values[k - 1];
      out.high = values[n - k];
      out.level = coverage;
      out.method = k == 1 ? "min-max" : "order statistics";
      return out;
    }
  }
  return std::nullopt;
}

Expected<std::vector<FigureGate>> parse_figure_gates(std::string_view text) {
  std::vector<FigureGate> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item(text.substr(start, comma - start));
    start = comma + 1;
    const auto bad = [&item](const std::string& why) {
      std::string message = "--slo '";
      message += item;
      message += "': ";
      message += why;
      return make_error(ErrorCode::kInvalidArgument, std::move(message));
    };
    if (item.empty()) return bad("empty gate (write FIGURE<=VALUE, e.g. ttft.p99<=500ms)");
    FigureGate gate;
    gate.text = item;
    std::size_t op = item.find("<=");
    if (op == std::string::npos) {
      op = item.find(">=");
      gate.at_most = false;
    }
    if (op == std::string::npos || op == 0 || op + 2 >= item.size()) {
      return bad("expected FIGURE<=VALUE or FIGURE>=VALUE (e.g. ttft.p99<=500ms)");
    }
    gate.figure = item.substr(0, op);
    std::replace(gate.figure.begin(), gate.figure.end(), ':', '.');
    const std::string value = item.substr(op + 2);
    if (is_latency(gate.figure)) {
      const auto d = parse_duration(value);
      if (!d) return bad("'" + value + "' is not a duration (500ms, 1.5s)");
      gate.threshold = std::chrono::duration<double>(*d).count();
    } else {
      const bool percent = !value.empty() && value.back() == '%';
      const std::string digits = percent ? value.substr(0, value.size() - 1) : value;
      std::size_t used = 0;
      double v = 0;
      try {
        v = std::stod(digits, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != digits.size() || !std::isfinite(v) || v < 0) {
        return bad("'" + value + "' is not a number ≥ 0");
      }
      gate.threshold = percent ? v / 100 : v;
    }
    out.push_back(std::move(gate));
  }
  return out;
}

std::vector<GateOutcome> check_figure_gates(const Comparison& comparison,
                                            const std::vector<FigureGate>& gates) {
  std::vector<GateOutcome> out;
  for (const FigureGate& gate : gates) {
    GateOutcome o;
    o.gate = gate;
    for (const FigureComparison& c : comparison.figures) {
      if (c.figure.name == gate.figure) o.value = c.next;
    }
    o.passed = o.value && (gate.at_most ? *o.value <= gate.threshold : *o.value >= gate.threshold);
    out.push_back(std::move(o));
  }
  return out;
}

Better better_for(const std::string& name) {
  const bool higher = name.find("throughput") != std::string::npos ||
                      name.find("success_rate") != std::string::npos ||
                      name.find("goodput") != std::string::npos ||
                      name.find("per_gpu_second") != std::string::npos ||
                      name.find("per_joule") != std::string::npos;
  return higher ? Better::kHigher : Better::kLower;
}

std::vector<ComparedFigure> default_figures() {
  std::vector<ComparedFigure> out;
  for (const char* metric : {"ttft", "itl", "tpot", "e2e_latency"}) {
    for (const char* stat : {"p50", "p90", "p99"}) {
      const std::string name = std::string(metric) + "." + stat;
      out.push_back({name, better_for(name)});
    }
  }
  for (const char* name : {"output_token_throughput", "request_throughput", "success_rate"}) {
    out.push_back({name, better_for(name)});
  }
  return out;
}

Comparison compare_repetitions(const std::vector<RunFigures>& base,
                               const std::vector<RunFigures>& next,
                               const std::vector<ComparedFigure>& figures,
                               const ComparisonOptions& options) {
  Comparison out;
  out.smallest_possible_p = smallest_mann_whitney_p(base.size(), next.size());
  std::vector<double> p_values;
  std::vector<std::size_t> tested;  // indices into out.figures of the figures with a p
  double log_sum_lower = 0;
  double log_sum_higher = 0;
  std::size_t lower_count = 0;
  std::size_t higher_count = 0;
  for (const ComparedFigure& figure : figures) {
    FigureComparison c;
    c.figure = figure;
    const std::vector<double> a = measured(base, figure.name);
    const std::vector<double> b = measured(next, figure.name);
    c.base_runs = a.size();
    c.new_runs = b.size();
    if (!a.empty()) c.base = median(a);
    if (!b.empty()) c.next = median(b);
    c.base_interval = median_interval(a);
    c.new_interval = median_interval(b);
    if (a.empty() || b.empty()) {
      c.note = a.empty() && b.empty() ? "not measured"
               : a.empty()            ? "not measured by the base"
                                      : "not measured by the new side";
    } else {
      if (*c.base != 0) c.relative_change = (*c.next - *c.base) / *c.base;
      if (*c.base > 0 && *c.next > 0) {
        const double log_ratio = std::log(*c.next / *c.base);
        if (figure.better == Better::kLower) {
          log_sum_lower += log_ratio;
          ++lower_count;
        } else {
          log_sum_higher += log_ratio;
          ++higher_count;
        }
      }
      if (a.size() < 2 || b.size() < 2) {
        c.note =
            "fewer than 2 runs a side: no test (use --repeat, or compare single runs "
            "with the block bootstrap)";
      } else if (const auto test = mann_whitney_u(a, b)) {
        c.method = "mann_whitney";
        c.p = test->p;
        c.exact = test->exact;
        p_values.push_back(test->p);
        tested.push_back(out.figures.size());
      }
    }
    out.figures.push_back(std::move(c));
  }
  const std::vector<double> adjusted = holm_adjust(p_values);
  for (std::size_t i = 0; i < tested.size(); ++i) {
    FigureComparison& c = out.figures[tested[i]];
    c.p_adjusted = adjusted[i];
    c.verdict = judge(c.relative_change.value_or(0), adjusted[i], options.alpha, options.noise,
                      c.figure.better);
  }
  if (lower_count > 0) {
    out.geomean_ratio_lower_better = std::exp(log_sum_lower / static_cast<double>(lower_count));
  }
  if (higher_count > 0) {
    out.geomean_ratio_higher_better = std::exp(log_sum_higher / static_cast<double>(higher_count));
  }
  if (base.size() >= 2 && next.size() >= 2 && out.smallest_possible_p >= options.alpha) {
    out.warnings.push_back(
        fmt::format("with {} and {} repetitions no difference can be significant at α = {:g} (the "
                    "smallest p-value possible is {:.3g}): use --repeat 5 or more",
                    base.size(), next.size(), options.alpha, out.smallest_possible_p));
  }
  return out;
}

Comparison compare_single_runs(const RunFigures& base, const MetricWindows& base_windows,
                               const RunFigures& next, const MetricWindows& next_windows,
                               const std::vector<ComparedFigure>& figures,
                               const ComparisonOptions& options, std::size_t replicates) {
  Comparison out = compare_repetitions({base}, {next}, figures, options);
  out.smallest_possible_p = 1.0 / static_cast<double>(replicates + 1);
  std::vector<double> p_values;
  std::vector<std::size_t> tested;
  for (std::size_t i = 0; i < out.figures.size(); ++i) {
    FigureComparison& c = out.figures[i];
    if (!c.base || !c.next) continue;
    const std::string& name = c.figure.name;
    const std::size_t dot = name.rfind(".p");
    if (dot == std::string::npos) {  // throughputs, rates: one value a run, no test
      c.note = "one value a run: tested across repetitions only";
      continue;
    }
    const std::string metric = name.substr(0, dot);
    double percentile = 0;
    try {
      percentile = std::stod(name.substr(dot + 2));
    } catch (const std::exception&) {
      continue;
    }
    const auto a = base_windows.find(metric);
    const auto b = next_windows.find(metric);
    if (a == base_windows.end() || b == next_windows.end()) {
      c.note = "no per-request records (--request-detail none): no test";
      continue;
    }
    // Blocks resampled from a handful of windows cannot show the spread: with one window every
    // replicate is the run itself, and any difference would read as p = 0.
    const auto filled = [](const std::vector<std::vector<double>>& windows) {
      return static_cast<std::size_t>(
          std::count_if(windows.begin(), windows.end(), [](const auto& w) { return !w.empty(); }));
    };
    if (filled(a->second) < kMinBootstrapWindows || filled(b->second) < kMinBootstrapWindows) {
      c.note =
          fmt::format("fewer than {} time windows with requests: no test (run longer, or repeat)",
                      kMinBootstrapWindows);
      continue;
    }
    BootstrapOptions bootstrap;
    bootstrap.quantile = percentile / 100;
    bootstrap.replicates = replicates;
    const auto difference = block_bootstrap_difference(a->second, b->second, bootstrap);
    if (!difference) continue;
    c.method = "block_bootstrap";
    c.note.clear();
    c.p = difference->p;
    c.ci_low = difference->low;
    c.ci_high = difference->high;
    p_values.push_back(difference->p);
    tested.push_back(i);
  }
  const std::vector<double> adjusted = holm_adjust(p_values);
  for (std::size_t k = 0; k < tested.size(); ++k) {
    FigureComparison& c = out.figures[tested[k]];
    c.p_adjusted = adjusted[k];
    c.verdict = judge(c.relative_change.value_or(0), adjusted[k], options.alpha, options.noise,
                      c.figure.better);
  }
  out.warnings.push_back(
      "single runs: the block bootstrap over each run's windows sees the noise within a run, "
      "not the drift between runs; repetitions (suite --repeat 5) are stronger evidence");
  return out;
}

std::vector<std::string> gate_failures(const Comparison& comparison, const RegressionGate& gate) {
  std::vector<std::string> failed;
  for (const FigureComparison& c : comparison.figures) {
    if (c.verdict != Verdict::kRegressed || !c.relative_change) continue;
    const auto own = gate.per_figure.find(c.figure.name);
    const std::optional<double> threshold =
        own != gate.per_figure.end() ? std::optional<double>(own->second) : gate.all;
    if (threshold && std::abs(*c.relative_change) > *threshold) failed.push_back(c.figure.name);
  }
  return failed;
}

}  // namespace llmbench::metrics
