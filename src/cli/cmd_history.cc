// `llmbench history`: the results history (docs/history.md) — list, show, trend, tag, rm.
// Parsing and printing only: what is stored and how a figure is named is app/history.h.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/history.h"
#include "app/report.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "store/results_db.h"

namespace llmbench::cli {

namespace {

using Json = nlohmann::ordered_json;

struct HistoryArgs {
  std::string db;
  std::string format = "table";
  std::string engine, model, scenario, since;
  std::string reference;  // show, tag, rm
  std::string metric;     // trend
  std::string tag;        // tag
  std::string html;       // trend
};

// The figures `show` and `list` print, by their summary names (docs/results.md).
constexpr std::array<std::string_view, 9> kShownFigures = {
    "ttft.p50", "ttft.p99",           "itl.p50",
    "itl.p99",  "e2e_latency.p50",    "e2e_latency.p99",
    "tpot.p50", "request_throughput", "output_token_throughput"};

// Latency figures are seconds in the summary and milliseconds in a table.
bool is_time(std::string_view figure) {
  const std::string_view base = figure.substr(0, figure.find('.'));
  const std::string_view stat =
      figure.find('.') == std::string_view::npos ? "" : figure.substr(figure.find('.') + 1);
  return (base == "ttft" || base == "itl" || base == "tpot" || base == "e2e_latency" ||
          base == "ttft_sched" || base == "e2e_sched" || base == "schedule_lag") &&
         stat != "count" && !stat.empty();
}

std::string label(std::string_view figure) {
  return is_time(figure) ? std::string(figure) + " (ms)" : std::string(figure);
}

// A figure for a table: "—" when the run did not measure it, never 0.
std::string cell(std::string_view figure, const std::optional<double>& value) {
  if (!value) return "—";
  return is_time(figure) ? fmt::format("{:.3f}", *value * 1e3) : fmt::format("{:.4g}", *value);
}

std::optional<double> figure_of(const std::string& summary, std::string_view figure) {
  auto value = app::summary_figure(summary, figure);
  return value ? *value : std::nullopt;
}

Json json_or_null(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json parsed(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? Json(nullptr) : j;
}

std::string short_fingerprint(const std::string& fingerprint) {
  if (fingerprint.empty()) return "—";
  const std::string bare =
      fingerprint.rfind("sha256:", 0) == 0 ? fingerprint.substr(7) : fingerprint;
  return bare.substr(0, 12);
}

std::string or_dash(const std::string& text) { return text.empty() ? "—" : text; }

std::string tags_text(const std::vector<std::string>& tags) {
  return tags.empty() ? "—" : fmt::format("{}", fmt::join(tags, ","));
}

Json row_json(const store::RunRow& row) {
  Json j;
  j["id"] = row.id;
  j["started_at"] = row.started_at;
  j["engine"] = row.engine;
  j["model"] = row.model;
  j["scenario"] = row.scenario.empty() ? Json(nullptr) : Json(row.scenario);
  j["fingerprint"] = row.fingerprint.empty() ? Json(nullptr) : Json(row.fingerprint);
  j["tags"] = row.tags;
  j["requests_stored"] = row.requests;
  j["stop_reason"] = row.stop_reason.empty() ? Json(nullptr) : Json(row.stop_reason);
  j["interrupted"] = row.interrupted ? Json(*row.interrupted) : Json(nullptr);
  j["tool_version"] = row.tool_version.empty() ? Json(nullptr) : Json(row.tool_version);
  return j;
}

std::filesystem::path db_path(const HistoryArgs& a) {
  return a.db.empty() ? store::default_db_path() : std::filesystem::path(a.db);
}

store::ResultsDb open_db(const HistoryArgs& a) {
  auto db = app::open_history(db_path(a));
  if (!db) throw CommandError{kExitUsage, db.error().message};
  return std::move(*db);
}

// An unknown run, tag or figure, and a database that cannot be read, are all exit 2 with the
// store's message (it names the reference and the file).
template <class T>
T value_or_usage(Expected<T> value) {
  if (!value) throw CommandError{kExitUsage, value.error().message};
  return std::move(*value);
}

void check(const Expected<void>& done) {
  if (!done) throw CommandError{kExitUsage, done.error().message};
}

void check_format(const std::string& format) {
  if (format != "table" && format != "json") {
    throw CommandError{kExitUsage, "--format: '" + format + "' is not table or json"};
  }
}

store::RunFilter filter_of(const HistoryArgs& a) {
  store::RunFilter filter;
  if (!a.engine.empty()) filter.engine = a.engine;
  if (!a.model.empty()) filter.model = a.model;
  if (!a.scenario.empty()) filter.scenario = a.scenario;
  if (!a.since.empty()) {
    auto since = app::parse_since(a.since);
    if (!since) throw CommandError{kExitUsage, since.error().message};
    filter.since = *since;
  }
  return filter;
}

// Prints rows of cells, each column as wide as its widest cell (counted in code points, so
// "—" is one).
void print_table(const std::vector<std::vector<std::string>>& rows) {
  const auto width = [](const std::string& s) {
    std::size_t n = 0;
    for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    return n;
  };
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - width(row[i]) + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

int list(const HistoryArgs& a) {
  check_format(a.format);
  const store::RunFilter filter = filter_of(a);
  const std::filesystem::path path = db_path(a);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {  // nothing stored yet: an empty list, no new file
    if (a.format == "json") {
      std::cout << "[]\n";
    } else {
      std::cout << "no runs stored in " << path.string() << "\n";
    }
    return kExitOk;
  }
  store::ResultsDb db = open_db(a);
  const std::vector<store::RunRow> rows = value_or_usage(db.list(filter));
  if (a.format == "json") {
    Json out = Json::array();
    for (const store::RunRow& row : rows) {
      Json j = row_json(row);
      Json figures;
      for (const std::string_view f : kShownFigures) {
        figures[std::string(f)] = json_or_null(figure_of(row.summary_json, f));
      }
      j["figures"] = std::move(figures);
      out.push_back(std::move(j));
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (rows.empty()) {
    std::cout << "no runs stored in " << path.string() << " match\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table = {
      {"id", "started_at", "engine", "model", "scenario", "fingerprint", "requests", "success_rate",
       label("ttft.p50"), label("ttft.p99"), "output_token_throughput", "tags"}};
  for (const store::RunRow& row : rows) {
    std::string id = std::to_string(row.id);
    if (row.interrupted.value_or(false)) id += "*";
    table.push_back(
        {id, row.started_at, row.engine, row.model, or_dash(row.scenario),
         short_fingerprint(row.fingerprint),
         cell("requests", figure_of(row.summary_json, "requests")),
         cell("success_rate", figure_of(row.summary_json, "success_rate")),
         cell("ttft.p50", figure_of(row.summary_json, "ttft.p50")),
         cell("ttft.p99", figure_of(row.summary_json, "ttft.p99")),
         cell("output_token_throughput", figure_of(row.summary_json, "output_token_throughput")),
         tags_text(row.tags)});
  }
  print_table(table);
  if (std::any_of(rows.begin(), rows.end(),
                  [](const store::RunRow& r) { return r.interrupted.value_or(false); })) {
    std::cout << "* interrupted: a partial result\n";
  }
  return kExitOk;
}

int show(const HistoryArgs& a) {
  check_format(a.format);
  store::ResultsDb db = open_db(a);
  const std::int64_t id = value_or_usage(db.resolve(a.reference));
  const store::StoredRun run = value_or_usage(db.get(id, store::ResultsDb::Rows::kNone));
  const store::RunRow& row = run.row;
  if (a.format == "json") {
    Json j = row_json(row);
    j["spec"] = parsed(run.spec_json);
    j["context"] = parsed(run.context_json);
    j["summary"] = parsed(row.summary_json);
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table = {
      {"id", std::to_string(row.id)},
      {"started_at", row.started_at},
      {"engine", row.engine},
      {"model", row.model},
      {"scenario", or_dash(row.scenario)},
      {"fingerprint", or_dash(row.fingerprint)},
      {"tags", tags_text(row.tags)},
      {"stop_reason", or_dash(row.stop_reason)},
      {"interrupted", row.interrupted ? (*row.interrupted ? "yes" : "no") : "—"},
      {"tool_version", or_dash(row.tool_version)},
      {"requests_stored", std::to_string(row.requests)}};
  for (const std::string_view f : {std::string_view("requests"), std::string_view("succeeded"),
                                   std::string_view("failed"), std::string_view("success_rate")}) {
    table.push_back({std::string(f), cell(f, figure_of(row.summary_json, f))});
  }
  for (const std::string_view f : kShownFigures) {
    table.push_back({label(f), cell(f, figure_of(row.summary_json, f))});
  }
  print_table(table);
  return kExitOk;
}

int trend(const HistoryArgs& a) {
  check_format(a.format);
  const store::RunFilter filter = filter_of(a);
  store::ResultsDb db = open_db(a);
  app::ReportOutputs html;
  if (!a.html.empty()) {
    html.html = a.html;
    app::check_report_outputs(html);
  }
  const std::vector<app::TrendPoint> points =
      value_or_usage(app::history_trend(db, a.metric, filter));
  if (html.any()) {
    std::vector<std::vector<std::string>> tags;
    tags.reserve(points.size());
    for (const app::TrendPoint& p : points) tags.push_back(p.row.tags);
    std::vector<std::string> errors;
    app::write_report_outputs(app::trend_report(a.metric, points, tags), html, errors);
    for (const std::string& error : errors) std::cerr << "llmbench: " << error << "\n";
    if (!errors.empty()) return app::kExitNotWritten;
    std::cerr << "wrote " << a.html << "\n";
  }
  if (a.format == "json") {
    Json runs = Json::array();
    for (const app::TrendPoint& p : points) {
      runs.push_back({{"id", p.row.id},
                      {"started_at", p.row.started_at},
                      {"engine", p.row.engine},
                      {"model", p.row.model},
                      {"scenario", p.row.scenario.empty() ? Json(nullptr) : Json(p.row.scenario)},
                      {"value", json_or_null(p.value)}});
    }
    std::cout << Json{{"metric", a.metric}, {"runs", std::move(runs)}}.dump(2) << "\n";
    return kExitOk;
  }
  if (points.empty()) {
    std::cout << "no runs stored in " << db_path(a).string() << " match\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table = {
      {"id", "started_at", "engine", "model", "scenario", label(a.metric)}};
  for (const app::TrendPoint& p : points) {
    table.push_back({std::to_string(p.row.id), p.row.started_at, p.row.engine, p.row.model,
                     or_dash(p.row.scenario), cell(a.metric, p.value)});
  }
  print_table(table);
  return kExitOk;
}

int tag(const HistoryArgs& a) {
  store::ResultsDb db = open_db(a);
  const std::int64_t id = value_or_usage(db.resolve(a.reference));
  check(db.tag(id, a.tag));
  std::cout << "tagged run " << id << " " << a.tag << "\n";
  return kExitOk;
}

int remove(const HistoryArgs& a) {
  store::ResultsDb db = open_db(a);
  const std::int64_t id = value_or_usage(db.resolve(a.reference));
  check(db.remove(id));
  std::cout << "removed run " << id << " from " << db_path(a).string() << "\n";
  return kExitOk;
}

void add_db_option(CLI::App* cmd, HistoryArgs* args) {
  cmd->add_option("--db", args->db,
                  "Results history database (default $XDG_DATA_HOME/llmbench/results.db, else "
                  "~/.local/share/llmbench/results.db)");
}

void add_filters(CLI::App* cmd, HistoryArgs* args) {
  cmd->add_option("--engine", args->engine, "Only runs of this engine (or suite engine name)");
  cmd->add_option("--model", args->model, "Only runs of this model");
  cmd->add_option("--scenario", args->scenario, "Only runs of this suite scenario");
}

void add_format(CLI::App* cmd, HistoryArgs* args) {
  cmd->add_option("--format", args->format, "table or json")->capture_default_str();
}

}  // namespace

Action add_history_command(CLI::App& app) {
  auto args = std::make_shared<HistoryArgs>();
  CLI::App* cmd = app.add_subcommand("history", "The results history: every run stored");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  llmbench history list --engine vllm --since 2026-11-01\n"
      "  llmbench history show latest\n"
      "  llmbench history trend ttft.p99 --model llama3.2\n"
      "  llmbench history tag 42 baseline\n"
      "  llmbench history rm 41\n");
  CLI::App* list_cmd = cmd->add_subcommand("list", "The stored runs, oldest first");
  add_filters(list_cmd, args.get());
  list_cmd->add_option("--since", args->since,
                       "Only runs started at or after this UTC date or time (2026-11-01)");
  add_format(list_cmd, args.get());
  add_db_option(list_cmd, args.get());
  CLI::App* show_cmd = cmd->add_subcommand("show", "One run: its identity and main figures");
  show_cmd->add_option("run", args->reference, "Run id, tag or 'latest'")->required();
  add_format(show_cmd, args.get());
  add_db_option(show_cmd, args.get());
  CLI::App* trend_cmd = cmd->add_subcommand("trend", "One figure across runs, oldest first");
  trend_cmd
      ->add_option("metric", args->metric,
                   "A summary figure: ttft.p99, itl.p50, e2e_latency.p90, tpot.mean, "
                   "output_token_throughput, request_throughput, success_rate…")
      ->required();
  add_filters(trend_cmd, args.get());
  trend_cmd->add_option("--html", args->html,
                        "Also write the trend as an HTML report (a chart over the runs)");
  add_format(trend_cmd, args.get());
  add_db_option(trend_cmd, args.get());
  CLI::App* tag_cmd = cmd->add_subcommand("tag", "Name a run (a tag names one run: it moves)");
  tag_cmd->add_option("run", args->reference, "Run id, tag or 'latest'")->required();
  tag_cmd->add_option("name", args->tag, "The tag")->required();
  add_db_option(tag_cmd, args.get());
  CLI::App* rm_cmd = cmd->add_subcommand("rm", "Remove a run, its requests and its tags");
  rm_cmd->add_option("run", args->reference, "Run id, tag or 'latest'")->required();
  add_db_option(rm_cmd, args.get());

  return [args, list_cmd, show_cmd, trend_cmd, tag_cmd, rm_cmd]() -> int {
    if (list_cmd->parsed()) return list(*args);
    if (show_cmd->parsed()) return show(*args);
    if (trend_cmd->parsed()) return trend(*args);
    if (tag_cmd->parsed()) return tag(*args);
    if (rm_cmd->parsed()) return remove(*args);
    return kExitUsage;
  };
}

}  // namespace llmbench::cli
