#include "app/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "app/outcome.h"
#include "store/results_db.h"
#include "workload/fingerprint.h"

namespace llmbench::app {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

[[noreturn]] void refuse(const std::string& message) { throw Failure{kExitUsage, message}; }

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t at = std::min(text.find(by, start), text.size());
    out.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& by) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : by) + i;
  return out;
}

// "5%" → 0.05; errors name the option, the value and the bound.
double parse_percent(const std::string& option, const std::string& text, double low, double high) {
  const auto bad = [&](const std::string& why) -> double {
    refuse(fmt::format("{} '{}': {}", option, text, why));
  };
  if (text.empty() || text.back() != '%') return bad("expected a percentage such as 5%");
  const std::string digits = text.substr(0, text.size() - 1);
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(digits, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != digits.size() || !std::isfinite(v)) {
    return bad("expected a percentage such as 5%");
  }
  if (v < low || v > high) return bad(fmt::format("must be within {:g}% and {:g}%", low, high));
  return v / 100;
}

bool known_figure(const std::string& name) {
  for (const char* metric : {"ttft", "itl", "tpot", "e2e_latency"}) {
    for (const char* stat : {"p50", "p90", "p95", "p99", "mean"}) {
      if (name == std::string(metric) + "." + stat) return true;
    }
  }
  return name == "output_token_throughput" || name == "request_throughput" ||
         name == "success_rate" || name == "cost_per_million_output_tokens" ||
         name == "cost_per_thousand_requests" || name == "output_tokens_per_gpu_second" ||
         name == "joules_per_output_token" || name == "output_tokens_per_joule" ||
         name == "average_power_w" || name == "joules_per_request" ||
         name == "gpu_memory_max_bytes" || name == "gpu_engine_memory_max_bytes" ||
         name == "engine_rss_max_bytes";
}

void check_figure(const std::string& option, const std::string& name) {
  if (!known_figure(name)) {
    refuse(fmt::format(
        "{}: unknown figure '{}' (known: ttft, itl, tpot, e2e_latency with .p50 .p90 .p95 .p99 "
        ".mean; output_token_throughput, request_throughput, success_rate; "
        "cost_per_million_output_tokens, cost_per_thousand_requests, "
        "output_tokens_per_gpu_second; joules_per_output_token, output_tokens_per_joule, "
        "average_power_w, joules_per_request, gpu_memory_max_bytes, "
        "gpu_engine_memory_max_bytes, engine_rss_max_bytes)",
        option, name));
  }
}

void add_figure(std::vector<metrics::ComparedFigure>& figures, const std::string& name) {
  for (const auto& f : figures) {
    if (f.name == name) return;
  }
  figures.push_back({name, metrics::better_for(name)});
}

// ---- inputs ----

struct SuiteFile {
  fs::path file;                     // suite.json
  std::vector<std::string> engines;  // as listed; empty for a one-engine suite
};

std::optional<fs::path> suite_json_of(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path inside = path / "suite.json";
    if (fs::is_regular_file(inside, ec)) return inside;
    return std::nullopt;
  }
  if (path.filename() == "suite.json" && fs::is_regular_file(path, ec)) return path;
  return std::nullopt;
}

Json read_suite(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) refuse("cannot read " + file.string());
  Json root = Json::parse(in, nullptr, false);
  if (root.is_discarded() || !root.is_object() || !root.contains("runs") ||
      !root["runs"].is_array()) {
    refuse(file.string() + ": not a suite output (no \"runs\" list)");
  }
  return root;
}

std::vector<std::string> suite_engines(const Json& root) {
  std::vector<std::string> out;
  if (const auto e = root.find("engines"); e != root.end() && e->is_array()) {
    for (const Json& engine : *e) {
      if (engine.is_object() && engine.contains("name") && engine["name"].is_string()) {
        out.push_back(engine["name"].get<std::string>());
      } else if (engine.is_string()) {
        out.push_back(engine.get<std::string>());
      }
    }
  }
  return out;
}

std::string text_of(const Json& run, const char* key) {
  const auto v = run.find(key);
  return v != run.end() && v->is_string() ? v->get<std::string>() : std::string();
}

int int_of(const Json& run, const char* key, int fallback) {
  const auto v = run.find(key);
  return v != run.end() && v->is_number_integer() ? v->get<int>() : fallback;
}

// The runs of a suite (one engine's, or all when `engine` is nullopt), in the file's order.
std::vector<LoadedRun> load_suite(const fs::path& file, const std::optional<std::string>& engine,
                                  const std::string& item, std::vector<std::string>& warnings) {
  const Json root = read_suite(file);
  const std::vector<std::string> engines = suite_engines(root);
  if (engine && std::find(engines.begin(), engines.end(), *engine) == engines.end()) {
    refuse(fmt::format("{}: the suite has no engine '{}' (engines: {})", item, *engine,
                       engines.empty() ? "one, unnamed: leave out :ENGINE" : join(engines, ", ")));
  }
  std::vector<LoadedRun> out;
  for (const Json& run : root["runs"]) {
    if (!run.is_object()) continue;
    const std::string name = text_of(run, "engine");
    if (engine && name != *engine) continue;
    std::string group = text_of(run, "scenario");
    if (const std::string variant = text_of(run, "variant"); !variant.empty()) {
      group += " / " + variant;
    }
    const std::string result = text_of(run, "result");
    const int repetition = int_of(run, "repetition", 0);
    const std::string which = fmt::format("{} {}{} repetition {}", item, group,
                                          name.empty() ? "" : " " + name, repetition);
    if (result.empty()) {
      warnings.push_back(fmt::format(
          "{}: failed (exit {}{}), left out", which, run.value("exit_code", -1),
          run.contains("error") && run["error"].is_string() ? ": " + run["error"].get<std::string>()
                                                            : ""));
      continue;
    }
    // As written at run time (relative to the cwd then), else the file inside the suite folder.
    fs::path path = result;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) path = file.parent_path() / fs::path(result).filename();
    if (!fs::is_regular_file(path, ec)) {
      refuse(fmt::format("{}: result file {} not found (nor {})", which, result, path.string()));
    }
    auto figures = report::read_result_figures(path);
    if (!figures) refuse(figures.error().message);
    const std::string engine_name = name.empty() ? figures->engine : name;
    out.push_back({std::move(*figures), engine_name, group});
  }
  if (out.empty()) refuse(item + ": no successful run to compare");
  return out;
}

bool looks_like_path(const std::string& item) {
  return item.find('/') != std::string::npos || item.ends_with(".json") || item.starts_with(".");
}

std::vector<LoadedRun> load_stored(const std::string& reference, const fs::path& db_path) {
  std::error_code ec;
  if (!fs::exists(db_path, ec)) {
    refuse(
        fmt::format("'{}': no such file, and no history database at {} to look it up in "
                    "(--db PATH)",
                    reference, db_path.string()));
  }
  auto db = store::ResultsDb::open(db_path);
  if (!db) refuse(db.error().message);
  const auto id = db->resolve(reference);
  if (!id) {
    refuse(fmt::format("'{}': no such file, and not a run in {} ({})", reference, db_path.string(),
                       id.error().message));
  }
  auto stored = db->get(*id);
  if (!stored) refuse(stored.error().message);
  const std::string source = fmt::format("history run {}", *id);
  auto figures =
      report::stored_result_figures(source, stored->row.summary_json, stored->context_json,
                                    stored->row.fingerprint, stored->request_lines);
  if (!figures) refuse(figures.error().message);
  if (figures->engine.empty()) figures->engine = stored->row.engine;
  if (figures->model.empty()) figures->model = stored->row.model;
  std::vector<LoadedRun> out;
  const std::string engine = figures->engine;
  out.push_back({std::move(*figures), engine, stored->row.scenario});
  return out;
}

std::vector<LoadedRun> load_item(const std::string& item, const fs::path& db,
                                 std::vector<std::string>& warnings) {
  if (item.empty()) refuse("an empty input (two commas, or a trailing one)");
  std::error_code ec;
  const fs::path path = item;
  if (const auto suite = suite_json_of(path)) {
    const Json root = read_suite(*suite);
    const auto engines = suite_engines(root);
    if (engines.size() > 1) {
      refuse(fmt::format("{}: a suite of {} engines; pick one with {}:ENGINE (engines: {})", item,
                         engines.size(), item, join(engines, ", ")));
    }
    return load_suite(*suite, std::nullopt, item, warnings);
  }
  if (fs::is_regular_file(path, ec)) {
    auto figures = report::read_result_figures(path);
    if (!figures) refuse(figures.error().message);
    const std::string engine = figures->engine;
    return {{std::move(*figures), engine, ""}};
  }
  if (fs::is_directory(path, ec)) refuse(item + ": a folder without suite.json");
  if (const std::size_t colon = item.rfind(':'); colon != std::string::npos && colon > 0) {
    const fs::path prefix = item.substr(0, colon);
    if (const auto suite = suite_json_of(prefix)) {
      return load_suite(*suite, item.substr(colon + 1), item, warnings);
    }
    if (fs::exists(prefix, ec)) refuse(item + ": " + prefix.string() + " is not a suite output");
  }
  if (looks_like_path(item)) refuse(item + ": no such file");
  return load_stored(item, db);
}

// ---- fingerprints ----

workload::Fingerprint as_fingerprint(const report::FingerprintParts& p) {
  workload::Fingerprint f;
  f.workload = p.workload;
  f.prompts = p.prompts;
  f.lengths = p.lengths;
  f.load = p.load;
  f.requests_hashed = p.requests_hashed;
  return f;
}

// Every run of both sides against the first run with a fingerprint.
void check_fingerprints(const std::vector<const LoadedRun*>& runs, bool force,
                        std::vector<std::string>& warnings) {
  const LoadedRun* reference = nullptr;
  std::vector<std::string> refusals;
  for (const LoadedRun* run : runs) {
    const auto& f = run->figures.fingerprint;
    if (!f) {
      warnings.push_back(run->figures.source +
                         ": no workload fingerprint (an older result): workload identity not "
                         "checked");
      continue;
    }
    if (!reference) {
      reference = run;
      continue;
    }
    const auto& r = *reference->figures.fingerprint;
    if (r.workload == f->workload) continue;
    std::vector<std::string> parts;
    if (!r.prompts.empty() && !f->prompts.empty()) {
      parts = workload::fingerprint_differences(as_fingerprint(r), as_fingerprint(*f));
    }
    if (parts.empty()) parts.emplace_back("workload");
    refusals.push_back(fmt::format("{} and {} differ in {}", reference->figures.source,
                                   run->figures.source, join(parts, ", ")));
  }
  if (refusals.empty()) return;
  if (!force) {
    refuse("the inputs ran different workloads (workload fingerprints differ): " +
           join(refusals, "; ") + ". Use --force to compare them anyway");
  }
  for (const std::string& r : refusals) {
    warnings.push_back("--force: different workloads compared: " + r);
  }
}

report::CompareSection compare_section(const CompareSpec& spec, std::string title,
                                       std::string base_label, const std::vector<LoadedRun>& base,
                                       std::string new_label, const std::vector<LoadedRun>& next,
                                       std::vector<std::string>& warnings) {
  std::vector<const LoadedRun*> all;
  all.reserve(base.size() + next.size());
  for (const auto& r : base) all.push_back(&r);
  for (const auto& r : next) all.push_back(&r);
  check_fingerprints(all, spec.force, warnings);

  report::CompareSection s;
  s.title = std::move(title);
  s.base.label = std::move(base_label);
  s.next.label = std::move(new_label);
  for (const auto& r : base) {
    s.base.sources.push_back(r.figures.source);
    s.base.runs.push_back(r.figures.figures);
  }
  for (const auto& r : next) {
    s.next.sources.push_back(r.figures.source);
    s.next.runs.push_back(r.figures.figures);
  }
  // The cost, energy and memory figures join the default ones where some run has them
  // (--gpu-hourly-cost; a GPU monitor; the engine's process).
  std::vector<metrics::ComparedFigure> figures = spec.figures;
  if (spec.default_figures) {
    for (const char* name : {"cost_per_million_output_tokens", "cost_per_thousand_requests",
                             "output_tokens_per_gpu_second", "joules_per_output_token",
                             "output_tokens_per_joule", "average_power_w", "gpu_memory_max_bytes",
                             "gpu_engine_memory_max_bytes", "engine_rss_max_bytes"}) {
      if (std::any_of(all.begin(), all.end(),
                      [name](const LoadedRun* r) { return r->figures.figures.contains(name); })) {
        add_figure(figures, name);
      }
    }
  }
  if (base.size() == 1 && next.size() == 1) {
    const report::ResultFigures& a = base[0].figures;
    const report::ResultFigures& b = next[0].figures;
    s.comparison = metrics::compare_single_runs(a.figures, a.windows, b.figures, b.windows, figures,
                                                spec.options);
    for (metrics::FigureComparison& c : s.comparison.figures) {
      if (const auto it = a.intervals.find(c.figure.name); it != a.intervals.end() && c.base) {
        c.base_interval = it->second;
      }
      if (const auto it = b.intervals.find(c.figure.name); it != b.intervals.end() && c.next) {
        c.new_interval = it->second;
      }
    }
  } else {
    std::vector<metrics::RunFigures> a;
    std::vector<metrics::RunFigures> b;
    a.reserve(base.size());
    b.reserve(next.size());
    for (const auto& r : base) a.push_back(r.figures.figures);
    for (const auto& r : next) b.push_back(r.figures.figures);
    s.comparison = metrics::compare_repetitions(a, b, figures, spec.options);
  }
  s.regressions = metrics::gate_failures(s.comparison, spec.gate);
  s.slos = metrics::check_figure_gates(s.comparison, spec.slos);
  return s;
}

std::string side_label(const std::string& side, const std::vector<LoadedRun>& runs) {
  if (side.find(',') == std::string::npos) return side;
  return runs.empty() ? side : runs[0].figures.source + "…";
}

}  // namespace

CompareSpec resolve_compare(const CompareRequest& request) {
  CompareSpec spec;
  spec.inputs = request.inputs;
  if (spec.inputs.empty() || spec.inputs.size() > 2) {
    refuse("compare takes BASE NEW, or one suite output");
  }
  if (request.figures.empty()) {
    spec.figures = metrics::default_figures();
    spec.default_figures = true;
  } else {
    for (const std::string& name : split(request.figures, ',')) {
      check_figure("--figures", name);
      add_figure(spec.figures, name);
    }
  }
  {
    std::size_t used = 0;
    double alpha = 0;
    try {
      alpha = std::stod(request.alpha, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != request.alpha.size() || !(alpha > 0 && alpha < 0.5)) {
      refuse("--alpha '" + request.alpha + "': expected a number above 0 and below 0.5 (0.05)");
    }
    spec.options.alpha = alpha;
  }
  spec.options.noise = parse_percent("--noise", request.noise, 0, 100);
  for (const std::string& option : request.max_regression) {
    for (const std::string& item : split(option, ',')) {
      const std::size_t eq = item.find('=');
      if (eq == std::string::npos) {
        spec.gate.all = parse_percent("--max-regression", item, 0, 1000);
        continue;
      }
      const std::string name = item.substr(0, eq);
      check_figure("--max-regression", name);
      spec.gate.per_figure[name] =
          parse_percent("--max-regression " + name, item.substr(eq + 1), 0, 1000);
      add_figure(spec.figures, name);
    }
  }
  for (const std::string& option : request.slo) {
    auto gates = metrics::parse_figure_gates(option);
    if (!gates) refuse(gates.error().message);
    for (auto& g : *gates) {
      check_figure("--slo", g.figure);
      add_figure(spec.figures, g.figure);
      spec.slos.push_back(std::move(g));
    }
  }
  spec.force = request.force;
  spec.db = request.db.empty() ? store::default_db_path() : request.db;
  return spec;
}

std::vector<LoadedRun> load_side(const std::string& side, const fs::path& db,
                                 std::vector<std::string>& warnings) {
  std::vector<LoadedRun> out;
  for (const std::string& item : split(side, ',')) {
    auto runs = load_item(item, db, warnings);
    for (auto& r : runs) out.push_back(std::move(r));
  }
  return out;
}

report::CompareReport run_compare(const CompareSpec& spec) {
  report::CompareReport report;
  report.options = spec.options;
  report.gate = spec.gate;
  report.slo_gates = spec.slos;
  std::vector<std::string>& warnings = report.warnings;

  if (spec.inputs.size() == 1) {
    // A suite output: every engine against the first, per scenario and variant.
    const std::string& item = spec.inputs[0];
    const auto suite = suite_json_of(item);
    if (!suite) {
      refuse(
          fmt::format("'{}': compare with one input takes a suite output (its folder or "
                      "suite.json); to compare runs give BASE and NEW",
                      item));
    }
    const std::vector<std::string> engines = suite_engines(read_suite(*suite));
    if (engines.size() < 2) {
      refuse(
          fmt::format("{}: a suite of {} engine; compare SUITE needs 2 or more (compare two "
                      "inputs instead)",
                      item, engines.size()));
    }
    std::map<std::string, std::vector<LoadedRun>> by_engine;
    std::vector<std::string> groups;
    for (const std::string& engine : engines) {
      try {
        by_engine[engine] =
            load_suite(*suite, engine, fmt::format("{}:{}", item, engine), warnings);
      } catch (const Failure& f) {
        warnings.push_back(f.message);
        continue;
      }
      for (const LoadedRun& r : by_engine[engine]) {
        if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) {
          groups.push_back(r.group);
        }
      }
    }
    const auto of = [](const std::vector<LoadedRun>& runs, const std::string& group) {
      std::vector<LoadedRun> out;
      for (const LoadedRun& r : runs) {
        if (r.group == group) out.push_back(r);
      }
      return out;
    };
    const std::string& first = engines[0];
    for (const std::string& group : groups) {
      const std::vector<LoadedRun> base = of(by_engine[first], group);
      if (base.empty()) {
        warnings.push_back(
            fmt::format("{}: no successful run of {} (the base): not compared", group, first));
        continue;
      }
      for (std::size_t e = 1; e < engines.size(); ++e) {
        const std::vector<LoadedRun> next = of(by_engine[engines[e]], group);
        if (next.empty()) {
          warnings.push_back(
              fmt::format("{}: no successful run of {}: not compared", group, engines[e]));
          continue;
        }
        const std::string title =
            fmt::format("{}{}{} vs {}", group, group.empty() ? "" : ": ", engines[e], first);
        report.sections.push_back(
            compare_section(spec, title, first, base, engines[e], next, warnings));
      }
    }
    if (report.sections.empty()) refuse(item + ": nothing to compare (see the warnings)");
    return report;
  }

  const std::vector<LoadedRun> base = load_side(spec.inputs[0], spec.db, warnings);
  const std::vector<LoadedRun> next = load_side(spec.inputs[1], spec.db, warnings);
  std::vector<std::string> base_groups;
  std::vector<std::string> new_groups;
  for (const auto& r : base) {
    if (std::find(base_groups.begin(), base_groups.end(), r.group) == base_groups.end()) {
      base_groups.push_back(r.group);
    }
  }
  for (const auto& r : next) {
    if (std::find(new_groups.begin(), new_groups.end(), r.group) == new_groups.end()) {
      new_groups.push_back(r.group);
    }
  }
  const bool per_group =
      base_groups.size() > 1 && std::set<std::string>(base_groups.begin(), base_groups.end()) ==
                                    std::set<std::string>(new_groups.begin(), new_groups.end());
  if (!per_group) {
    report.sections.push_back(compare_section(spec, "", side_label(spec.inputs[0], base), base,
                                              side_label(spec.inputs[1], next), next, warnings));
    return report;
  }
  for (const std::string& group : base_groups) {
    std::vector<LoadedRun> a;
    std::vector<LoadedRun> b;
    for (const auto& r : base) {
      if (r.group == group) a.push_back(r);
    }
    for (const auto& r : next) {
      if (r.group == group) b.push_back(r);
    }
    report.sections.push_back(
        compare_section(spec, group, spec.inputs[0], a, spec.inputs[1], b, warnings));
  }
  return report;
}

}  // namespace llmbench::app
