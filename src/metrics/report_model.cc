#include "metrics/report_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "metrics/stats.h"

namespace llmbench::metrics {

namespace {

constexpr double kMs = 1000;
constexpr double kGiB = 1.0 / (1024.0 * 1024 * 1024);

struct LatencyMetric {
  const char* name;
  const char* label;
  bool open_loop_only;
};
// The order every renderer shows them in.
constexpr LatencyMetric kLatencies[] = {
    {"ttft", "TTFT", false},
    {"itl", "ITL", false},
    {"tpot", "TPOT", false},
    {"e2e_latency", "E2E latency", false},
    {"ttft_sched", "TTFT from the scheduled time", true},
    {"e2e_sched", "E2E from the scheduled time", true},
};

std::string count_text(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::optional<double> scaled(std::optional<double> value, double scale) {
  if (!value) return std::nullopt;
  return *value * scale;
}

// Windows merged `factor` to one: rates and the in-flight mean averaged over the windows that
// had a value, counts summed, and percentiles the largest of the merged windows' (a merged
// point never hides a bad window).
std::vector<std::optional<double>> merge_values(const std::vector<std::optional<double>>& values,
                                                std::size_t factor, bool is_count,
                                                bool is_percentile) {
  std::vector<std::optional<double>> merged;
  merged.reserve((values.size() + factor - 1) / factor);
  for (std::size_t start = 0; start < values.size(); start += factor) {
    const std::size_t end = std::min(values.size(), start + factor);
    double sum = 0;
    double largest = 0;
    std::size_t present = 0;
    for (std::size_t i = start; i < end; ++i) {
      if (!values[i]) continue;
      largest = present == 0 ? *values[i] : std::max(largest, *values[i]);
      sum += *values[i];
      ++present;
    }
    if (present == 0) {
      merged.emplace_back(is_count ? std::optional<double>(0) : std::nullopt);
    } else if (is_percentile) {
      merged.emplace_back(largest);
    } else if (is_count) {
      merged.emplace_back(sum);
    } else {
      merged.emplace_back(sum / static_cast<double>(present));
    }
  }
  return merged;
}

}  // namespace

std::string_view to_string(ReportKind kind) {
  switch (kind) {
    case ReportKind::kRun:
      return "run";
    case ReportKind::kSweep:
      return "sweep";
    case ReportKind::kSuite:
      return "suite";
    case ReportKind::kComparison:
      return "comparison";
    case ReportKind::kTrend:
      return "trend";
  }
  return "run";
}

BinCounts make_histogram(std::span<const double> values, std::size_t bins) {
  BinCounts histogram;
  if (values.empty() || bins == 0) return histogram;
  const auto [min_it, max_it] = std::minmax_element(values.begin(), values.end());
  const double low = *min_it;
  const double high = *max_it;
  if (!(high > low)) {
    histogram.edges = {low, low};
    histogram.counts = {values.size()};
    return histogram;
  }
  const double width = (high - low) / static_cast<double>(bins);
  histogram.edges.reserve(bins + 1);
  for (std::size_t i = 0; i < bins; ++i) {
    histogram.edges.push_back(low + width * static_cast<double>(i));
  }
  histogram.edges.push_back(high);
  histogram.counts.assign(bins, 0);
  for (const double value : values) {
    auto bin = static_cast<std::size_t>((value - low) / width);
    if (bin >= bins) bin = bins - 1;  // the maximum belongs to the last, closed bin
    ++histogram.counts[bin];
  }
  return histogram;
}

std::vector<std::pair<double, double>> make_cdf(std::span<const double> sorted,
                                                std::size_t points) {
  std::vector<std::pair<double, double>> cdf;
  const std::size_t n = sorted.size();
  if (n == 0 || points == 0) return cdf;
  const auto fraction = [n](std::size_t rank) {
    return static_cast<double>(rank + 1) / static_cast<double>(n);
  };
  if (n <= points || points < 2) {
    const std::size_t step = points < 2 ? n : 1;
    for (std::size_t rank = step - 1; rank < n; rank += step) {
      // Equal values: the CDF at a value is the fraction at or below it, so keep the last.
      if (rank + 1 < n && sorted[rank + 1] == sorted[rank] && step == 1) continue;
      cdf.emplace_back(sorted[rank], fraction(rank));
    }
    return cdf;
  }
  cdf.reserve(points);
  std::size_t previous = n;  // none yet
  for (std::size_t i = 0; i < points; ++i) {
    const auto rank = static_cast<std::size_t>(std::llround(
        static_cast<double>(i) * static_cast<double>(n - 1) / static_cast<double>(points - 1)));
    if (rank == previous) continue;
    previous = rank;
    cdf.emplace_back(sorted[rank], fraction(rank));
  }
  return cdf;
}

ValueSample::ValueSample(std::size_t capacity, std::uint64_t seed)
    : capacity_(std::max<std::size_t>(1, capacity)), random_(seed) {}

void ValueSample::add(double value) {
  ++seen_;
  is_sorted_ = false;
  if (values_.size() < capacity_) {
    values_.push_back(value);
    return;
  }
  std::uniform_int_distribution<std::uint64_t> pick(0, seen_ - 1);
  const std::uint64_t slot = pick(random_);
  if (slot < capacity_) values_[slot] = value;
}

std::span<const double> ValueSample::sorted() {
  if (!is_sorted_) {
    std::sort(values_.begin(), values_.end());
    is_sorted_ = true;
  }
  return values_;
}

GroupUnit group_unit(std::string_view group) {
  // By the suffix the monitors give a group's name (docs/monitors.md, "Series").
  const auto ends = [&](std::string_view suffix) { return group.ends_with(suffix); };
  if (ends("_bytes_per_s")) return {"MB/s", 1e-6};
  if (ends("_tokens_per_s")) return {"tok/s", 1};
  if (ends("_requests_per_s")) return {"req/s", 1};
  if (ends("_per_s")) return {"1/s", 1};
  if (ends("_percent")) return {"%", 1};
  if (ends("_bytes")) return {"GiB", 1.0 / (1024.0 * 1024 * 1024)};
  if (ends("_w")) return {"W", 1};
  if (ends("_j")) return {"J", 1};
  if (ends("_c")) return {"°C", 1};
  if (ends("_mhz")) return {"MHz", 1};
  if (ends("_s")) return {"ms", kMs};  // the engine's latency percentiles, written in seconds
  if (group == "server_requests") return {"requests", 1};
  return {"", 1};
}

FigureDisplay figure_display(const std::string& figure) {
  const auto dot = figure.rfind('.');
  const std::string base = dot == std::string::npos ? figure : figure.substr(0, dot);
  const std::string stat = dot == std::string::npos ? "" : figure.substr(dot + 1);
  for (const LatencyMetric& latency : kLatencies) {
    if (base == latency.name) {
      return {stat.empty() ? latency.label : std::string(latency.label) + " " + stat, "ms", kMs};
    }
  }
  if (figure == "request_throughput") return {"Request throughput", "req/s", 1};
  if (figure == "output_token_throughput") return {"Output token throughput", "tok/s", 1};
  if (figure == "total_token_throughput") return {"Total token throughput", "tok/s", 1};
  if (figure == "success_rate") return {"Success rate", "%", 100};
  if (figure == "goodput") return {"Goodput", "req/s", 1};
  if (figure == "cost_per_million_output_tokens") return {"Cost per 1M output tokens", "", 1};
  if (figure == "cost_per_thousand_requests") return {"Cost per 1k requests", "", 1};
  if (figure == "output_tokens_per_gpu_second") return {"Output tokens per GPU-second", "tok/s", 1};
  if (figure == "joules_per_output_token") return {"Energy per output token", "J", 1};
  if (figure == "output_tokens_per_joule") return {"Output tokens per joule", "tok/J", 1};
  if (figure == "joules_per_request") return {"Energy per request", "J", 1};
  if (figure == "average_power_w") return {"Average GPU power", "W", 1};
  if (figure == "gpu_memory_max_bytes") return {"GPU memory used (max)", "GiB", kGiB};
  if (figure == "gpu_engine_memory_max_bytes") return {"Engine's GPU memory (max)", "GiB", kGiB};
  if (figure == "engine_rss_max_bytes") return {"Engine RSS (max)", "GiB", kGiB};
  return {figure, "", 1};
}

ComparisonRow comparison_row(const ComparisonFacts& facts) {
  const FigureDisplay display = figure_display(facts.figure);
  ComparisonRow row;
  row.figure = facts.figure;
  row.label = display.label;
  row.unit = display.unit;
  row.base = scaled(facts.base, display.scale);
  row.base_low = scaled(facts.base_low, display.scale);
  row.base_high = scaled(facts.base_high, display.scale);
  row.next = scaled(facts.next, display.scale);
  row.next_low = scaled(facts.next_low, display.scale);
  row.next_high = scaled(facts.next_high, display.scale);
  row.change_pct = scaled(facts.relative_change, 100);
  row.p = facts.p;
  row.p_adjusted = facts.p_adjusted;
  row.gate_failed = facts.gate_failed;
  if (!facts.base || !facts.next) {
    row.verdict = "not measured";
  } else if (facts.verdict.empty()) {
    row.verdict = "no test";
  } else {
    row.verdict = facts.verdict;
  }
  return row;
}

RepetitionSpread repetition_spread(const std::string& figure, const std::vector<double>& base,
                                   const std::vector<double>& next) {
  const FigureDisplay display = figure_display(figure);
  RepetitionSpread spread{figure, display.label, display.unit, {}, {}};
  for (const double v : base) spread.base.push_back(v * display.scale);
  for (const double v : next) spread.next.push_back(v * display.scale);
  return spread;
}

std::string level_label(const std::string& kind, std::optional<double> offered_rate,
                        std::optional<int> concurrency) {
  if (kind == "concurrency" && concurrency) return fmt::format("c={}", *concurrency);
  if (kind == "rate" && offered_rate) return fmt::format("{:.1f} req/s", *offered_rate);
  return kind;
}

RunViewBuilder::RunViewBuilder(ReportBudget budget)
    : budget_(budget),
      prompt_lengths_(budget.sample_values, 3),
      output_lengths_(budget.sample_values, 5) {}

void RunViewBuilder::add_request(const RequestFacts& request) {
  ++requests_;
  const std::optional<std::size_t> window =
      request.end && *request.end >= 0 && window_s_ > 0
          ? std::optional<std::size_t>(static_cast<std::size_t>(*request.end / window_s_))
          : std::nullopt;
  if (!request.succeeded && !request.error_category.empty() && window) {
    errors_[request.error_category][*window] += 1;
  }
  if (request.schedule_lag && window) lags_[*window].push_back(*request.schedule_lag);
  // The distributions cover what the summary covers: measured, successful requests.
  if (!request.measured || !request.succeeded) return;
  const auto add = [this](const char* metric, std::optional<double> value) {
    if (!value) return;
    auto it = values_.find(metric);
    if (it == values_.end()) {
      it = values_.emplace(metric, ValueSample(budget_.sample_values, values_.size() + 11)).first;
    }
    it->second.add(*value);
  };
  add("ttft", request.ttft);
  add("tpot", request.tpot);
  add("e2e_latency", request.e2e_latency);
  add("ttft_sched", request.ttft_sched);
  add("e2e_sched", request.e2e_sched);
  for (const double gap : request.itl) add("itl", gap);
  if (request.prompt_tokens || request.prompt_tokens_target) {
    prompt_lengths_.add(request.prompt_tokens.value_or(*request.prompt_tokens_target));
  }
  if (request.output_tokens) output_lengths_.add(*request.output_tokens);
  if (request.prompt_tokens && request.prompt_tokens_target) {
    // A uniform sample of the pairs, as ValueSample keeps values.
    ++length_pairs_seen_;
    const std::pair<double, double> pair{*request.prompt_tokens_target, *request.prompt_tokens};
    if (target_vs_engine_.size() < budget_.scatter_points) {
      target_vs_engine_.push_back(pair);
    } else {
      std::uniform_int_distribution<std::uint64_t> pick(0, length_pairs_seen_ - 1);
      const std::uint64_t slot = pick(scatter_random_);
      if (slot < target_vs_engine_.size()) target_vs_engine_[slot] = pair;
    }
  }
  for (const auto& [name, figures] : request.native) {
    auto it = native_.find(name);
    if (it == native_.end()) {
      it = native_.emplace(name, NativeData{ValueSample(budget_.sample_values, 13), {}, {}, {}, {}})
               .first;
    }
    it->second.deltas.add(figures.second - figures.first);
  }
}

void RunViewBuilder::add_window(const WindowFacts& window) { windows_.push_back(window); }

void RunViewBuilder::set_percentiles(const std::string& metric, SummaryPercentiles percentiles) {
  percentiles_[metric] = std::move(percentiles);
}

void RunViewBuilder::set_summary_native(const std::string& name, std::optional<double> client_p50,
                                        std::optional<double> native_p50,
                                        std::optional<double> client_p99,
                                        std::optional<double> native_p99) {
  auto it = native_.find(name);
  if (it == native_.end()) {
    it = native_.emplace(name, NativeData{ValueSample(budget_.sample_values, 13), {}, {}, {}, {}})
             .first;
  }
  it->second.client_p50 = client_p50;
  it->second.native_p50 = native_p50;
  it->second.client_p99 = client_p99;
  it->second.native_p99 = native_p99;
}

namespace {

void add_cards(RunView& view, const RunOverview& o) {
  const auto text = [&view](std::string label, std::string value) {
    if (!value.empty()) view.cards.push_back({std::move(label), std::move(value), {}, "", ""});
  };
  const auto value = [&view](std::string label, std::optional<double> figure, std::string unit,
                             std::string detail = "") {
    view.cards.push_back({std::move(label), {}, figure, std::move(unit), std::move(detail)});
  };
  text("Engine", o.engine_version.empty() ? o.engine : o.engine + " " + o.engine_version);
  text("Model", o.model);
  text("Load", o.load);
  value("Duration", o.duration, "s");
  text("Requests",
       fmt::format("{} ({} succeeded, {} failed, {} cancelled)", count_text(o.requests),
                   count_text(o.succeeded), count_text(o.failed), count_text(o.cancelled)));
  value("Request throughput", o.request_throughput, "req/s");
  value("Output token throughput", o.output_token_throughput, "tok/s");
  value("Success rate", scaled(o.success_rate, 100), "%");
  value("Goodput", o.goodput, "req/s",
        o.slo.empty() ? "no SLO given" : "requests meeting every SLO");
  if (o.cost_per_million_output_tokens || o.cost_per_thousand_requests) {
    value("Cost per 1M output tokens", o.cost_per_million_output_tokens, "");
    value("Cost per 1k requests", o.cost_per_thousand_requests, "");
  }
  if (o.output_tokens_per_gpu_second) {
    value("Output tokens per GPU-second", o.output_tokens_per_gpu_second, "tok/s");
  }
  // The monitors' figures (docs/monitors.md): shown when measured, with where they came from.
  const MonitorOverview& m = o.monitors;
  if (m.joules) {
    value("GPU energy", m.joules, "J", "from the GPUs' energy counters");
    value("Energy per output token", m.joules_per_output_token, "J");
    value("Output tokens per joule", m.output_tokens_per_joule, "tok/J");
    value("Average GPU power", m.average_power_w, "W");
    if (m.idle_power_w) {
      value("Energy above idle", m.joules_above_idle, "J",
            fmt::format("idle baseline {:.0f} W measured before the run", *m.idle_power_w));
    }
  }
  if (m.gpu_memory_max_bytes) {
    value("GPU memory used (max)", scaled(m.gpu_memory_max_bytes, kGiB), "GiB",
          m.gpu_engine_memory_max_bytes
              ? fmt::format("the engine's {:.2f} GiB", *m.gpu_engine_memory_max_bytes * kGiB)
              : "");
  }
  if (m.engine_cpu_mean) {
    value("Engine CPU (mean)", m.engine_cpu_mean, "% of a core", "its process tree, from /proc");
  }
  if (m.engine_rss_max_bytes)
    value("Engine RSS (max)", scaled(m.engine_rss_max_bytes, kGiB), "GiB");
  for (const ServerLatencyOverview& l : m.server_latency) {
    value("Engine's " + l.label + " p50", scaled(l.p50, kMs), "ms",
          fmt::format("from {} ({} observations){}", l.family, count_text(l.count),
                      l.warning.empty() ? "" : "; " + l.warning));
  }
  for (const std::string& line : m.unavailable) text("Not monitored", line);
  text("Stopped", o.stop_detail.empty() ? o.stop_reason : o.stop_reason + ": " + o.stop_detail);
  text("Prompt lengths", o.token_counting);
}

}  // namespace

RunView RunViewBuilder::finish(const RunOverview& overview, bool open_loop, bool per_request_itl) {
  RunView view;
  view.label = overview.label;
  view.source = overview.source;
  add_cards(view, overview);
  view.slo = overview.slo;
  if (overview.client_bound) {
    view.alerts.push_back("client-bound: " + *overview.client_bound +
                          " (the figures may be llmbench's limit, not the engine's)");
  }
  if (overview.interrupted) view.alerts.push_back("interrupted: this result is partial");
  for (const std::string& warning : overview.warnings) view.alerts.push_back(warning);
  view.levels = overview.levels;
  view.sweep = overview.sweep;
  view.details = overview.details;
  for (const LatencyMetric& latency : kLatencies) {
    if (latency.open_loop_only && !open_loop) continue;
    auto values = values_.find(latency.name);
    const auto summary = percentiles_.find(latency.name);
    if (values == values_.end() || values->second.seen() == 0) {
      if (summary != percentiles_.end() && summary->second.count > 0) {
        view.notes.push_back(fmt::format(
            "{}: {} values measured, but their per-request values are not in this result{}; "
            "its percentiles are in the summary",
            latency.label, count_text(summary->second.count),
            std::string_view(latency.name) == "itl" && !per_request_itl
                ? " (--request-detail compact or none)"
                : ""));
      }
      continue;
    }
    ValueSample& sample = values->second;
    std::vector<double> ms;
    const std::span<const double> sorted = sample.sorted();
    ms.reserve(sorted.size());
    for (const double value : sorted) ms.push_back(value * kMs);
    LatencyView distribution;
    distribution.metric = latency.name;
    distribution.label = latency.label;
    distribution.unit = "ms";
    distribution.count = sample.seen();
    distribution.cdf = make_cdf(ms, budget_.cdf_points);
    distribution.histogram = make_histogram(ms, budget_.histogram_bins);
    if (summary != percentiles_.end()) {
      for (PercentileRow row : summary->second.rows) {
        row.value = scaled(row.value, kMs);
        row.low = scaled(row.low, kMs);
        row.high = scaled(row.high, kMs);
        distribution.percentiles.push_back(row);
      }
    }
    if (sample.sampled()) {
      view.notes.push_back(
          fmt::format("{}: the CDF and histogram draw a uniform sample of {} of the {} values; the "
                      "percentiles are the summary's, from every value",
                      latency.label, count_text(sorted.size()), count_text(sample.seen())));
    }
    view.distributions.push_back(std::move(distribution));
  }

  if (!windows_.empty()) {
    TimeSeriesView series;
    const std::size_t n = windows_.size();
    const std::size_t factor =
        budget_.max_windows == 0 ? 1 : (n + budget_.max_windows - 1) / budget_.max_windows;
    series.merged = std::max<std::size_t>(1, factor);
    series.window_s = window_s_ * static_cast<double>(series.merged);
    for (std::size_t i = 0; i < n; i += series.merged) series.t.push_back(windows_[i].t);
    const auto add = [&](std::string name, std::string label, std::string unit, std::string group,
                         const std::vector<std::optional<double>>& values, bool is_count,
                         bool is_percentile) {
      bool any = false;
      for (const auto& value : values) any = any || value.has_value();
      if (!any) return;
      series.series.push_back({std::move(name), std::move(label), std::move(unit), std::move(group),
                               merge_values(values, series.merged, is_count, is_percentile)});
    };
    const auto column = [&](auto field, double scale) {
      std::vector<std::optional<double>> values;
      values.reserve(n);
      for (const WindowFacts& w : windows_) values.push_back(scaled(field(w), scale));
      return values;
    };
    add("request_throughput", "Requests completed per second", "req/s", "throughput",
        column([this](const WindowFacts& w) { return scaled(w.requests_completed, 1 / window_s_); },
               1),
        false, false);
    add("output_token_throughput", "Output tokens per second", "tok/s", "throughput",
        column([](const WindowFacts& w) { return w.output_token_rate; }, 1), false, false);
    add("in_flight", "Requests in flight (time-averaged)", "requests", "in_flight",
        column([](const WindowFacts& w) { return w.in_flight; }, 1), false, false);
    add("ttft_p50", "TTFT p50", "ms", "latency",
        column([](const WindowFacts& w) { return w.ttft_p50; }, kMs), false, true);
    add("ttft_p99", "TTFT p99", "ms", "latency",
        column([](const WindowFacts& w) { return w.ttft_p99; }, kMs), false, true);
    add("itl_p50", "ITL p50", "ms", "latency",
        column([](const WindowFacts& w) { return w.itl_p50; }, kMs), false, true);
    add("itl_p99", "ITL p99", "ms", "latency",
        column([](const WindowFacts& w) { return w.itl_p99; }, kMs), false, true);
    for (const auto& [category, by_window] : errors_) {
      std::vector<std::optional<double>> values(n, 0.0);
      for (const auto& [index, count] : by_window) {
        if (index < n) values[index] = count;
      }
      add("errors_" + category, "Failed: " + category, "requests", "errors", values, true, false);
    }
    if (open_loop && !lags_.empty()) {
      std::vector<std::optional<double>> values(n);
      for (auto& [index, lags] : lags_) {
        if (index >= n) continue;
        std::sort(lags.begin(), lags.end());
        values[index] = percentile_sorted(lags, 0.99) * kMs;
      }
      add("schedule_lag_p99", "Schedule lag p99", "ms", "schedule", values, false, true);
    }
    // Whatever else the windows carry, in order of first appearance, grouped by the part of
    // the name before its first dot ("gpu.power" → gpu).
    std::vector<std::string> other_names;
    std::map<std::string, std::vector<std::optional<double>>> other_values;
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& [name, value] : windows_[i].other) {
        auto [it, inserted] = other_values.try_emplace(name, n);
        if (inserted) other_names.push_back(name);
        it->second[i] = value;
      }
    }
    for (const std::string& name : other_names) {
      const auto dot = name.find('.');
      const std::string group = dot == std::string::npos ? "other" : name.substr(0, dot);
      const bool percentile = name.find(".p") != std::string::npos;
      const GroupUnit unit = group_unit(group);
      std::vector<std::optional<double>>& values = other_values[name];
      for (auto& value : values) value = scaled(value, unit.scale);
      add(name, name, unit.unit, group, values, false, percentile);
    }
    if (series.merged > 1) {
      view.notes.push_back(fmt::format(
          "time series: {} windows of {} s merged {} to a point ({} s): rates and in-flight "
          "averaged, counts summed, percentiles the largest of the merged windows'",
          count_text(n), window_s_, series.merged, series.window_s));
    }
    view.time_series = std::move(series);
  }

  for (auto& [name, data] : native_) {
    NativeView native;
    native.metric = name;
    const FigureDisplay display = figure_display(name);
    native.label = display.label;
    native.unit = "ms";
    native.count = data.deltas.seen();
    native.client_p50 = scaled(data.client_p50, kMs);
    native.native_p50 = scaled(data.native_p50, kMs);
    native.client_p99 = scaled(data.client_p99, kMs);
    native.native_p99 = scaled(data.native_p99, kMs);
    std::vector<double> ms;
    const std::span<const double> sorted = data.deltas.sorted();
    ms.reserve(sorted.size());
    for (const double value : sorted) ms.push_back(value * kMs);
    if (!ms.empty()) native.delta_p50 = percentile_sorted(ms, 0.5);
    native.delta_histogram = make_histogram(ms, budget_.histogram_bins);
    if (native.count == 0 && !native.client_p50 && !native.native_p50) continue;
    view.native.push_back(std::move(native));
  }

  if (prompt_lengths_.seen() > 0 || output_lengths_.seen() > 0) {
    WorkloadView workload;
    workload.prompt_lengths = make_histogram(prompt_lengths_.sorted(), budget_.histogram_bins);
    workload.output_lengths = make_histogram(output_lengths_.sorted(), budget_.histogram_bins);
    workload.token_counting = overview.token_counting;
    workload.samples = overview.samples;
    workload.target_vs_engine = target_vs_engine_;
    std::sort(workload.target_vs_engine.begin(), workload.target_vs_engine.end());
    view.workload = std::move(workload);
  }
  return view;
}

}  // namespace llmbench::metrics
