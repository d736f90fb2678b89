#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/redact.h"
#include "core/text.h"
#include "report/report.h"

namespace llmbench::report {

namespace {

std::string csv_field(std::string_view raw) {
  const std::string text = redact(raw);
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string opt(const std::optional<double>& v) { return v ? fmt::format("{:.9g}", *v) : ""; }

// An empty statistic has only its count: the other figures were not measured. Each
// percentile's confidence interval ends are rows `pNN_ci_low`, `pNN_ci_high` where bounded.
void stats_rows(std::string& out, std::string_view metric, const metrics::Stats& s) {
  out += fmt::format("{},count,{}\n", metric, s.count);
  if (s.count == 0) return;
  const std::pair<std::string_view, double> rows[] = {
      {"mean", s.mean}, {"min", s.min}, {"p50", s.p50},    {"p90", s.p90},
      {"p95", s.p95},   {"p99", s.p99}, {"p99.9", s.p999}, {"max", s.max}};
  for (const auto& [stat, value] : rows) out += fmt::format("{},{},{:.9g}\n", metric, stat, value);
  if (s.count > 1) out += fmt::format("{},std,{:.9g}\n", metric, s.std);
  for (std::size_t i = 0; i < metrics::kReportedPercentiles.size(); ++i) {
    const metrics::PercentileCi& ci = s.ci[i];
    const std::string_view name = metrics::kReportedPercentiles[i];
    if (ci.low) out += fmt::format("{},{}_ci_low,{:.9g}\n", metric, name, *ci.low);
    if (ci.high) out += fmt::format("{},{}_ci_high,{:.9g}\n", metric, name, *ci.high);
  }
}

// Milliseconds with three decimals, "—" when not measured; `mark` appends the sparse-tail
// marker (a trailing space otherwise, so figures stay aligned).
std::string ms_cell(double seconds, bool measured, std::optional<bool> sparse = std::nullopt) {
  if (!measured) return sparse ? "— " : "—";
  std::string cell = fmt::format("{:.3f}", seconds * 1e3);
  if (sparse) cell += *sparse ? "*" : " ";
  return cell;
}

}  // namespace

std::string requests_csv_header() {
  return "id,level,phase,prompt_tokens,prompt_tokens_target,output_tokens,output_tokens_source,"
         "max_tokens,ttft,e2e_latency,tpot,itl_mean,ttft_sched,e2e_sched,schedule_lag,retries,"
         "finish_reason,http_status,error_category,error_message\n";
}

std::string requests_csv_row(const RequestRecord& r, const metrics::RequestMetrics& m) {
  double itl_sum = 0;
  for (const double gap : m.itl) itl_sum += gap;
  const std::optional<double> itl_mean =
      m.itl.empty() ? std::nullopt
                    : std::optional<double>(itl_sum / static_cast<double>(m.itl.size()));
  return fmt::format(
      "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.id, r.level,
      to_string(r.phase), r.usage.prompt_tokens ? std::to_string(*r.usage.prompt_tokens) : "",
      r.prompt_tokens_target, m.output_tokens, r.output_tokens_from_engine() ? "native" : "client",
      r.max_tokens, opt(m.ttft), opt(m.e2e), opt(m.tpot), opt(itl_mean), opt(m.ttft_sched),
      opt(m.e2e_sched), opt(m.schedule_lag), r.retries, csv_field(r.finish_reason),
      r.http_status == 0 ? "" : std::to_string(r.http_status),
      r.error ? std::string(to_string(r.error->category)) : "",
      r.error ? csv_field(r.error->message) : "");
}

std::string requests_csv(const RunReport& report) {
  std::string out = requests_csv_header();
  for (std::size_t i = 0; i < report.records.size(); ++i) {
    out += requests_csv_row(report.records[i], report.per_request[i]);
  }
  return out;
}

std::string summary_csv(const RunReport& report) {
  const metrics::RunSummary& s = report.summary;
  std::string out = "metric,stat,value\n";
  stats_rows(out, "ttft", s.ttft);
  stats_rows(out, "itl", s.itl);
  stats_rows(out, "tpot", s.tpot);
  stats_rows(out, "e2e_latency", s.e2e);
  if (s.ttft_sched.count > 0) stats_rows(out, "ttft_sched", s.ttft_sched);
  if (s.e2e_sched.count > 0) stats_rows(out, "e2e_sched", s.e2e_sched);
  if (s.schedule_lag.count > 0) stats_rows(out, "schedule_lag", s.schedule_lag);
  out += fmt::format("request_throughput,value,{:.9g}\n", s.request_throughput);
  out += fmt::format("total_token_throughput,value,{:.9g}\n", s.total_token_throughput);
  if (s.completion_rate > 0) {
    out += fmt::format("completion_rate,value,{:.9g}\n", s.completion_rate);
  }
  out += fmt::format("mean_concurrency,value,{:.9g}\n", s.mean_concurrency);
  if (s.goodput) out += fmt::format("goodput,value,{:.9g}\n", *s.goodput);
  out += fmt::format("retries,value,{}\n", s.retries);
  out += fmt::format("resends,value,{}\n", s.resends);
  out += fmt::format("client_process_cpu,value,{:.9g}\n", s.client.process_cpu);
  if (report.sweep && report.sweep->max_sustainable_rate) {
    out += fmt::format("max_sustainable_rate,value,{:.9g}\n", *report.sweep->max_sustainable_rate);
  }
  out += fmt::format("output_token_throughput,value,{:.9g}\n", s.output_token_throughput);
  out += fmt::format("success_rate,value,{:.9g}\n", s.success_rate);
  if (s.cost_per_million_output_tokens) {
    out += fmt::format("cost_per_million_output_tokens,value,{:.9g}\n",
                       *s.cost_per_million_output_tokens);
  }
  if (s.cost_per_thousand_requests) {
    out += fmt::format("cost_per_thousand_requests,value,{:.9g}\n", *s.cost_per_thousand_requests);
  }
  if (s.output_tokens_per_gpu_second) {
    out +=
        fmt::format("output_tokens_per_gpu_second,value,{:.9g}\n", *s.output_tokens_per_gpu_second);
  }
  out += fmt::format("requests,value,{}\n", s.requests);
  out += fmt::format("cancelled,value,{}\n", s.cancelled);
  out += fmt::format("duration,value,{:.9g}\n", s.duration);
  if (s.prompt_length_mismatch_rate) {
    out +=
        fmt::format("prompt_length_mismatch_rate,value,{:.9g}\n", *s.prompt_length_mismatch_rate);
    out += fmt::format("prompt_length_offset,value,{}\n", s.prompt_length_offset);
  }
  if (s.output_length_accuracy) {
    out += fmt::format("output_length_accuracy,value,{:.9g}\n", *s.output_length_accuracy);
  }
  for (const auto& [category, count] : s.errors)
    out += fmt::format("errors,{},{}\n", category, count);
  return redact(out);
}

namespace {
void print_summary_unredacted(std::ostream& out, const RunReport& report);
}  // namespace

void print_summary(std::ostream& out, const RunReport& report) {
  std::ostringstream text;
  print_summary_unredacted(text, report);
  out << redact(text.str());
}

namespace {
void print_summary_unredacted(std::ostream& out, const RunReport& report) {
  const metrics::RunSummary& s = report.summary;
  const ResolvedRunSpec& spec = report.spec;
  const std::string load = spec.load_mode == LoadMode::kClosedLoop
                               ? fmt::format("concurrency={}", spec.concurrency)
                           : spec.load_mode == LoadMode::kOpenLoop && spec.rate
                               ? fmt::format("rate={:g}/s {}", *spec.rate, spec.arrival)
                               : std::string(to_string(spec.load_mode));
  fmt::print(out, "\nllmbench — {} ({}) model={} {} {}{}\n", spec.url, spec.engine, spec.model,
             spec.stream ? "stream" : "no-stream", load,
             report.stop_reason == "interrupted"      ? "  [INTERRUPTED: partial result]"
             : report.stop_reason == "max_error_rate" ? "  [STOPPED: error rate over limit]"
             : report.stop_reason == "stable"         ? "  [STOPPED: stable]"
                                                      : "");
  if (!report.stop_detail.empty()) fmt::print(out, "{}\n", report.stop_detail);
  if (!report.levels.empty()) {
    fmt::print(out, "{:<6}{:<13}{:>10}{:>8}{:>12}{:>11}{:>11}{:>11}{:>9}\n", "level", "kind",
               "offered/s", "conc", "achieved/s", "TTFT p50", "TTFT p99", "E2E p50", "ok %");
    for (const LevelReport& level : report.levels) {
      const metrics::RunSummary& ls = level.summary;
      auto cell = [](const metrics::Stats& st, double v, std::size_t ci) {
        if (st.count == 0) return std::string("— ");
        return fmt::format("{:.1f}{}", v * 1e3, st.ci[ci].sparse() ? "*" : " ");
      };
      fmt::print(out, "{:<6}{:<13}{:>10}{:>8}{:>12}{:>11}{:>11}{:>11}{:>9}{}\n", level.index,
                 level.kind, level.offered_rate ? fmt::format("{:.2f}", *level.offered_rate) : "-",
                 level.concurrency ? std::to_string(*level.concurrency) : "-",
                 ls.completion_rate > 0 ? fmt::format("{:.2f}", ls.completion_rate) : "—",
                 cell(ls.ttft, ls.ttft.p50, 0), cell(ls.ttft, ls.ttft.p99, 3),
                 cell(ls.e2e, ls.e2e.p50, 0),
                 ls.succeeded + ls.failed > 0 ? fmt::format("{:.1f}", ls.success_rate * 100) : "—",
                 report.sweep && report.sweep->knee_level == level.index ? "  <- knee" : "");
    }
    if (report.sweep) {
      fmt::print(out, "max sustainable rate: {}\n",
                 report.sweep->max_sustainable_rate
                     ? fmt::format("{:.2f} req/s", *report.sweep->max_sustainable_rate)
                     : std::string("none of the rate levels kept up"));
    }
    fmt::print(out, "all levels together:\n");
  }
  fmt::print(out, "{:<14}{:>8}{:>10}{:>10}{:>10} {:>10} {:>10} {:>10} {:>10}\n", "latency (ms)",
             "count", "mean", "min", "p50", "p90", "p99", "p99.9", "max");
  bool sparse_shown = false;
  auto row = [&out, &sparse_shown](std::string_view name, const metrics::Stats& st) {
    const bool m = st.count > 0;
    auto pct = [&](double v, std::size_t ci) {
      sparse_shown = sparse_shown || (m && st.ci[ci].sparse());
      return ms_cell(v, m, m && st.ci[ci].sparse());
    };
    fmt::print(out, "{:<14}{:>8}{:>10}{:>10}{:>11}{:>11}{:>11}{:>11}{:>10}\n", name, st.count,
               ms_cell(st.mean, m), ms_cell(st.min, m), pct(st.p50, 0), pct(st.p90, 1),
               pct(st.p99, 3), pct(st.p999, 4), ms_cell(st.max, m));
  };
  row("TTFT", s.ttft);
  row("ITL", s.itl);
  row("TPOT", s.tpot);
  row("E2E", s.e2e);
  if (spec.load_mode != LoadMode::kClosedLoop && s.schedule_lag.count > 0) {
    row("TTFT sched", s.ttft_sched);
    row("E2E sched", s.e2e_sched);
    row("sched lag", s.schedule_lag);
  }
  if (sparse_shown) {
    fmt::print(out,
               "* fewer than {} samples lie beyond this percentile: a rough figure (confidence "
               "intervals in the JSON result)\n",
               metrics::kSparseTail);
  }
  fmt::print(
      out, "requests: {} ok / {} total{}, success rate {}, duration {:.2f} s\n", s.succeeded,
      s.requests,
      s.cancelled > 0 ? fmt::format(", {} cancelled (left out of the success rate)", s.cancelled)
                      : "",
      s.succeeded + s.failed > 0 ? fmt::format("{:.2f}%", s.success_rate * 100) : "—", s.duration);
  if (s.warmup_requests + s.cooldown_requests > 0) {
    fmt::print(out, "excluded from statistics: {} warm-up, {} cool-down requests\n",
               s.warmup_requests, s.cooldown_requests);
  }
  if (s.retries > 0) {
    fmt::print(out, "retries: {} ({} requests retried)\n", s.retries, s.requests_retried);
  }
  if (s.resends > 0) {
    fmt::print(out, "resends: {} (written again after a failed write on a kept-alive connection)\n",
               s.resends);
  }
  // Throughput is over the whole duration, ramp-up and drain included; the completion rate
  // between the first and last completion is the rate the engine kept up.
  fmt::print(
      out,
      "throughput: {:.2f} req/s over the run (completion rate {}), {:.1f} output tokens/s "
      "({} output tokens)\n",
      s.request_throughput,
      s.completion_rate > 0 ? fmt::format("{:.2f} req/s", s.completion_rate) : std::string("—"),
      s.output_token_throughput, s.output_tokens);
  if (s.cost_per_million_output_tokens || s.output_tokens_per_gpu_second) {
    auto value = [](const std::optional<double>& v, const char* format) {
      return v ? fmt::format(fmt::runtime(format), *v) : std::string("—");
    };
    fmt::print(out,
               "cost: {} per million output tokens, {} per thousand requests, {} output "
               "tokens per GPU-second\n",
               value(s.cost_per_million_output_tokens, "{:.4g}"),
               value(s.cost_per_thousand_requests, "{:.4g}"),
               value(s.output_tokens_per_gpu_second, "{:.1f}"));
  }
  if (!s.errors.empty()) {
    std::string list;
    for (const auto& [category, count] : s.errors) {
      list += fmt::format("{}{}={}", list.empty() ? "" : ", ", category, count);
    }
    fmt::print(out, "errors: {}\n", list);
  }
  if (s.prompt_length_mismatch_rate) {
    fmt::print(
        out,
        "prompt length: {:.1f}% of {} requests exactly their target by the engine's count ({})\n",
        (1 - *s.prompt_length_mismatch_rate) * 100, s.prompt_length_checked,
        report.workload.token_method);
  }
  if (s.output_length_accuracy) {
    fmt::print(out, "output length: {:.1f}% of requests got exactly the tokens asked for\n",
               *s.output_length_accuracy * 100);
  }
  if (!s.native.empty()) {
    fmt::print(out, "{:<24}{:>14}{:>14}{:>14}   (engine-reported vs client, p50 ms)\n",
               "native figure", "native", "client", "delta");
    for (const auto& [name, n] : s.native) {
      fmt::print(out, "{:<24}{:>14.3f}{:>14}{:>14}\n", name, n.native.p50 * 1e3,
                 n.client.count ? fmt::format("{:.3f}", n.client.p50 * 1e3) : "-",
                 n.delta.count ? fmt::format("{:+.3f}", n.delta.p50 * 1e3) : "-");
    }
  }
  if (s.cold_starts > 0) fmt::print(out, "cold starts (model loaded): {}\n", s.cold_starts);
  for (const metrics::SloResult& r : s.slos) {
    const std::string actual =
        r.actual         ? fmt::format("{} {:.3f} ms", r.slo.percentile, *r.actual * 1e3)
        : r.failures > 0 ? fmt::format("{} falls on a failed request", r.slo.percentile)
                         : std::string("nothing measured");
    const std::string failures =
        r.failures > 0
            ? fmt::format("; {} of {} {} were failed requests, counted as misses", r.failures,
                          r.samples, r.slo.metric == "itl" ? "gaps" : "values")
            : "";
    fmt::print(out, "SLO {}: {} ({}{})\n", metrics::to_string(r.slo), r.met ? "met" : "MISSED",
               actual, failures);
  }
  if (s.goodput) {
    fmt::print(out, "goodput: {:.2f} req/s ({} of {} requests met every objective)\n", *s.goodput,
               s.good_requests, s.requests);
  }
  if (!s.client.worker_cpu.empty()) {
    double busiest = 0;
    for (const double c : s.client.worker_cpu) busiest = std::max(busiest, c);
    fmt::print(out,
               "client: {} worker thread(s), busiest {:.0f}% of a core, process {:.2f} cores\n",
               s.client.worker_cpu.size(), busiest * 100, s.client.process_cpu);
  }
  for (const std::string& w : report.warnings) fmt::print(out, "warning: {}\n", w);
}
}  // namespace

std::string request_table(const RequestRecord& r, const metrics::RequestMetrics& m) {
  std::string out;
  auto row = [&out](std::string_view name, const std::string& value, std::string_view source) {
    out += fmt::format("{:<26}{:>16}  {}\n", name, value, source);
  };
  auto ms = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.3f} ms", *v * 1e3) : std::string("-");
  };
  out += fmt::format("{:<26}{:>16}  {}\n", "figure", "value", "source");
  row("status", r.http_status ? std::to_string(r.http_status) : "-", "");
  row("error", r.error ? std::string(to_string(r.error->category)) : "none",
      r.error ? r.error->message : "");
  row("ttft", ms(m.ttft), "client");
  row("e2e_latency", ms(m.e2e), "client");
  row("tpot", ms(m.tpot), "client");
  double itl_sum = 0;
  for (const double gap : m.itl) itl_sum += gap;
  row("itl (mean)",
      m.itl.empty() ? "-"
                    : fmt::format("{:.3f} ms", itl_sum / static_cast<double>(m.itl.size()) * 1e3),
      "client");
  row("token arrivals", std::to_string(r.events.size()), "client");
  row("output_tokens", r.usage.output_tokens ? std::to_string(*r.usage.output_tokens) : "-",
      "native");
  row("output_tokens", std::to_string(r.client_output_tokens()), "client");
  row("output_tokens", std::to_string(r.max_tokens), "requested");
  row("prompt_tokens", r.usage.prompt_tokens ? std::to_string(*r.usage.prompt_tokens) : "-",
      "native");
  if (r.usage.cached_prompt_tokens)
    row("cached_prompt_tokens", std::to_string(*r.usage.cached_prompt_tokens), "native");
  for (const metrics::NativeComparison& c : m.native) {
    row(c.name, fmt::format("{:.3f} ms", c.native * 1e3), "native");
    if (c.client) row(c.name, ms(c.client), "client");
    if (c.delta) row(c.name + " delta", fmt::format("{:+.3f} ms", *c.delta * 1e3), "derived");
  }
  if (r.cold_start) row("cold_start", "yes", "derived");
  row("finish_reason", r.finish_reason.empty() ? "-" : r.finish_reason, "native");
  return redact(out);
}

std::string go_duration(double seconds) {
  // Three significant digits at most, trailing zeros dropped, in the largest unit under
  // which the value is at least 1 (Go prints more digits; these are enough to read).
  const auto trimmed = [](double v, std::string_view unit) {
    std::string text = fmt::format("{:.3g}", v);
    if (text.find('e') != std::string::npos) text = fmt::format("{:.0f}", v);
    return text + std::string(unit);
  };
  const double abs = seconds < 0 ? -seconds : seconds;
  if (abs >= 1) return fmt::format("{:.4g}s", seconds);
  if (abs >= 1e-3) return trimmed(seconds * 1e3, "ms");
  if (abs >= 1e-6) return trimmed(seconds * 1e6, "µs");
  return trimmed(seconds * 1e9, "ns");
}

std::string ollama_verbose_block(const metrics::OllamaFigures& f) {
  std::string out;
  auto row = [&out](std::string_view label, const std::optional<metrics::SourcedValue>& v,
                    const auto& format) {
    const std::string value = v ? format(v->value) : std::string("—");
    const std::string_view source =
        !v ? "" : (v->source == metrics::FigureSource::kEngine ? "engine" : "client-measured");
    std::string line = fmt::format("{:<22}{:<18}{}", std::string(label) + ":", value, source);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  const auto duration = [](double s) { return go_duration(s); };
  // A run's mean count need not be whole; one request's always is.
  const auto count = [](double n) {
    return n == std::round(n) ? fmt::format("{:.0f} token(s)", n)
                              : fmt::format("{:.1f} token(s)", n);
  };
  const auto rate = [](double r) { return fmt::format("{:.2f} tokens/s", r); };
  row("total duration", f.total_duration, duration);
  row("load duration", f.load_duration, duration);
  row("prompt eval count", f.prompt_eval_count, count);
  row("prompt eval duration", f.prompt_eval_duration, duration);
  row("prompt eval rate", f.prompt_eval_rate, rate);
  row("eval count", f.eval_count, count);
  row("eval duration", f.eval_duration, duration);
  row("eval rate", f.eval_rate, rate);
  return out;
}

Expected<void> write_file_atomically(const std::filesystem::path& path,
                                     const std::function<void(std::ostream&)>& produce) {
  return write_output(path, produce);
}

Expected<void> write_file_atomically(const std::filesystem::path& path,
                                     const std::string& content) {
  return write_output(path, content);
}

namespace {

std::string readable(double value, const std::string& unit) {
  if (unit == "bytes") {
    if (value >= 1024.0 * 1024 * 1024)
      return fmt::format("{:.2f} GiB", value / (1024.0 * 1024 * 1024));
    return fmt::format("{:.1f} MiB", value / (1024.0 * 1024));
  }
  if (unit == "bytes/s") {
    if (value >= 1e6) return fmt::format("{:.1f} MB/s", value / 1e6);
    return fmt::format("{:.1f} kB/s", value / 1e3);
  }
  if (unit == "%" || unit == "% of a core") return fmt::format("{:.0f} %", value);
  if (unit == "fraction") return fmt::format("{:.0f} %", value * 100);
  return fmt::format("{:.4g} {}", value, unit);
}

}  // namespace

std::string monitor_table(const std::vector<MonitorRow>& rows, double t, std::size_t width) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const MonitorRow& row : rows) {
    const auto dot = row.name.find('.');
    const std::string group = row.name.substr(0, dot);
    const std::string member = dot == std::string::npos ? "" : row.name.substr(dot + 1);
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == group; });
    if (it == groups.end()) {
      groups.emplace_back(group, std::vector<std::string>{});
      it = groups.end() - 1;
    }
    it->second.push_back(member.empty() ? readable(row.value, row.unit)
                                        : member + " " + readable(row.value, row.unit));
  }
  std::string out = fmt::format("t = {:.1f} s\n", t);
  std::size_t name_width = 0;
  for (const auto& g : groups) name_width = std::max(name_width, g.first.size());
  for (const auto& [group, values] : groups) {
    std::string line = fmt::format("  {:<{}}  {}", group, name_width, fmt::join(values, "  "));
    if (width > 0 && line.size() > width) line = std::string(utf8_prefix(line, width));
    out += line + "\n";
  }
  if (groups.empty()) out += "  (no reading yet)\n";
  return out;
}

}  // namespace llmbench::report
