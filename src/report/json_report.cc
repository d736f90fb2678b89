#include <nlohmann/json.hpp>

#include "report/report.h"

namespace llmbench::report {

namespace {

using Json = nlohmann::ordered_json;

Json stats_json(const metrics::Stats& s) {
  Json j;
  j["count"] = s.count;
  j["mean"] = s.mean;
  j["std"] = s.std;
  j["min"] = s.min;
  j["p50"] = s.p50;
  j["p90"] = s.p90;
  j["p95"] = s.p95;
  j["p99"] = s.p99;
  j["p99.9"] = s.p999;
  j["max"] = s.max;
  return j;
}

template <class T>
Json optional_json(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json spec_json(const ResolvedRunSpec& s) {
  Json j;
  j["url"] = s.url;
  j["engine"] = s.engine;
  j["engine_requested"] = s.engine_requested;
  j["api"] = s.api;
  j["model"] = s.model;
  j["load_mode"] = s.load_mode;
  j["concurrency"] = s.concurrency;
  j["requests"] = optional_json(s.requests);
  j["duration"] = optional_json(s.duration);
  j["threads"] = s.threads;
  j["prompt_tokens"] = s.prompt_tokens;
  j["max_tokens"] = s.max_tokens;
  j["stream"] = s.stream;
  j["ignore_eos"] = s.ignore_eos;
  j["temperature"] = optional_json(s.temperature);
  j["seed"] = s.seed;
  j["timeouts"] = {{"connect", s.timeout_connect},
                   {"first_token", s.timeout_first_token},
                   {"idle", s.timeout_idle},
                   {"total", s.timeout_total}};
  j["tls_verify"] = s.tls_verify;
  return j;
}

Json record_json(const RequestRecord& r, const metrics::RequestMetrics& m, TimePoint origin) {
  auto at = [origin](TimePoint t) { return to_seconds(t - origin); };
  Json j;
  j["id"] = r.id;
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
  j["itl"] = m.itl;
  Json native = Json::object();
  for (const metrics::NativeComparison& c : m.native) {
    native[c.name] = {{"native", c.native},
                      {"client", optional_json(c.client)},
                      {"delta", optional_json(c.delta)}};
  }
  j["native"] = std::move(native);
  if (r.native.prompt_eval_tokens) j["prompt_eval_tokens"] = *r.native.prompt_eval_tokens;
  j["finish_reason"] = r.finish_reason.empty() ? Json(nullptr) : Json(r.finish_reason);
  j["http_status"] = r.http_status == 0 ? Json(nullptr) : Json(r.http_status);
  j["retry_after"] = optional_json(r.retry_after);
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
  t["token_arrivals"] = std::move(arrivals);
  if (!all_single) {
    Json counts = Json::array();
    for (const TokenEvent& e : r.events) counts.push_back(e.tokens);
    t["tokens_per_arrival"] = std::move(counts);
  }
  j["timestamps"] = std::move(t);
  return j;
}

}  // namespace

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
  return j.dump(2) + "\n";
}

std::string request_json(const RequestRecord& record, const metrics::RequestMetrics& metrics,
                         TimePoint origin) {
  return record_json(record, metrics, origin).dump(2) + "\n";
}

std::string to_json(const RunReport& report) {
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
  context["warnings"] = report.warnings;
  if (report.engine) context["engine"] = Json::parse(engine_info_json(*report.engine));
  root["context"] = std::move(context);

  const metrics::RunSummary& s = report.summary;
  Json summary;
  summary["requests"] = s.requests;
  summary["succeeded"] = s.succeeded;
  summary["failed"] = s.failed;
  summary["duration"] = s.duration;
  summary["ttft"] = stats_json(s.ttft);
  summary["itl"] = stats_json(s.itl);
  summary["tpot"] = stats_json(s.tpot);
  summary["e2e_latency"] = stats_json(s.e2e);
  summary["request_throughput"] = s.request_throughput;
  summary["output_token_throughput"] = s.output_token_throughput;
  summary["output_tokens"] = s.output_tokens;
  summary["prompt_tokens"] = s.prompt_tokens;
  summary["success_rate"] = s.success_rate;
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
  root["summary"] = std::move(summary);

  Json requests = Json::array();
  for (std::size_t i = 0; i < report.records.size(); ++i) {
    requests.push_back(record_json(report.records[i], report.per_request[i], report.origin));
  }
  root["requests"] = std::move(requests);
  return root.dump(2) + "\n";
}

}  // namespace llmbench::report
