#include "report/result_view.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <system_error>

#include "report/result_reader.h"

namespace llmbench::report {

namespace {

using Json = nlohmann::json;
namespace od = simdjson::ondemand;

constexpr std::uintmax_t kMaxResultBytes = std::uintmax_t{4} << 30;

std::optional<double> number_at(const Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string text_at(const Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::optional<double> number_of(od::value value) {
  if (value.is_null()) return std::nullopt;
  double number = 0;
  if (value.get_double().get(number) != simdjson::SUCCESS) return std::nullopt;
  return number;
}

std::string load_text(const Json& config) {
  const std::string mode = text_at(config, "load_mode");
  std::string load;
  if (mode == "open_loop") {
    const auto rate = number_at(config, "rate");
    load = rate ? fmt::format("open loop, {:g} req/s ({})", *rate, text_at(config, "arrival"))
                : "open loop, replayed trace";
  } else if (mode == "concurrency_steps") {
    std::string levels;
    for (const Json& level : config.value("concurrency_levels", Json::array())) {
      if (!levels.empty()) levels += ", ";
      levels += level.dump();
    }
    load = "concurrency " + levels;
  } else if (mode == "sweep") {
    load = fmt::format("sweep, {} rate steps", config.value("sweep_steps", 0));
  } else {
    load = fmt::format("closed loop, concurrency {}", config.value("concurrency", 1));
  }
  if (const auto requests = number_at(config, "requests")) {
    load += fmt::format(", {:g} requests", *requests);
  }
  if (const auto duration = number_at(config, "duration")) {
    load += fmt::format(", {:g} s", *duration);
  }
  return load;
}

std::string token_counting_text(const Json& workload) {
  const std::string method = text_at(workload, "token_method");
  const std::string source = text_at(workload, "token_source");
  if (method.empty()) return "";
  return source.empty() ? method : method + " (" + source + ")";
}

metrics::SummaryPercentiles percentiles_of(const Json& stats) {
  metrics::SummaryPercentiles out;
  out.count = stats.value("count", std::uint64_t{0});
  if (out.count == 0) return out;
  const Json ci = stats.value("ci", Json::object());
  for (const auto& [key, p] : {std::pair{"p50", 50.0}, std::pair{"p90", 90.0},
                               std::pair{"p99", 99.0}, std::pair{"p99.9", 99.9}}) {
    metrics::PercentileRow row;
    row.p = p;
    row.value = number_at(stats, key);
    const auto bounds = ci.find(key);
    if (bounds != ci.end() && bounds->is_array() && bounds->size() == 2) {
      if ((*bounds)[0].is_number()) row.low = (*bounds)[0].get<double>();
      if ((*bounds)[1].is_number()) row.high = (*bounds)[1].get<double>();
    }
    out.rows.push_back(row);
  }
  return out;
}

std::map<std::string, double> level_figures(const Json& summary) {
  std::map<std::string, double> figures;
  const auto put = [&figures](const char* name, std::optional<double> value, double scale) {
    if (value) figures[name] = *value * scale;
  };
  put("request_throughput", number_at(summary, "request_throughput"), 1);
  put("output_token_throughput", number_at(summary, "output_token_throughput"), 1);
  put("success_rate", number_at(summary, "success_rate"), 100);
  for (const char* metric : {"ttft", "itl", "e2e_latency"}) {
    const auto stats = summary.find(metric);
    if (stats == summary.end() || !stats->is_object()) continue;
    const std::string name = std::string(metric) == "e2e_latency" ? "e2e" : metric;
    put((name + "_p50").c_str(), number_at(*stats, "p50"), 1000);
    put((name + "_p99").c_str(), number_at(*stats, "p99"), 1000);
  }
  return figures;
}

// summary.energy, summary.resources and summary.server_latency (docs/results.md).
void read_monitor_summary(const Json& summary, metrics::MonitorOverview& m) {
  const Json energy = summary.value("energy", Json::object());
  if (energy.is_object()) {
    m.joules = number_at(energy, "joules");
    m.joules_per_output_token = number_at(energy, "joules_per_output_token");
    m.output_tokens_per_joule = number_at(energy, "output_tokens_per_joule");
    m.average_power_w = number_at(energy, "average_power_w");
    m.idle_power_w = number_at(energy, "idle_power_w");
    m.joules_above_idle = number_at(energy, "joules_above_idle");
  }
  const Json resources = summary.value("resources", Json::object());
  const MemoryMaxima memory = memory_maxima(resources);
  m.gpu_memory_max_bytes = memory.gpu_used_bytes;
  m.gpu_engine_memory_max_bytes = memory.gpu_engine_bytes;
  m.engine_rss_max_bytes = memory.engine_rss_bytes;
  if (resources.is_object()) {
    if (const auto cpu = resources.find("engine_cpu_percent.engine");
        cpu != resources.end() && cpu->is_object()) {
      m.engine_cpu_mean = number_at(*cpu, "mean");
    }
  }
  const Json server = summary.value("server_latency", Json::object());
  if (server.is_object()) {
    for (const auto& [name, figure] : server.items()) {
      if (!figure.is_object()) continue;
      metrics::ServerLatencyOverview l;
      l.name = name;
      l.label = name == "ttft"  ? "TTFT"
                : name == "itl" ? "ITL"
                : name == "e2e" ? "E2E latency"
                                : "queue time";
      l.family = text_at(figure, "family");
      l.warning = text_at(figure, "warning");
      l.count = static_cast<std::uint64_t>(number_at(figure, "count").value_or(0));
      l.p50 = number_at(figure, "p50");
      l.p99 = number_at(figure, "p99");
      m.server_latency.push_back(std::move(l));
    }
  }
}

void read_summary(const Json& summary, metrics::RunOverview& overview,
                  metrics::RunViewBuilder& builder) {
  overview.requests = summary.value("requests", std::uint64_t{0});
  overview.succeeded = summary.value("succeeded", std::uint64_t{0});
  overview.failed = summary.value("failed", std::uint64_t{0});
  overview.cancelled = summary.value("cancelled", std::uint64_t{0});
  overview.duration = number_at(summary, "duration");
  overview.request_throughput = number_at(summary, "request_throughput");
  overview.output_token_throughput = number_at(summary, "output_token_throughput");
  overview.total_token_throughput = number_at(summary, "total_token_throughput");
  overview.success_rate = number_at(summary, "success_rate");
  overview.goodput = number_at(summary, "goodput");
  overview.cost_per_million_output_tokens = number_at(summary, "cost_per_million_output_tokens");
  overview.cost_per_thousand_requests = number_at(summary, "cost_per_thousand_requests");
  overview.output_tokens_per_gpu_second = number_at(summary, "output_tokens_per_gpu_second");
  for (const char* metric : {"ttft", "itl", "tpot", "e2e_latency", "ttft_sched", "e2e_sched"}) {
    const auto stats = summary.find(metric);
    if (stats != summary.end() && stats->is_object()) {
      builder.set_percentiles(metric, percentiles_of(*stats));
    }
  }
  for (const Json& slo : summary.value("slos", Json::array())) {
    metrics::SloVerdict verdict;
    verdict.gate = text_at(slo, "objective");
    if (slo.contains("met") && slo["met"].is_boolean()) verdict.passed = slo["met"].get<bool>();
    verdict.value = number_at(slo, "actual");
    if (verdict.value) *verdict.value *= 1000;  // SLOs judge latencies, written in seconds
    verdict.unit = "ms";
    overview.slo.push_back(std::move(verdict));
  }
  const Json client = summary.value("client", Json::object());
  if (client.value("client_bound", false)) {
    const std::string reason = text_at(client, "reason");
    overview.client_bound = reason.empty() ? "the client was at its limit" : reason;
  }
  read_monitor_summary(summary, overview.monitors);
  const Json native_vs_client = summary.value("native_vs_client", Json::object());
  for (const auto& [name, figures] : native_vs_client.items()) {
    if (!figures.is_object()) continue;
    const Json native = figures.value("native", Json::object());
    const Json client_stats = figures.value("client", Json::object());
    builder.set_summary_native(name, number_at(client_stats, "p50"), number_at(native, "p50"),
                               number_at(client_stats, "p99"), number_at(native, "p99"));
  }
}

void read_context(const Json& context, metrics::RunOverview& overview, bool& open_loop) {
  const Json config = context.value("config", Json::object());
  overview.engine = text_at(config, "engine");
  overview.model = text_at(config, "model");
  if (const auto engine = context.find("engine"); engine != context.end() && engine->is_object()) {
    if (!text_at(*engine, "engine").empty()) overview.engine = text_at(*engine, "engine");
    overview.engine_version = text_at(*engine, "version");
  }
  overview.load = load_text(config);
  open_loop =
      text_at(config, "load_mode") == "open_loop" || text_at(config, "load_mode") == "sweep";
  overview.stop_reason = text_at(context, "stop_reason");
  overview.stop_detail = text_at(context, "stop_detail");
  overview.interrupted = context.value("interrupted", false);
  for (const Json& warning : context.value("warnings", Json::array())) {
    if (warning.is_string()) overview.warnings.push_back(warning.get<std::string>());
  }
  std::string command_line;
  for (const Json& word : context.value("command_line", Json::array())) {
    if (!word.is_string()) continue;
    if (!command_line.empty()) command_line += ' ';
    const std::string text = word.get<std::string>();
    // Quoted where a shell would need it, so the line can be pasted back.
    const bool plain =
        !text.empty() && text.find_first_of(" \t'\"$`\\<>|&;()*?[]{}!#~") == std::string::npos;
    command_line += plain ? text : "'" + text + "'";
  }
  overview.details.command_line = command_line;
  overview.details.spec_json = config.dump();
  Json rest = context;
  rest.erase("config");
  overview.details.context_json = rest.dump();
}

void read_window(od::object window, metrics::RunViewBuilder& builder) {
  metrics::WindowFacts facts;
  for (auto field : window) {
    const std::string_view key = field.unescaped_key().value();
    od::value value = field.value();
    if (key == "t") {
      facts.t = number_of(value).value_or(0);
    } else if (key == "requests_completed") {
      facts.requests_completed = number_of(value);
    } else if (key == "requests_failed") {
      facts.requests_failed = number_of(value);
    } else if (key == "output_token_rate") {
      facts.output_token_rate = number_of(value);
    } else if (key == "in_flight") {
      facts.in_flight = number_of(value);
    } else if (key == "ttft" || key == "itl") {
      if (value.is_null()) continue;
      const bool ttft = key == "ttft";
      for (auto stat : value.get_object()) {
        const std::string_view name = stat.unescaped_key().value();
        const auto number = number_of(stat.value());
        if (name == "p50") (ttft ? facts.ttft_p50 : facts.itl_p50) = number;
        if (name == "p99") (ttft ? facts.ttft_p99 : facts.itl_p99) = number;
      }
    } else if (key == "requests_started" || key == "output_tokens") {
      continue;  // drawn through their rates
    } else {
      // A series the result adds (a monitor's): numbers, or one level of named numbers.
      const std::string name(key);
      od::json_type type = value.type().value();
      if (type == od::json_type::number) {
        facts.other.emplace_back(name, value.get_double().value());
      } else if (type == od::json_type::object) {
        for (auto inner : value.get_object()) {
          const std::string inner_name = name + "." + std::string(inner.unescaped_key().value());
          if (const auto number = number_of(inner.value())) {
            facts.other.emplace_back(inner_name, *number);
          }
        }
      }
    }
  }
  builder.add_window(facts);
}

void read_request(od::object request, metrics::RunViewBuilder& builder, std::vector<double>& itl) {
  metrics::RequestFacts facts;
  itl.clear();
  for (auto field : request) {
    const std::string_view key = field.unescaped_key().value();
    od::value value = field.value();
    if (key == "phase") {
      facts.measured = value.get_string().value() == "measure";
    } else if (key == "error") {
      if (value.is_null()) continue;
      facts.succeeded = false;
      for (auto part : value.get_object()) {
        if (part.unescaped_key().value() == "category") {
          facts.error_category = std::string(part.value().get_string().value());
        }
      }
    } else if (key == "ttft") {
      facts.ttft = number_of(value);
    } else if (key == "e2e_latency") {
      facts.e2e_latency = number_of(value);
    } else if (key == "tpot") {
      facts.tpot = number_of(value);
    } else if (key == "ttft_sched") {
      facts.ttft_sched = number_of(value);
    } else if (key == "e2e_sched") {
      facts.e2e_sched = number_of(value);
    } else if (key == "schedule_lag") {
      facts.schedule_lag = number_of(value);
    } else if (key == "prompt_tokens") {
      facts.prompt_tokens = number_of(value);
    } else if (key == "prompt_tokens_target") {
      facts.prompt_tokens_target = number_of(value);
    } else if (key == "output_tokens") {
      facts.output_tokens = number_of(value);
    } else if (key == "itl") {
      for (auto gap : value.get_array()) itl.push_back(gap.get_double().value());
    } else if (key == "native") {
      for (auto figure : value.get_object()) {
        const std::string name(figure.unescaped_key().value());
        std::optional<double> native;
        std::optional<double> client;
        for (auto part : figure.value().get_object()) {
          const std::string_view which = part.unescaped_key().value();
          if (which == "native") native = number_of(part.value());
          if (which == "client") client = number_of(part.value());
        }
        if (native && client) facts.native.push_back({name, {*native, *client}});
      }
    } else if (key == "timestamps") {
      for (auto stamp : value.get_object()) {
        if (stamp.unescaped_key().value() == "end") facts.end = number_of(stamp.value());
      }
    }
  }
  // A cancelled request is neither a success nor a failure (docs/results.md).
  if (facts.error_category == "cancelled") facts.measured = false;
  facts.itl = itl;
  builder.add_request(facts);
}

Json parse_part(od::value value) {
  od::object object = value.get_object();
  return Json::parse(object.raw_json().value());
}

Expected<metrics::RunView> parse_padded(const simdjson::padded_string& json,
                                        const std::string& source, const std::string& label,
                                        const metrics::ReportBudget& budget) {
  metrics::RunViewBuilder builder(budget);
  metrics::RunOverview overview;
  overview.source = source;
  bool open_loop = false;
  bool per_request_itl = false;
  bool saw_summary = false;
  Json config;
  try {
    od::parser parser;
    od::document document = parser.iterate(json);
    std::vector<double> itl;
    for (auto field : document.get_object()) {
      const std::string_view key = field.unescaped_key().value();
      od::value value = field.value();
      if (key == "context") {
        const Json context = parse_part(value);
        read_context(context, overview, open_loop);
        config = context.value("config", Json::object());
        per_request_itl = text_at(config, "request_detail") == "full";
      } else if (key == "workload") {
        const Json workload = parse_part(value);
        overview.token_counting = token_counting_text(workload);
        for (const Json& sample : workload.value("samples", Json::array())) {
          if (!sample.is_object()) continue;
          overview.samples.push_back({text_at(sample, "prompt"), text_at(sample, "output")});
        }
      } else if (key == "monitors") {
        // Only what each monitor could do: the samples are drawn through the windows.
        if (value.type().value() != od::json_type::object) continue;
        for (auto part : value.get_object()) {
          if (part.unescaped_key().value() != "status") continue;
          const Json status = parse_part(part.value());
          if (!status.is_object()) continue;
          for (const auto& [monitor, state] : status.items()) {
            if (state.is_object() && !state.value("available", true)) {
              overview.monitors.unavailable.push_back(text_at(state, "detail"));
            }
          }
        }
      } else if (key == "summary") {
        read_summary(parse_part(value), overview, builder);
        saw_summary = true;
      } else if (key == "time_series") {
        for (auto part : value.get_object()) {
          const std::string_view name = part.unescaped_key().value();
          if (name == "window") {
            builder.set_window(number_of(part.value()).value_or(1));
          } else if (name == "windows") {
            for (auto window : part.value().get_array()) read_window(window.get_object(), builder);
          }
        }
      } else if (key == "levels") {
        for (auto level : value.get_array()) {
          metrics::LevelRow row;
          for (auto part : level.get_object()) {
            const std::string_view name = part.unescaped_key().value();
            od::value v = part.value();
            if (name == "index") row.index = static_cast<std::size_t>(v.get_uint64().value());
            if (name == "kind") row.kind = std::string(v.get_string().value());
            if (name == "offered_rate") row.offered_rate = number_of(v);
            if (name == "concurrency" && !v.is_null()) {
              row.concurrency = static_cast<int>(v.get_int64().value());
            }
            if (name == "stop_reason") row.stop_reason = std::string(v.get_string().value());
            if (name == "summary") row.figures = level_figures(parse_part(v));
          }
          row.label = metrics::level_label(row.kind, row.offered_rate, row.concurrency);
          overview.levels.push_back(std::move(row));
        }
      } else if (key == "sweep") {
        const Json sweep = parse_part(value);
        metrics::SweepMarks marks;
        if (const auto knee = number_at(sweep, "knee_level")) {
          marks.knee_level = static_cast<std::size_t>(*knee);
        }
        if (const auto level = number_at(sweep, "max_sustainable_level")) {
          marks.max_sustainable_level = static_cast<std::size_t>(*level);
        }
        marks.max_sustainable_rate = number_at(sweep, "max_sustainable_rate");
        overview.sweep = marks;
      } else if (key == "requests") {
        for (auto request : value.get_array()) read_request(request.get_object(), builder, itl);
      }
    }
  } catch (const simdjson::simdjson_error& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      source + ": not a valid llmbench result: " + e.what());
  } catch (const Json::exception& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      source + ": not a valid llmbench result: " + e.what());
  }
  if (!saw_summary) {
    return make_error(ErrorCode::kInvalidArgument,
                      source + ": not an llmbench result (it has no \"summary\")");
  }
  const std::string engine_label = text_at(config, "engine_label");
  overview.label = !label.empty() ? label : !engine_label.empty() ? engine_label : overview.engine;
  return builder.finish(overview, open_loop, per_request_itl);
}

}  // namespace

Expected<metrics::RunView> parse_run_view(std::string_view json, const std::string& source,
                                          const std::string& label,
                                          const metrics::ReportBudget& budget) {
  const simdjson::padded_string padded(json);
  return parse_padded(padded, source, label, budget);
}

Expected<metrics::RunView> read_run_view(const std::filesystem::path& path,
                                         const std::string& label,
                                         const metrics::ReportBudget& budget) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(ErrorCode::kIo, path.string() + ": " + ec.message());
  if (size > kMaxResultBytes) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: {} bytes, more than a result may have (4 GiB)", path.string(), size));
  }
  auto loaded = simdjson::padded_string::load(path.string());
  if (loaded.error() != simdjson::SUCCESS) {
    return make_error(ErrorCode::kIo,
                      path.string() + ": cannot read: " + simdjson::error_message(loaded.error()));
  }
  return parse_padded(loaded.value(), path.string(), label, budget);
}

}  // namespace llmbench::report
