#include "app/report.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "app/benchmark.h"
#include "app/compare.h"
#include "app/outcome.h"
#include "report/model_report.h"
#include "report/output_file.h"
#include "report/result_view.h"

namespace llmbench::app {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

[[noreturn]] void refuse(const std::string& message) { throw Failure{kExitUsage, message}; }

std::string join(const std::vector<std::string>& parts, std::string_view by) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += by;
    out += part;
  }
  return out;
}

metrics::RunView read_view(const fs::path& path, const std::string& label,
                           const metrics::ReportBudget& budget) {
  auto view = report::read_run_view(path, label, budget);
  if (!view) refuse(view.error().message);
  return std::move(*view);
}

// A stored run as the result file it was made from (the parts the history keeps), so one
// reader serves both.
std::string stored_result_json(const store::StoredRun& run) {
  std::string json = "{\"schema_version\":1,\"context\":";
  Json context = Json::parse(run.context_json, nullptr, false);
  if (context.is_discarded() || !context.is_object()) context = Json::object();
  Json spec = Json::parse(run.spec_json, nullptr, false);
  if (!spec.is_discarded()) context["config"] = spec;
  json += context.dump();
  json += ",\"summary\":" + run.row.summary_json;
  json += ",\"time_series\":{\"window\":";
  json += fmt::format("{}", spec.is_object() ? spec.value("window", 1.0) : 1.0);
  json += ",\"windows\":[" + join(run.window_lines, ",") + "]}";
  json += ",\"requests\":[" + join(run.request_lines, ",") + "]}";
  return json;
}

std::optional<metrics::RunView> stored_view(const fs::path& db_path, std::int64_t id,
                                            const std::string& label,
                                            const metrics::ReportBudget& budget,
                                            std::string* error) {
  auto db = store::ResultsDb::open(db_path);
  if (!db) {
    *error = db.error().message;
    return std::nullopt;
  }
  auto stored = db->get(id);
  if (!stored) {
    *error = stored.error().message;
    return std::nullopt;
  }
  auto view = report::parse_run_view(stored_result_json(*stored), fmt::format("history run {}", id),
                                     label, budget);
  if (!view) {
    *error = view.error().message;
    return std::nullopt;
  }
  return std::move(*view);
}

std::string run_title(const metrics::RunView& run) {
  std::vector<std::string> parts;
  for (const metrics::Card& card : run.cards) {
    if ((card.label == "Engine" || card.label == "Model" || card.label == "Load") && card.text) {
      parts.push_back(*card.text);
    }
  }
  return join(parts, " · ");
}

void lift_notes(metrics::ReportModel& model) {
  for (const metrics::RunView& run : model.runs) {
    for (const std::string& note : run.notes) {
      model.notes.push_back(model.runs.size() > 1 ? run.label + ": " + note : note);
    }
  }
}

// The run of a comparison's source: its file, or its stored run ("history run 42").
std::optional<metrics::RunView> source_view(const std::string& source, const std::string& label,
                                            const fs::path& db, const metrics::ReportBudget& budget,
                                            std::vector<std::string>& notes) {
  constexpr std::string_view kStored = "history run ";
  std::string error;
  if (source.starts_with(kStored)) {
    std::int64_t id = 0;
    try {
      id = std::stoll(source.substr(kStored.size()));
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (auto view = stored_view(db, id, label, budget, &error)) return view;
  } else {
    auto view = report::read_run_view(source, label, budget);
    if (view) return std::move(*view);
    error = view.error().message;
  }
  notes.push_back(fmt::format("{}: not drawn ({})", source, error));
  return std::nullopt;
}

// Overlaid CDFs: one curve per run of each side, labelled with its side and repetition.
void add_overlay(metrics::ComparisonSectionView& section,
                 const std::vector<const metrics::RunView*>& base,
                 const std::vector<const metrics::RunView*>& next) {
  for (const char* metric : {"ttft", "itl", "tpot", "e2e_latency"}) {
    metrics::CdfOverlay overlay;
    overlay.metric = metric;
    const auto add = [&](const std::vector<const metrics::RunView*>& runs,
                         const std::string& side) {
      for (std::size_t i = 0; i < runs.size(); ++i) {
        for (const metrics::LatencyView& d : runs[i]->distributions) {
          if (d.metric != metric || d.cdf.empty()) continue;
          overlay.label = d.label;
          overlay.unit = d.unit;
          const std::string label = runs.size() == 1 ? side : fmt::format("{} r{}", side, i + 1);
          overlay.curves.push_back({label, d.cdf});
        }
      }
    };
    add(base, section.base);
    add(next, section.next);
    if (overlay.curves.size() >= 2) section.overlay.push_back(std::move(overlay));
  }
}

}  // namespace

void check_report_outputs(const ReportOutputs& outputs, const std::vector<fs::path>& inputs) {
  std::vector<std::pair<std::string, report::OutputTarget>> checked;
  const auto check = [&](const char* option, const std::optional<fs::path>& path) {
    if (!path) return;
    auto target = report::check_output(*path);
    if (!target) refuse(std::string(option) + ": " + target.error().message);
    for (const fs::path& input : inputs) {
      std::error_code ec;
      if (fs::exists(input, ec) && report::file_identity(input) == target->identity) {
        refuse(
            fmt::format("{} {}: that is an input of this report; a report never overwrites "
                        "what it reads",
                        option, path->string()));
      }
    }
    for (const auto& [other, earlier] : checked) {
      if (earlier.identity == target->identity && !target->character_device) {
        refuse(fmt::format("{} and {} are the same file ({})", other, option, path->string()));
      }
    }
    checked.emplace_back(option, std::move(*target));
  };
  check("--html", outputs.html);
  check("--markdown", outputs.markdown);
  check("--csv", outputs.csv);
}

std::vector<fs::path> write_report_outputs(const metrics::ReportModel& model,
                                           const ReportOutputs& outputs,
                                           std::vector<std::string>& errors) {
  metrics::ReportModel stamped = model;
  stamped.generated_by =
      outputs.generator.empty() ? std::string("llmbench ") + LLMBENCH_VERSION : outputs.generator;
  stamped.generated_at = outputs.generated_at.empty() ? utc_now_iso8601() : outputs.generated_at;
  std::vector<fs::path> written;
  const auto write = [&](const char* option, const std::optional<fs::path>& path,
                         const std::string& content) {
    if (!path) return;
    if (auto done = report::write_output(*path, content); !done) {
      errors.push_back(std::string(option) + ": " + done.error().message);
    } else {
      written.push_back(*path);
    }
  };
  if (outputs.html) write("--html", outputs.html, report::render_html(stamped));
  if (outputs.markdown) write("--markdown", outputs.markdown, report::render_markdown(stamped));
  if (outputs.csv) write("--csv", outputs.csv, report::render_csv(stamped));
  return written;
}

metrics::ReportModel result_report(const fs::path& result, const metrics::ReportBudget& budget) {
  metrics::ReportModel model;
  model.runs.push_back(read_view(result, "", budget));
  const metrics::RunView& run = model.runs.front();
  model.kind = run.levels.empty() ? metrics::ReportKind::kRun : metrics::ReportKind::kSweep;
  model.title = run_title(run);
  lift_notes(model);
  return model;
}

metrics::ReportModel suite_report(const fs::path& suite, const fs::path& db,
                                  const metrics::ReportBudget& budget) {
  std::error_code ec;
  const fs::path file = fs::is_directory(suite, ec) ? suite / "suite.json" : suite;
  std::ifstream in(file, std::ios::binary);
  if (!in) refuse("cannot read " + file.string());
  const Json root = Json::parse(in, nullptr, false);
  if (root.is_discarded() || !root.is_object() || !root.contains("runs") ||
      !root["runs"].is_array()) {
    refuse(file.string() + ": not a suite output (no \"runs\" list)");
  }
  metrics::ReportModel model;
  model.kind = metrics::ReportKind::kSuite;
  std::size_t engines = 0;
  if (const auto e = root.find("engines"); e != root.end() && e->is_array()) engines = e->size();
  if (engines >= 2) {
    CompareRequest request;
    request.inputs = {file.string()};
    request.db = db;
    try {
      const report::CompareReport comparison = run_compare(resolve_compare(request));
      metrics::ReportModel compared = comparison_report(comparison, db, budget);
      model.comparison = std::move(compared.comparison);
      model.runs = std::move(compared.runs);
      model.warnings = comparison.warnings;
      for (std::string& note : compared.notes) model.notes.push_back(std::move(note));
    } catch (const Failure& f) {
      model.warnings.push_back("no comparison: " + f.message);
    }
  }
  if (model.runs.empty()) {
    for (const Json& run : root["runs"]) {
      if (!run.is_object() || !run.contains("result") || !run["result"].is_string()) continue;
      fs::path path = run["result"].get<std::string>();
      if (!fs::is_regular_file(path, ec)) path = file.parent_path() / path.filename();
      auto view = report::read_run_view(path, "", budget);
      if (!view) {
        model.warnings.push_back(view.error().message);
        continue;
      }
      model.runs.push_back(std::move(*view));
    }
    lift_notes(model);
  }
  model.title =
      fmt::format("suite {} · {} runs", file.parent_path().filename().string(), model.runs.size());
  return model;
}

metrics::ReportModel comparison_report(const report::CompareReport& comparison, const fs::path& db,
                                       const metrics::ReportBudget& budget) {
  metrics::ReportModel model;
  model.kind = metrics::ReportKind::kComparison;
  model.warnings = comparison.warnings;
  metrics::ComparisonView view;
  view.gate_failed = comparison.gate_failed();
  view.gate_lines = comparison.failure_lines();
  std::map<std::string, std::size_t> run_of_source;  // a run read once, however often compared
  for (const report::CompareSection& s : comparison.sections) {
    metrics::ComparisonSectionView section;
    section.title = s.title;
    section.base = s.base.label;
    section.next = s.next.label;
    section.base_sources = s.base.sources;
    section.next_sources = s.next.sources;
    const std::size_t base_runs = s.base.sources.size();
    const std::size_t new_runs = s.next.sources.size();
    section.method =
        base_runs >= 2 && new_runs >= 2
            ? fmt::format(
                  "Mann–Whitney U over {} and {} repetitions, Holm-adjusted across the "
                  "figures",
                  base_runs, new_runs)
        : base_runs == 1 && new_runs == 1
            ? "single runs: a moving-block bootstrap over 1 s windows, Holm-adjusted (repetitions "
              "would be stronger)"
            : "too few repetitions on one side for a test: values and changes only";
    for (const metrics::FigureComparison& c : s.comparison.figures) {
      metrics::ComparisonFacts facts;
      facts.figure = c.figure.name;
      facts.base = c.base;
      facts.next = c.next;
      if (c.base_interval) {
        facts.base_low = c.base_interval->low;
        facts.base_high = c.base_interval->high;
      }
      if (c.new_interval) {
        facts.next_low = c.new_interval->low;
        facts.next_high = c.new_interval->high;
      }
      facts.relative_change = c.relative_change;
      facts.p = c.p;
      facts.p_adjusted = c.p_adjusted;
      if (c.p_adjusted) facts.verdict = std::string(metrics::to_string(c.verdict));
      facts.gate_failed = std::find(s.regressions.begin(), s.regressions.end(), c.figure.name) !=
                          s.regressions.end();
      for (const metrics::GateOutcome& slo : s.slos) {
        if (slo.gate.figure == c.figure.name && !slo.passed) facts.gate_failed = true;
      }
      section.rows.push_back(metrics::comparison_row(facts));
      if (s.base.runs.size() + s.next.runs.size() > 2) {
        std::vector<double> base_values;
        std::vector<double> new_values;
        for (const metrics::RunFigures& run : s.base.runs) {
          if (const auto it = run.find(c.figure.name); it != run.end()) {
            base_values.push_back(it->second);
          }
        }
        for (const metrics::RunFigures& run : s.next.runs) {
          if (const auto it = run.find(c.figure.name); it != run.end()) {
            new_values.push_back(it->second);
          }
        }
        if (!base_values.empty() && !new_values.empty()) {
          section.spread.push_back(
              metrics::repetition_spread(c.figure.name, base_values, new_values));
        }
      }
    }
    if (s.comparison.geomean_ratio_lower_better) {
      section.geomeans.emplace_back("lower is better: latencies",
                                    (*s.comparison.geomean_ratio_lower_better - 1) * 100);
    }
    if (s.comparison.geomean_ratio_higher_better) {
      section.geomeans.emplace_back("higher is better: throughputs, rates",
                                    (*s.comparison.geomean_ratio_higher_better - 1) * 100);
    }
    // The runs themselves, for the overlaid CDFs and their own sections.
    std::vector<const metrics::RunView*> base_views;
    std::vector<const metrics::RunView*> new_views;
    std::vector<std::size_t> base_index;
    std::vector<std::size_t> new_index;
    const auto collect = [&](const report::CompareSide& side, std::vector<std::size_t>& indices) {
      for (std::size_t i = 0; i < side.sources.size(); ++i) {
        const std::string& source = side.sources[i];
        if (const auto it = run_of_source.find(source); it != run_of_source.end()) {
          indices.push_back(it->second);
          continue;
        }
        const std::string label =
            side.sources.size() == 1 ? side.label : fmt::format("{} r{}", side.label, i + 1);
        if (auto run = source_view(source, label, db, budget, model.notes)) {
          run_of_source[source] = model.runs.size();
          indices.push_back(model.runs.size());
          model.runs.push_back(std::move(*run));
        }
      }
    };
    collect(s.base, base_index);
    collect(s.next, new_index);
    base_views.reserve(base_index.size());
    new_views.reserve(new_index.size());
    for (const std::size_t i : base_index) base_views.push_back(&model.runs[i]);
    for (const std::size_t i : new_index) new_views.push_back(&model.runs[i]);
    add_overlay(section, base_views, new_views);
    view.sections.push_back(std::move(section));
  }
  model.comparison = std::move(view);
  lift_notes(model);
  if (comparison.sections.size() == 1) {
    const report::CompareSection& s = comparison.sections.front();
    model.title = fmt::format("{} vs {}", s.base.label, s.next.label);
  } else {
    model.title = fmt::format("comparison · {} sections", comparison.sections.size());
  }
  return model;
}

metrics::ReportModel trend_report(const std::string& figure, const std::vector<TrendPoint>& points,
                                  const std::vector<std::vector<std::string>>& tags) {
  metrics::ReportModel model;
  model.kind = metrics::ReportKind::kTrend;
  metrics::TrendView trend;
  const metrics::FigureDisplay display = metrics::figure_display(figure);
  trend.metric = figure;
  trend.label = display.label;
  trend.unit = display.unit;
  for (std::size_t i = 0; i < points.size(); ++i) {
    metrics::TrendPoint point;
    point.id = points[i].row.id;
    point.started_at = points[i].row.started_at;
    point.engine = points[i].row.engine;
    point.model = points[i].row.model;
    if (points[i].value) point.value = *points[i].value * display.scale;
    if (i < tags.size()) point.tags = tags[i];
    trend.points.push_back(std::move(point));
  }
  model.title = fmt::format("{} over {} runs", display.label, points.size());
  model.trend = std::move(trend);
  return model;
}

metrics::ReportModel load_report(const std::string& input, const fs::path& db,
                                 const metrics::ReportBudget& budget) {
  std::error_code ec;
  const fs::path path = input;
  if (fs::is_directory(path, ec)) {
    if (!fs::is_regular_file(path / "suite.json", ec)) {
      refuse(input +
             ": a folder without suite.json (give a result file, a suite output, a "
             "comparison or a history run)");
    }
    return suite_report(path, db, budget);
  }
  if (fs::is_regular_file(path, ec)) {
    if (path.filename() == "suite.json") return suite_report(path, db, budget);
    // A comparison (`compare --format json`) is re-run from the inputs it names: the same
    // files give the same comparison, and the runs are drawn beside it.
    std::ifstream in(path, std::ios::binary);
    char head[4096] = {};
    in.read(head, sizeof head);
    const std::string_view start(head, static_cast<std::size_t>(in.gcount()));
    if (start.find("\"llmbench.compare\"") != std::string_view::npos) {
      std::ifstream again(path, std::ios::binary);
      const Json root = Json::parse(again, nullptr, false);
      if (root.is_discarded() || !root.contains("sections")) {
        refuse(input + ": not a valid llmbench comparison");
      }
      report::CompareReport merged;
      const Json options = root.value("options", Json::object());
      for (const Json& section : root["sections"]) {
        CompareRequest request;
        const auto side = [](const Json& s) {
          std::vector<std::string> sources;
          for (const Json& source : s.value("sources", Json::array())) {
            std::string text = source.get<std::string>();
            if (text.starts_with("history run ")) text = text.substr(12);
            sources.push_back(text);
          }
          return join(sources, ",");
        };
        request.inputs = {side(section.value("base", Json::object())),
                          side(section.value("new", Json::object()))};
        request.alpha = fmt::format("{}", options.value("alpha", 0.05));
        request.noise = fmt::format("{}%", options.value("noise", 0.02) * 100);
        if (options.contains("max_regression") && options["max_regression"].is_number()) {
          request.max_regression.push_back(
              fmt::format("{}%", options["max_regression"].get<double>() * 100));
        }
        const Json per_figure = options.value("max_regression_per_figure", Json::object());
        for (const auto& [name, limit] : per_figure.items()) {
          if (limit.is_number()) {
            request.max_regression.push_back(
                fmt::format("{}={}%", name, limit.get<double>() * 100));
          }
        }
        for (const Json& slo : options.value("slo", Json::array())) {
          if (slo.is_string()) request.slo.push_back(slo.get<std::string>());
        }
        std::vector<std::string> figures;
        for (const Json& f : section.value("figures", Json::array())) {
          if (f.contains("figure") && f["figure"].is_string()) {
            figures.push_back(f["figure"].get<std::string>());
          }
        }
        request.figures = join(figures, ",");
        request.force = true;  // it was compared once already; its warnings say what differed
        request.db = db;
        report::CompareReport again_report = run_compare(resolve_compare(request));
        for (report::CompareSection& s : again_report.sections) {
          s.title = section.value("title", std::string());
          s.base.label = section.value("base", Json::object()).value("label", s.base.label);
          s.next.label = section.value("new", Json::object()).value("label", s.next.label);
          merged.sections.push_back(std::move(s));
        }
        merged.options = again_report.options;
        merged.gate = again_report.gate;
        merged.slo_gates = again_report.slo_gates;
      }
      for (const Json& warning : root.value("warnings", Json::array())) {
        if (warning.is_string()) merged.warnings.push_back(warning.get<std::string>());
      }
      return comparison_report(merged, db, budget);
    }
    return result_report(path, budget);
  }
  // Not a file: a run of the history.
  if (!fs::exists(db, ec)) {
    refuse(
        fmt::format("'{}': no such file, and no history database at {} to look it up in "
                    "(--db PATH)",
                    input, db.string()));
  }
  auto opened = store::ResultsDb::open(db);
  if (!opened) refuse(opened.error().message);
  const auto id = opened->resolve(input);
  if (!id) {
    refuse(fmt::format("'{}': no such file, and not a run in {} ({})", input, db.string(),
                       id.error().message));
  }
  std::string error;
  auto view = stored_view(db, *id, "", budget, &error);
  if (!view) refuse(error);
  metrics::ReportModel model;
  model.runs.push_back(std::move(*view));
  model.kind =
      model.runs.front().levels.empty() ? metrics::ReportKind::kRun : metrics::ReportKind::kSweep;
  model.title = fmt::format("history run {} · {}", *id, run_title(model.runs.front()));
  lift_notes(model);
  return model;
}

}  // namespace llmbench::app
