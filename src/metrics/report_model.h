#pragma once
// The report model (docs/reports.md): everything a report shows — cards, distributions,
// time series, levels, native-vs-client deltas, workload shape, comparisons, trends — computed
// once here, so the renderers in report/ (HTML, Markdown, CSV, terminal) only format it and a
// figure reads the same in every format. Per-request data is reduced to a stated budget
// (ReportBudget), so a report of a million-request run stays small enough to open.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace llmbench::metrics {

inline constexpr int kReportModelSchema = 1;

// How much per-request data a report keeps. The defaults bound a report's data to about
// 2 MB whatever the run's size (docs/reports.md, "Size").
struct ReportBudget {
  std::size_t cdf_points = 512;           // per distribution
  std::size_t histogram_bins = 60;        // per histogram
  std::size_t max_windows = 5'000;        // time-series points per series; more are merged
  std::size_t sample_values = 1'000'000;  // values kept per distribution (a uniform sample beyond)
  std::size_t scatter_points = 500;       // target-vs-engine prompt lengths
};

struct BinCounts {
  std::vector<double> edges;  // counts.size() + 1 ascending edges; empty without values
  std::vector<std::uint64_t> counts;
};

// Equal-width bins over [min, max] of the values (one bin when they are all equal).
BinCounts make_histogram(std::span<const double> values, std::size_t bins);

// At most `points` (value, fraction ≤ value) pairs of the empirical CDF of `sorted` (ascending):
// evenly spaced ranks, always the first and the last value, fractions in (0, 1].
std::vector<std::pair<double, double>> make_cdf(std::span<const double> sorted, std::size_t points);

// Keeps every value up to `capacity`, then a uniform sample of that size (Algorithm R), seeded,
// so a report of the same file is the same report. `seen()` counts every value offered.
class ValueSample {
 public:
  explicit ValueSample(std::size_t capacity, std::uint64_t seed = 1);
  void add(double value);
  [[nodiscard]] std::uint64_t seen() const { return seen_; }
  [[nodiscard]] bool sampled() const { return seen_ > values_.size(); }
  // The kept values, sorted ascending (sorts in place on the first call after an add).
  [[nodiscard]] std::span<const double> sorted();

 private:
  std::size_t capacity_;
  std::vector<double> values_;
  std::uint64_t seen_ = 0;
  bool is_sorted_ = true;
  std::mt19937_64 random_;
};

// A figure on a card: text ("vllm 0.11.0") or a value in a unit; a value that was not
// measured is nullopt and reads "—".
struct Card {
  std::string label;
  std::optional<std::string> text;
  std::optional<double> value;
  std::string unit;
  std::string detail;  // "95 % CI 1490–1550", "no SLO given", or ""
};

struct SloVerdict {
  std::string gate;             // as written: "ttft:p99<=100ms"
  std::optional<bool> passed;   // nullopt: not judged
  std::optional<double> value;  // in `unit`; nullopt when the percentile fell on a failure
  std::string unit;
};

struct PercentileRow {
  double p = 0;  // 50, 90, 99, 99.9
  std::optional<double> value, low, high;
};

// One latency's distribution, values in `unit` (ms).
struct LatencyView {
  std::string metric;  // ttft, itl, tpot, e2e_latency, ttft_sched, e2e_sched
  std::string label;   // "TTFT", "TTFT (from schedule)"
  std::string unit;
  std::uint64_t count = 0;  // values measured (the CDF may draw a sample of them)
  std::vector<std::pair<double, double>> cdf;
  BinCounts histogram;
  std::vector<PercentileRow> percentiles;  // the run summary's, with its confidence intervals
};

struct Series {
  std::string name, label, unit;
  // Series of one group share a chart: throughput, in_flight, latency, errors, schedule, or
  // the name of a series family a result adds (monitors: gpu, host, engine…).
  std::string group;
  std::vector<std::optional<double>> values;  // one per window; nullopt: nothing in it
};

struct TimeSeriesView {
  double window_s = 1;     // after merging: the original window × merge factor
  std::size_t merged = 1;  // original windows per point (1 when within the budget)
  std::vector<double> t;   // window start, s from the run start
  std::vector<Series> series;
};

struct LevelRow {
  std::size_t index = 0;
  std::string label;  // "c=16", "12.0 req/s", "synchronous"
  std::string kind;
  std::optional<double> offered_rate;
  std::optional<int> concurrency;
  // Throughputs, latencies (ms) and success rate (%), keyed as in the schema
  // (request_throughput, ttft_p50, …, success_rate); a figure not measured is absent.
  std::map<std::string, double> figures;
  std::string stop_reason;
};

struct SweepMarks {
  std::optional<std::size_t> knee_level, max_sustainable_level;
  std::optional<double> max_sustainable_rate;
};

// An engine-reported figure beside the client's own, and how far apart they are per request.
struct NativeView {
  std::string metric, label, unit;
  std::uint64_t count = 0;
  std::optional<double> client_p50, native_p50, client_p99, native_p99, delta_p50;
  BinCounts delta_histogram;  // client − engine, per request
};

struct TextSample {
  std::string prompt, output;  // already cut to a few hundred bytes, valid UTF-8
};

struct WorkloadView {
  std::string token_counting;  // how prompt lengths were made exact, in words
  BinCounts prompt_lengths, output_lengths;
  std::vector<std::pair<double, double>> target_vs_engine;  // prompt tokens
  std::vector<TextSample> samples;
};

struct RunDetails {
  std::string command_line;
  std::string spec_json, context_json;  // compact JSON text, already redacted
};

struct RunView {
  std::string label, source;
  std::vector<Card> cards;
  std::vector<SloVerdict> slo;
  std::vector<std::string> alerts;
  std::vector<LatencyView> distributions;
  std::optional<TimeSeriesView> time_series;
  std::vector<LevelRow> levels;
  std::optional<SweepMarks> sweep;
  std::vector<NativeView> native;
  std::optional<WorkloadView> workload;
  RunDetails details;
  std::vector<std::string> notes;  // what was sampled or left out, for the report's header
};

struct ComparisonRow {
  std::string figure, label, unit;
  std::optional<double> base, base_low, base_high, next, next_low, next_high;
  std::optional<double> change_pct, p, p_adjusted;
  std::string
      verdict;  // regressed | improved | within noise | no significant difference | not measured
  bool gate_failed = false;
};

struct CdfCurve {
  std::string label;
  std::vector<std::pair<double, double>> cdf;
};

struct CdfOverlay {
  std::string metric, label, unit;
  std::vector<CdfCurve> curves;
};

struct RepetitionSpread {
  std::string figure, label, unit;
  std::vector<double> base, next;  // the figure per repetition, in `unit`
};

struct ComparisonSectionView {
  std::string title, base, next;
  std::vector<std::string> base_sources, next_sources;
  std::string method;  // how significance was judged, in words
  std::vector<ComparisonRow> rows;
  std::vector<std::pair<std::string, double>> geomeans;  // "lower is better", change in %
  std::vector<CdfOverlay> overlay;
  std::vector<RepetitionSpread> spread;
};

struct ComparisonView {
  std::vector<ComparisonSectionView> sections;
  bool gate_failed = false;
  std::vector<std::string> gate_lines;
};

struct TrendPoint {
  std::int64_t id = 0;
  std::string started_at, engine, model;
  std::optional<double> value;
  std::vector<std::string> tags;
};

struct TrendView {
  std::string metric, label, unit;
  std::vector<TrendPoint> points;
};

enum class ReportKind { kRun, kSweep, kSuite, kComparison, kTrend };
std::string_view to_string(ReportKind kind);

// Immutable once built: renderers take it by const reference.
struct ReportModel {
  ReportKind kind = ReportKind::kRun;
  std::string title, generated_by, generated_at;
  std::vector<std::string> warnings, notes;
  std::optional<ComparisonView> comparison;
  std::optional<TrendView> trend;
  std::vector<RunView> runs;
};

// ---- Figures in display units ----

// A figure name of the summary ("ttft.p99", "output_token_throughput", "success_rate") →
// its label ("TTFT p99"), unit ("ms") and the factor from the result's unit (s → ms: 1000).
struct FigureDisplay {
  std::string label, unit;
  double scale = 1;
};
FigureDisplay figure_display(const std::string& figure);

// The unit (and the scale from the result's) of a series group a result's windows add, by
// the suffix of its name: gpu_power_w → W, host_memory_bytes → GiB, server_ttft_s → ms.
struct GroupUnit {
  std::string unit;
  double scale = 1;
};
GroupUnit group_unit(std::string_view group);

// A comparison's row in display units: values and intervals scaled by figure_display (s → ms,
// fraction → %), the relative change in %, and the verdict as every renderer words it ("no
// test" where the sides had too few runs to test, "not measured" where a side lacks it).
struct ComparisonFacts {
  std::string figure;
  std::optional<double> base, base_low, base_high, next, next_low, next_high;
  std::optional<double> relative_change, p, p_adjusted;
  std::string verdict;  // metrics::to_string(Verdict) when tested, else ""
  bool gate_failed = false;
};
ComparisonRow comparison_row(const ComparisonFacts& facts);

// The per-repetition spread of one figure, in display units.
RepetitionSpread repetition_spread(const std::string& figure, const std::vector<double>& base,
                                   const std::vector<double>& next);

// ---- Building a run's view from its data, one request at a time ----

// What the builder needs of one request, in the result file's units (seconds, tokens).
struct RequestFacts {
  bool measured = true;  // phase "measure"
  bool succeeded = true;
  std::string error_category;  // "" when it succeeded
  std::optional<double> end;   // s from the run start
  std::optional<double> ttft, e2e_latency, tpot, ttft_sched, e2e_sched, schedule_lag;
  std::span<const double> itl;
  std::optional<double> prompt_tokens, prompt_tokens_target, output_tokens;
  // Engine-reported figures: name → (native, client), seconds.
  std::vector<std::pair<std::string, std::pair<double, double>>> native;
};

// One window of the result's time series, as written (seconds, counts).
struct WindowFacts {
  double t = 0;
  std::optional<double> requests_completed, requests_failed, output_token_rate, in_flight;
  std::optional<double> ttft_p50, ttft_p99, itl_p50, itl_p99;
  // Any other numeric field of the window ("gpu_util", "kv_cache.usage"…): drawn as found.
  std::vector<std::pair<std::string, double>> other;
};

// A summary statistic: the summary's percentile with its confidence interval, seconds.
struct SummaryPercentiles {
  std::uint64_t count = 0;
  std::vector<PercentileRow> rows;  // p50, p90, p99, p99.9 as in the summary
};

// The monitors' figures of a run (docs/monitors.md), as its summary has them; absent when not
// measured.
struct ServerLatencyOverview {
  std::string name, label, family, warning;
  std::uint64_t count = 0;
  std::optional<double> p50, p99;  // s
};
struct MonitorOverview {
  std::optional<double> joules, joules_per_output_token, output_tokens_per_joule, average_power_w,
      idle_power_w, joules_above_idle;
  std::optional<double> gpu_memory_max_bytes, gpu_engine_memory_max_bytes, engine_rss_max_bytes,
      engine_cpu_mean;
  std::vector<ServerLatencyOverview> server_latency;
  std::vector<std::string> unavailable;  // why a monitor did not run ("GPU monitor not …")
};

// The run as a whole, read from its result: what the cards, alerts, SLO verdicts, levels and
// details show. Rates as fractions (0..1), durations in seconds.
struct RunOverview {
  std::string label, source;
  std::string engine, engine_version, model, load, stop_reason, stop_detail, token_counting;
  std::optional<double> duration, request_throughput, output_token_throughput, success_rate,
      goodput, total_token_throughput;
  std::optional<double> cost_per_million_output_tokens, cost_per_thousand_requests,
      output_tokens_per_gpu_second;
  std::uint64_t requests = 0, succeeded = 0, failed = 0, cancelled = 0;
  bool interrupted = false;
  std::vector<SloVerdict> slo;              // values already in `unit`
  std::optional<std::string> client_bound;  // the reason, when the client was the limit
  std::vector<std::string> warnings;
  std::vector<LevelRow> levels;
  std::optional<SweepMarks> sweep;
  RunDetails details;
  std::vector<TextSample> samples;  // a few prompts and outputs, already cut
  MonitorOverview monitors;
};

class RunViewBuilder {
 public:
  explicit RunViewBuilder(ReportBudget budget = {});
  void add_request(const RequestFacts& request);
  void add_window(const WindowFacts& window);
  void set_window(double seconds) { window_s_ = seconds; }
  // The summary's percentiles of a latency ("ttft", …), seconds.
  void set_percentiles(const std::string& metric, SummaryPercentiles percentiles);
  void set_summary_native(const std::string& name, std::optional<double> client_p50,
                          std::optional<double> native_p50, std::optional<double> client_p99,
                          std::optional<double> native_p99);
  // The view: `overview` gives the cards, alerts, SLO verdicts, levels and details.
  RunView finish(const RunOverview& overview, bool open_loop, bool per_request_itl);

 private:
  ReportBudget budget_;
  double window_s_ = 1;
  std::map<std::string, ValueSample> values_;  // per latency metric, seconds
  std::map<std::string, SummaryPercentiles> percentiles_;
  std::vector<WindowFacts> windows_;
  // Per window index: failures by category, schedule lags.
  std::map<std::string, std::map<std::size_t, double>> errors_;
  std::map<std::size_t, std::vector<double>> lags_;
  ValueSample prompt_lengths_, output_lengths_;
  std::vector<std::pair<double, double>> target_vs_engine_;
  std::uint64_t length_pairs_seen_ = 0;
  std::mt19937_64 scatter_random_{7};
  struct NativeData {
    ValueSample deltas{1};
    std::optional<double> client_p50, native_p50, client_p99, native_p99;
  };
  std::map<std::string, NativeData> native_;
  std::uint64_t requests_ = 0;
};

// A level's row label: "c=16" (closed loop), "12.0 req/s" (open loop), else its kind
// ("synchronous", "throughput").
std::string level_label(const std::string& kind, std::optional<double> offered_rate,
                        std::optional<int> concurrency);

}  // namespace llmbench::metrics
