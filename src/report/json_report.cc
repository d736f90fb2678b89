#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/redact.h"
#include "report/report.h"

namespace llmbench::report {

namespace {

using Json = nlohmann::ordered_json;

// Text in a result came from the network: it was made UTF-8 where it entered a record, and
// as a last line of defence every dump replaces what still is not (U+FFFD) rather than
// throwing type_error.316 and losing the run.
std::string dump(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

template <class T>
Json optional_json(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// Figures of an empty statistic were not measured: null, never 0.
Json stats_json(const metrics::Stats& s) {
  const bool measured = s.count > 0;
  auto figure = [measured](double v) { return measured ? Json(v) : Json(nullptr); };
  Json j;
  j["count"] = s.count;
  j["mean"] = figure(s.mean);
  j["std"] = s.count > 1 ? Json(s.std) : Json(nullptr);
  j["min"] = figure(s.min);
  j["p50"] = figure(s.p50);
  j["p90"] = figure(s.p90);
  j["p95"] = figure(s.p95);
  j["p99"] = figure(s.p99);
  j["p99.9"] = figure(s.p999);
  j["max"] = figure(s.max);
  j["exact"] = s.exact;
  if (measured) {
    Json ci;
    ci["level"] = metrics::kCiLevel;
    for (std::size_t i = 0; i < metrics::kReportedPercentiles.size(); ++i) {
      ci[std::string(metrics::kReportedPercentiles[i])] =
          Json::array({optional_json(s.ci[i].low), optional_json(s.ci[i].high)});
    }
    j["ci"] = std::move(ci);
  } else {
    j["ci"] = nullptr;
  }
  return j;
}

Json percentiles_json(const metrics::WindowHistogram& h) {
  if (h.count() == 0) return nullptr;
  return {{"count", h.count()},
          {"p50", h.quantile(0.50)},
          {"p90", h.quantile(0.90)},
          {"p99", h.quantile(0.99)}};
}

// An option or field that was not given is empty text in our structs and null in JSON.
Json text_or_null(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

Json spec_json(const ResolvedRunSpec& s) {
  Json j;
  j["url"] = s.url;
  j["engine"] = s.engine;
  j["engine_requested"] = s.engine_requested;
  j["api"] = s.api;
  j["model"] = s.model;
  j["load_mode"] = to_string(s.load_mode);
  j["concurrency"] = s.concurrency;
  j["concurrency_levels"] = s.concurrency_levels;
  j["rate"] = optional_json(s.rate);
  j["arrival"] = text_or_null(s.arrival);
  j["burstiness"] = s.burstiness;
  j["rate_schedule"] = text_or_null(s.rate_schedule);
  j["trace"] = text_or_null(s.trace);
  j["sweep_steps"] = s.sweep_steps;
  j["warmup"] = text_or_null(s.warmup);
  j["cooldown"] = text_or_null(s.cooldown);
  j["retries"] = s.retries;
  j["retry_backoff"] = s.retry_backoff;
  j["max_error_rate"] = optional_json(s.max_error_rate);
  j["error_window"] = s.error_window;
  j["slo"] = text_or_null(s.slo);
  j["window"] = s.window;
  j["request_detail"] = s.request_detail;
  j["requests"] = optional_json(s.requests);
  j["duration"] = optional_json(s.duration);
  j["threads"] = s.threads;
  // A fixed length stays a number (as in earlier results); a distribution is its text.
  auto length = [](const std::string& text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos
               ? Json(std::stoll(text))
               : Json(text);
  };
  j["prompt_tokens"] = length(s.prompt_tokens);
  j["max_tokens"] = length(s.max_tokens);
  j["tokenizer"] = text_or_null(s.tokenizer);
  j["token_counting"] = s.token_counting;
  j["prefix_tokens"] = s.prefix_tokens;
  j["prefix_groups"] = s.prefix_groups;
  j["turns"] = s.turns;
  j["dataset"] = text_or_null(s.dataset);
  j["dataset_format"] = text_or_null(s.dataset_format);
  j["on_bad_record"] = s.on_bad_record;
  j["dataset_sample"] = s.dataset_sample;
  j["stream"] = s.stream;
  j["ignore_eos"] = s.ignore_eos;
  j["temperature"] = optional_json(s.temperature);
  j["seed"] = s.seed;
  j["timeouts"] = {{"connect", s.timeout_connect},
                   {"first_token", s.timeout_first_token},
                   {"idle", s.timeout_idle},
                   {"total", s.timeout_total}};
  j["tls_verify"] = s.tls_verify;
  j["engine_label"] = text_or_null(s.engine_label);
  j["scenario"] = text_or_null(s.scenario);
  j["until_stable"] = text_or_null(s.until_stable);
  j["gpu_hourly_cost"] = optional_json(s.gpu_hourly_cost);
  j["gpus"] = optional_json(s.gpus);
  return j;
}

Json record_json(const RequestRecord& r, const metrics::RequestMetrics& m, TimePoint origin,
                 RequestDetail detail = RequestDetail::kFull) {
  const bool full = detail == RequestDetail::kFull;
  auto at = [origin](TimePoint t) { return to_seconds(t - origin); };
  Json j;
  j["id"] = r.id;
  j["level"] = r.level;
  j["phase"] = std::string(to_string(r.phase));
  j["retries"] = r.retries;
  j["resends"] = r.resends;
  j["prompt_tokens"] = optional_json(r.usage.prompt_tokens);
  j["prompt_tokens_target"] = r.prompt_tokens_target;
  j["output_tokens"] = m.output_tokens;
  j["output_tokens_source"] = r.output_tokens_from_engine() ? "native" : "client";
  j["output_tokens_client"] = r.client_output_tokens();
  j["output_tokens_engine"] = optional_json(r.usage.output_tokens);
  j["max_tokens"] = r.max_tokens;
  j["output_length_mismatch"] = m.output_length_mismatch;
  j["cached_prompt_tokens"] = optional_json(r.usage.cached_prompt_tokens);
  j["cold_start"] = r.cold_start;
  j["ttft"] = optional_json(m.ttft);
  j["e2e_latency"] = optional_json(m.e2e);
  j["tpot"] = optional_json(m.tpot);
  j["ttft_sched"] = optional_json(m.ttft_sched);
  j["e2e_sched"] = optional_json(m.e2e_sched);
  j["schedule_lag"] = optional_json(m.schedule_lag);
  if (full) j["itl"] = m.itl;
  Json native = Json::object();
  for (const metrics::NativeComparison& c : m.native) {
    native[c.name] = {{"native", c.native},
                      {"client", optional_json(c.client)},
                      {"delta", optional_json(c.delta)}};
  }
  j["native"] = std::move(native);
  if (r.native.prompt_eval_tokens) j["prompt_eval_tokens"] = *r.native.prompt_eval_tokens;
  j["finish_reason"] = text_or_null(r.finish_reason);
  j["http_status"] = r.http_status == 0 ? Json(nullptr) : Json(r.http_status);
  j["retry_after"] = optional_json(r.retry_after);
  j["invalid_utf8_bytes"] = r.invalid_utf8_bytes;
  if (r.error) {
    j["error"] = {{"category", std::string(to_string(r.error->category))},
                  {"message", r.error->message}};
  } else {
    j["error"] = nullptr;
  }
  Json t;
  t["sched"] = at(r.t_sched);
  t["send"] = r.sent ? Json(at(r.t_send)) : Json(nullptr);
  t["first_token"] = r.has_first_token() ? Json(at(r.t_first())) : Json(nullptr);
  t["end"] = at(r.t_end);
  Json arrivals = Json::array();
  bool all_single = true;
  for (const TokenEvent& e : r.events) {
    arrivals.push_back(at(e.arrival));
    all_single = all_single && e.tokens == 1;
  }
  if (full) t["token_arrivals"] = std::move(arrivals);
  if (full && !all_single) {
    Json counts = Json::array();
    for (const TokenEvent& e : r.events) counts.push_back(e.tokens);
    t["tokens_per_arrival"] = std::move(counts);
  }
  j["timestamps"] = std::move(t);
  redact_json(j);  // every string: error messages and finish reasons come from the network
  return j;
}

Json summary_json(const metrics::RunSummary& s) {
  Json summary;
  summary["requests"] = s.requests;
  summary["succeeded"] = s.succeeded;
  summary["failed"] = s.failed;
  summary["cancelled"] = s.cancelled;
  summary["duration"] = s.duration;
  summary["ttft"] = stats_json(s.ttft);
  summary["itl"] = stats_json(s.itl);
  summary["tpot"] = stats_json(s.tpot);
  summary["e2e_latency"] = stats_json(s.e2e);
  summary["ttft_sched"] = stats_json(s.ttft_sched);
  summary["e2e_sched"] = stats_json(s.e2e_sched);
  summary["schedule_lag"] = stats_json(s.schedule_lag);
  summary["warmup_requests"] = s.warmup_requests;
  summary["cooldown_requests"] = s.cooldown_requests;
  summary["total_token_throughput"] = s.total_token_throughput;
  summary["completion_rate"] = s.completion_rate > 0 ? Json(s.completion_rate) : Json(nullptr);
  summary["mean_concurrency"] = s.mean_concurrency;
  summary["retries"] = s.retries;
  summary["requests_retried"] = s.requests_retried;
  summary["resends"] = s.resends;
  summary["invalid_utf8_bytes"] = s.invalid_utf8_bytes;
  summary["goodput"] = optional_json(s.goodput);
  summary["good_requests"] = s.good_requests;
  Json slos = Json::array();
  for (const metrics::SloResult& r : s.slos) {
    slos.push_back({{"objective", metrics::to_string(r.slo)},
                    {"metric", r.slo.metric},
                    {"percentile", r.slo.percentile},
                    {"threshold", r.slo.threshold},
                    {"actual", optional_json(r.actual)},
                    {"met", r.met},
                    {"samples", r.samples},
                    {"failures", r.failures}});
  }
  summary["slos"] = std::move(slos);
  summary["client"] = {{"worker_cpu", s.client.worker_cpu},
                       {"process_cpu", s.client.process_cpu},
                       {"client_bound", s.client.client_bound},
                       {"reason", text_or_null(s.client.reason)}};
  summary["request_throughput"] = s.request_throughput;
  summary["output_token_throughput"] = s.output_token_throughput;
  summary["output_tokens"] = s.output_tokens;
  summary["prompt_tokens"] = s.prompt_tokens;
  summary["prompt_length_checked"] = s.prompt_length_checked;
  summary["prompt_length_mismatches"] = s.prompt_length_mismatches;
  summary["prompt_length_mismatch_rate"] = optional_json(s.prompt_length_mismatch_rate);
  summary["prompt_length_offset"] = s.prompt_length_offset;
  summary["success_rate"] = s.success_rate;
  summary["cost_per_million_output_tokens"] = optional_json(s.cost_per_million_output_tokens);
  summary["cost_per_thousand_requests"] = optional_json(s.cost_per_thousand_requests);
  summary["output_tokens_per_gpu_second"] = optional_json(s.output_tokens_per_gpu_second);
  Json errors = Json::object();
  for (const auto& [category, count] : s.errors) errors[category] = count;
  summary["errors"] = std::move(errors);
  summary["output_length_accuracy"] = optional_json(s.output_length_accuracy);
  summary["output_length_mismatches"] = s.output_length_mismatches;
  summary["cold_starts"] = s.cold_starts;
  Json native = Json::object();
  for (const auto& [name, n] : s.native) {
    native[name] = {{"native", stats_json(n.native)},
                    {"client", stats_json(n.client)},
                    {"delta", stats_json(n.delta)}};
  }
  summary["native_vs_client"] = std::move(native);
  return summary;
}

// The monitors' figures over a span (docs/results.md "summary.resources"): absent figures are
// null, never 0.
void add_monitor_summary(Json& summary, const std::optional<MonitorSummary>& monitors) {
  Json resources = Json::object();
  Json server = Json::object();
  Json energy = nullptr;
  if (monitors) {
    for (const ResourceFigure& f : monitors->figures) {
      Json figure = {{"unit", f.unit}, {"source", f.source}};
      if (f.increase) {
        figure["increase"] = *f.increase;
      } else {
        figure["mean"] = optional_json(f.mean);
        figure["max"] = optional_json(f.max);
      }
      resources[f.name] = std::move(figure);
    }
    if (const auto& e = monitors->energy) {
      energy = {{"joules", e->joules},
                {"seconds", e->seconds},
                {"average_power_w", optional_json(e->average_power_w)},
                {"joules_per_output_token", optional_json(e->joules_per_output_token)},
                {"joules_per_request", optional_json(e->joules_per_request)},
                {"output_tokens_per_joule", optional_json(e->output_tokens_per_joule)},
                {"idle_power_w", optional_json(e->idle_power_w)},
                {"joules_above_idle", optional_json(e->joules_above_idle)},
                {"joules_above_idle_per_output_token",
                 optional_json(e->joules_above_idle_per_output_token)},
                {"counter_resets", e->counter_resets},
                {"source", e->source}};
    }
    const auto bucket = [](const std::optional<std::pair<double, double>>& b) -> Json {
      if (!b) return nullptr;
      return Json::array({b->first, std::isinf(b->second) ? Json("+Inf") : Json(b->second)});
    };
    for (const ServerLatency& l : monitors->server_latency) {
      server[l.name] = {{"family", l.family},
                        {"count", l.count},
                        {"mean", optional_json(l.mean)},
                        {"p50", optional_json(l.p50)},
                        {"p90", optional_json(l.p90)},
                        {"p99", optional_json(l.p99)},
                        {"p50_bucket", bucket(l.p50_bucket)},
                        {"p90_bucket", bucket(l.p90_bucket)},
                        {"p99_bucket", bucket(l.p99_bucket)},
                        {"warning", text_or_null(l.warning)}};
    }
  }
  summary["resources"] = std::move(resources);
  summary["energy"] = std::move(energy);
  summary["server_latency"] = std::move(server);
}

Json monitors_json(const MonitorData& m) {
  Json j;
  j["interval_s"] = m.interval_s;
  j["scrape_interval_s"] = m.scrape_interval_s;
  Json status = Json::object();
  for (const MonitorStatus& s : m.status) {
    status[s.monitor] = {{"available", s.available}, {"detail", s.detail}};
  }
  j["status"] = std::move(status);
  Json gpus = Json::array();
  for (const GpuIdentity& g : m.gpus) {
    gpus.push_back({{"index", g.index},
                    {"name", g.name},
                    {"uuid", g.uuid},
                    {"memory_total_bytes", optional_json(g.memory_total_bytes)},
                    {"power_limit_w", optional_json(g.power_limit_w)}});
  }
  j["gpus"] = std::move(gpus);
  j["engine_process"] = {{"pid", optional_json(m.engine_pid)},
                         {"name", text_or_null(m.engine_process)}};
  j["engine_metrics"] = {{"url", text_or_null(m.metrics_url)},
                         {"dialect", text_or_null(m.metrics_dialect)},
                         {"scrapes", m.scrapes},
                         {"failures", m.scrape_failures},
                         {"last_error", text_or_null(m.last_scrape_error)}};
  j["idle_baseline"] = {{"power_w", optional_json(m.idle_power_w)}, {"seconds", m.idle_baseline_s}};
  j["energy_counter_resets"] = m.energy_resets;
  j["warnings"] = m.warnings;
  Json series = Json::array();
  for (const MonitorSeries& s : m.series) {
    Json t = Json::array();
    Json v = Json::array();
    for (const MonitorPoint& p : s.points) {
      t.push_back(p.t);
      v.push_back(p.value);
    }
    series.push_back({{"name", s.name},
                      {"unit", s.unit},
                      {"source", s.source},
                      {"kind", s.counter ? "counter" : "gauge"},
                      {"stride", s.stride},
                      {"t", std::move(t)},
                      {"v", std::move(v)}});
  }
  j["series"] = std::move(series);
  Json histograms = Json::array();
  for (const MonitorHistogram& h : m.histograms) {
    Json snapshots = Json::array();
    for (const HistogramSnapshot& s : h.snapshots) {
      Json buckets = Json::array();
      for (const auto& [le, count] : s.buckets) {
        buckets.push_back(Json::array({std::isinf(le) ? Json("+Inf") : Json(le), count}));
      }
      snapshots.push_back(
          {{"t", s.t}, {"count", s.count}, {"sum", s.sum}, {"buckets", std::move(buckets)}});
    }
    histograms.push_back({{"name", h.name},
                          {"family", h.family},
                          {"resets", h.resets},
                          {"snapshots", std::move(snapshots)}});
  }
  j["server_histograms"] = std::move(histograms);
  Json families = Json::array();
  for (const RawMetricFamily& f : m.families) {
    Json samples = Json::array();
    for (const RawMetricFamily::Sample& s : f.samples) {
      Json labels = Json::object();
      for (const auto& [name, value] : s.labels) labels[name] = value;
      samples.push_back({{"name", s.name},
                         {"labels", std::move(labels)},
                         {"value", std::isfinite(s.value) ? Json(s.value) : Json(nullptr)}});
    }
    families.push_back(
        {{"name", f.name}, {"type", f.type}, {"help", f.help}, {"samples", std::move(samples)}});
  }
  j["families"] = std::move(families);
  return j;
}

Json time_series_json(
    const metrics::RunSummary& s,
    const std::vector<std::vector<std::pair<std::string, double>>>* monitors = nullptr) {
  Json windows = Json::array();
  std::size_t index = 0;
  for (const metrics::TimeWindow& w : s.time_series) {
    Json window = {{"t", w.start},
                   {"requests_started", w.requests_started},
                   {"requests_completed", w.requests_completed},
                   {"requests_failed", w.requests_failed},
                   {"output_tokens", w.output_tokens},
                   {"output_token_rate", static_cast<double>(w.output_tokens) / s.window},
                   {"in_flight", w.busy / s.window},
                   {"ttft", percentiles_json(w.ttft)},
                   {"itl", percentiles_json(w.itl)}};
    // The monitors' figures of this window, one object per group: {"gpu_power_w": {"gpu0": …}}.
    if (monitors && index < monitors->size()) {
      for (const auto& [name, value] : (*monitors)[index]) {
        const auto dot = name.find('.');
        if (dot == std::string::npos) {
          window[name] = value;
        } else {
          window[name.substr(0, dot)][name.substr(dot + 1)] = value;
        }
      }
    }
    ++index;
    windows.push_back(std::move(window));
  }
  return {{"window", s.window}, {"windows", std::move(windows)}};
}

}  // namespace

std::string monitor_json(const MonitorData& data, const std::optional<MonitorSummary>& summary) {
  Json root;
  root["schema_version"] = kSchemaVersion;
  root["monitors"] = monitors_json(data);
  Json figures = Json::object();
  add_monitor_summary(figures, summary);
  root["summary"] = std::move(figures);
  redact_json(root);
  return dump(root, 2) + "\n";
}

std::string engine_info_json(const EngineInfo& info) {
  Json j;
  j["engine"] = info.engine;
  j["version"] = info.version;
  j["detected_by"] = info.detected_by;
  Json models = Json::array();
  for (const ModelInfo& m : info.models) {
    models.push_back({{"id", m.id},
                      {"context_length", optional_json(m.context_length)},
                      {"size_bytes", optional_json(m.size_bytes)},
                      {"parameter_size", optional_json(m.parameter_size)},
                      {"quantization", optional_json(m.quantization)}});
  }
  j["models"] = std::move(models);
  redact_json(j);
  return dump(j, 2) + "\n";
}

std::string request_json(const RequestRecord& record, const metrics::RequestMetrics& metrics,
                         TimePoint origin) {
  return dump(record_json(record, metrics, origin), 2) + "\n";
}

namespace {

Json root_json(const RunReport& report) {
  Json root;
  root["schema_version"] = kSchemaVersion;
  Json context;
  context["tool"] = "llmbench";
  context["tool_version"] = report.context.tool_version;
  context["git_sha"] = report.context.git_sha;
  context["host"] = report.context.host;
  context["cpu_count"] = report.context.cpu_count;
  context["start_time"] = report.context.started_at;
  context["command_line"] = report.context.command_line;
  context["clock_resolution"] = report.context.clock_resolution;
  context["seed"] = report.spec.seed;
  context["config"] = spec_json(report.spec);
  context["interrupted"] = report.interrupted;
  context["stop_reason"] = report.stop_reason;
  context["stop_detail"] = text_or_null(report.stop_detail);
  context["warnings"] = report.warnings;
  if (report.engine) context["engine"] = Json::parse(engine_info_json(*report.engine));
  root["context"] = std::move(context);

  const WorkloadInfo& w = report.workload;
  Json workload;
  workload["token_method"] = w.token_method;
  workload["token_source"] = w.token_source;
  workload["token_offset"] = w.token_offset;
  workload["prompts_verified"] = w.prompts_verified;
  workload["prompts_corrected"] = w.prompts_corrected;
  workload["prompts_unverifiable"] = w.prompts_unverifiable;
  workload["dataset"] = text_or_null(w.dataset);
  workload["dataset_format"] = text_or_null(w.dataset_format);
  workload["dataset_records"] = w.dataset_records;
  workload["dataset_skipped"] = w.dataset_skipped;
  workload["dataset_used"] = w.dataset_used;
  workload["warnings"] = w.warnings;
  Json samples = Json::array();
  for (const RunReport::TextSample& s : report.samples) {
    samples.push_back({{"id", s.id}, {"prompt", s.prompt}, {"output", s.output}});
  }
  workload["samples"] = std::move(samples);
  if (w.fingerprint) {
    workload["fingerprint"] = {{"workload", w.fingerprint->workload},
                               {"prompts", w.fingerprint->prompts},
                               {"lengths", w.fingerprint->lengths},
                               {"load", w.fingerprint->load},
                               {"requests_hashed", w.fingerprint->requests_hashed}};
  } else {
    workload["fingerprint"] = nullptr;
  }
  root["workload"] = std::move(workload);

  root["summary"] = summary_json(report.summary);
  add_monitor_summary(root["summary"], report.monitor_summary);
  root["time_series"] = time_series_json(report.summary, &report.monitor_windows);
  root["monitors"] = report.monitors ? monitors_json(*report.monitors) : Json(nullptr);
  if (!report.levels.empty()) {
    Json levels = Json::array();
    for (const LevelReport& level : report.levels) {
      Json l;
      l["index"] = level.index;
      l["kind"] = level.kind;
      l["offered_rate"] = optional_json(level.offered_rate);
      l["concurrency"] = optional_json(level.concurrency);
      l["stop_reason"] = level.stop_reason;
      l["stop_detail"] = text_or_null(level.stop_detail);
      l["summary"] = summary_json(level.summary);
      add_monitor_summary(l["summary"], level.monitors);
      l["time_series"] = time_series_json(level.summary);
      levels.push_back(std::move(l));
    }
    root["levels"] = std::move(levels);
  }
  if (report.sweep) {
    root["sweep"] = {{"max_sustainable_rate", optional_json(report.sweep->max_sustainable_rate)},
                     {"max_sustainable_level", optional_json(report.sweep->max_sustainable_level)},
                     {"knee_level", optional_json(report.sweep->knee_level)}};
  }
  redact_json(root);  // the spec's URL and command line, warnings, engine strings
  return root;
}

}  // namespace

std::string to_json(const RunReport& report) {
  Json root = root_json(report);
  Json requests = Json::array();
  for (std::size_t i = 0; i < report.records.size(); ++i) {
    requests.push_back(record_json(report.records[i], report.per_request[i], report.origin));
  }
  root["requests"] = std::move(requests);
  return dump(root, 2) + "\n";
}

HistoryParts history_parts(const RunReport& report) {
  Json root = root_json(report);  // redacted
  HistoryParts parts;
  Json& context = root["context"];
  parts.spec = dump(context["config"]);
  context.erase("config");
  context["workload"] = std::move(root["workload"]);
  if (root.contains("levels")) context["levels"] = std::move(root["levels"]);
  if (root.contains("sweep")) context["sweep"] = std::move(root["sweep"]);
  parts.context = dump(context);
  parts.summary = dump(root["summary"]);
  for (const Json& window : root["time_series"]["windows"]) parts.windows.push_back(dump(window));
  return parts;
}

std::string record_json_line(const RequestRecord& record, const metrics::RequestMetrics& metrics,
                             TimePoint origin, RequestDetail detail) {
  return dump(record_json(record, metrics, origin, detail));
}

Expected<RequestDetail> parse_request_detail(std::string_view name) {
  if (name == "full") return RequestDetail::kFull;
  if (name == "compact") return RequestDetail::kCompact;
  if (name == "none") return RequestDetail::kNone;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown request detail '" + std::string(name) + "' (full, compact, none)");
}

Expected<void> write_json(const RunReport& report, const std::filesystem::path& path) {
  if (!report.requests_jsonl) return write_file_atomically(path, to_json(report));
  std::ifstream requests(*report.requests_jsonl, std::ios::binary);
  if (!requests) {
    return make_error(ErrorCode::kIo, "cannot read " + report.requests_jsonl->string());
  }
  // Everything but the requests, then the requests copied line by line into the array.
  std::string head = dump(root_json(report), 2);
  head.pop_back();  // the closing brace
  while (!head.empty() && head.back() == '\n') head.pop_back();
  head += ",\n  \"requests\": [";
  return write_file_atomically(path, [&](std::ostream& out) {
    out << head;
    std::string line;
    bool first = true;
    while (std::getline(requests, line)) {
      if (line.empty()) continue;
      out << (first ? "\n    " : ",\n    ") << line;
      first = false;
    }
    out << (first ? "]\n}\n" : "\n  ]\n}\n");
  });
}

}  // namespace llmbench::report
