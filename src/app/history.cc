#include "app/history.h"

#include <nlohmann/json.hpp>

#include "app/outcome.h"

namespace llmbench::app {

namespace {

using Json = nlohmann::json;

// The summary's value at `name`: its first dot splits the metric from the statistic
// ("ttft.p99", "ttft.p99.9"); a name without a dot is a figure of the summary itself.
const Json* find_figure(const Json& summary, std::string_view name) {
  if (!summary.is_object()) return nullptr;
  const auto whole = summary.find(std::string(name));
  if (whole != summary.end()) return &*whole;
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return nullptr;
  const auto metric = summary.find(std::string(name.substr(0, dot)));
  if (metric == summary.end() || !metric->is_object()) return nullptr;
  const auto stat = metric->find(std::string(name.substr(dot + 1)));
  return stat == metric->end() ? nullptr : &*stat;
}

Error unknown_figure(std::string_view name) {
  return Error{ErrorCode::kInvalidArgument,
               "'" + std::string(name) +
                   "' is not a figure of the stored summaries (e.g. ttft.p99, itl.p50, "
                   "e2e_latency.p90, tpot.mean, output_token_throughput, request_throughput, "
                   "success_rate; docs/results.md)"};
}

}  // namespace

void check_history_db(const std::filesystem::path& path) {
  if (auto db = store::ResultsDb::open(path); !db) {
    throw Failure{kExitUsage, "--db: " + db.error().message + " (or --no-store)"};
  }
}

store::NewRun history_record(const report::RunReport& report,
                             const std::filesystem::path& requests_jsonl) {
  report::HistoryParts parts = report::history_parts(report);
  store::NewRun run;
  run.started_at = report.context.started_at;
  run.engine = report.spec.engine_label.empty() ? report.spec.engine : report.spec.engine_label;
  run.model = report.spec.model;
  run.scenario = report.spec.scenario;
  if (report.workload.fingerprint) run.fingerprint = report.workload.fingerprint->workload;
  run.spec_json = std::move(parts.spec);
  run.context_json = std::move(parts.context);
  run.summary_json = std::move(parts.summary);
  run.window_lines = std::move(parts.windows);
  if (report.spec.request_detail != "none") run.request_lines_file = requests_jsonl;
  run.stop_reason = report.stop_reason;
  run.interrupted = report.interrupted;
  run.tool_version = report.context.tool_version;
  return run;
}

Expected<std::int64_t> store_run(const std::filesystem::path& db, const report::RunReport& report,
                                 const std::filesystem::path& requests_jsonl) {
  auto opened = store::ResultsDb::open(db);
  if (!opened) return tl::unexpected(opened.error());
  return opened->add(history_record(report, requests_jsonl));
}

Expected<store::ResultsDb> open_history(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no results history at " + path.string() +
                          " (runs are stored there unless --no-store; another one: --db PATH)");
  }
  return store::ResultsDb::open(path);
}

Expected<std::optional<double>> summary_figure(std::string_view summary_json,
                                               std::string_view name) {
  const Json summary = Json::parse(summary_json, nullptr, false);
  const Json* value = find_figure(summary, name);
  if (value == nullptr || !(value->is_null() || value->is_number())) {
    return tl::unexpected(unknown_figure(name));
  }
  if (value->is_null()) return std::optional<double>{};
  return std::optional<double>(value->get<double>());
}

Expected<std::vector<TrendPoint>> history_trend(store::ResultsDb& db, std::string_view figure,
                                                const store::RunFilter& filter) {
  auto rows = db.list(filter);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<TrendPoint> points;
  bool named = false;  // some run has the figure, measured or not
  for (store::RunRow& row : *rows) {
    auto value = summary_figure(row.summary_json, figure);
    named = named || value.has_value();
    // A run stored before the figure existed did not measure it: a gap, not an error.
    points.push_back({std::move(row), value ? *value : std::nullopt});
  }
  if (!named && !points.empty()) return tl::unexpected(unknown_figure(figure));
  if (points.empty()) {
    // Nothing to read the names from: the name must at least look like one.
    if (figure.empty() || figure.find_first_of(" \t/") != std::string_view::npos) {
      return tl::unexpected(unknown_figure(figure));
    }
  }
  return points;
}

Expected<std::string> parse_since(std::string_view text) {
  const auto digits = [&text](std::size_t from, std::size_t count) {
    for (std::size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
    }
    return true;
  };
  const bool date = text.size() >= 10 && digits(0, 4) && text[4] == '-' && digits(5, 2) &&
                    text[7] == '-' && digits(8, 2);
  const bool date_only = date && text.size() == 10;
  const bool date_time = date && text.size() == 20 && text[10] == 'T' && digits(11, 2) &&
                         text[13] == ':' && digits(14, 2) && text[16] == ':' && digits(17, 2) &&
                         text[19] == 'Z';
  if (!date_only && !date_time) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--since: '" + std::string(text.substr(0, 40)) +
                          "' is not a UTC date (2026-11-01) or time (2026-11-01T08:00:00Z)");
  }
  return std::string(text);
}

}  // namespace llmbench::app
