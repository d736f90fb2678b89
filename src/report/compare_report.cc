#include "report/compare_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace llmbench::report {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kMissing = "—";

enum class Unit { kSeconds, kTokensPerSecond, kRequestsPerSecond, kFraction, kPlain };

Unit unit_of(const std::string& figure) {
  if (figure.ends_with("success_rate") || figure.ends_with("error_rate")) return Unit::kFraction;
  if (figure.find("token_throughput") != std::string::npos) return Unit::kTokensPerSecond;
  if (figure.find("request_throughput") != std::string::npos) return Unit::kRequestsPerSecond;
  if (figure.find(".p") != std::string::npos || figure.find(".mean") != std::string::npos) {
    return Unit::kSeconds;
  }
  return Unit::kPlain;
}

// The number alone, in the figure's unit, and the unit's suffix.
std::string number(const std::string& figure, double v) {
  switch (unit_of(figure)) {
    case Unit::kSeconds:
      return fmt::format("{:.2f}", v * 1e3);
    case Unit::kFraction:
      return fmt::format("{:.2f}", v * 100);
    case Unit::kTokensPerSecond:
    case Unit::kRequestsPerSecond:
      return fmt::format("{:.2f}", v);
    case Unit::kPlain:
      break;
  }
  return fmt::format("{:.4g}", v);
}

std::string suffix(const std::string& figure) {
  switch (unit_of(figure)) {
    case Unit::kSeconds:
      return " ms";
    case Unit::kFraction:
      return " %";
    case Unit::kTokensPerSecond:
      return " tok/s";
    case Unit::kRequestsPerSecond:
      return " req/s";
    case Unit::kPlain:
      break;
  }
  return "";
}

std::string percent(const std::optional<double>& fraction) {
  return fraction ? fmt::format("{:+.1f} %", *fraction * 100) : kMissing;
}

std::string p_text(const std::optional<double>& p) {
  if (!p) return kMissing;
  return *p < 0.0001 ? fmt::format("{:.1e}", *p) : fmt::format("{:.4f}", *p);
}

std::string interval_text(const std::string& figure,
                          const std::optional<metrics::ValueInterval>& ci) {
  if (!ci) return "";
  std::string out = fmt::format("[{}, {}] {:.1f} %", number(figure, ci->low),
                                number(figure, ci->high), ci->level * 100);
  if (ci->method == "min-max") out += " min-max";
  return out;
}

std::string value_cell(const std::string& figure, const std::optional<double>& value,
                       const std::optional<metrics::ValueInterval>& ci) {
  if (!value) return kMissing;
  std::string out = format_figure_value(figure, value);
  const std::string interval = interval_text(figure, ci);
  if (!interval.empty()) out += " " + interval;
  return out;
}

std::string change_ci(const metrics::FigureComparison& c) {
  if (!c.ci_low || !c.ci_high) return "";
  return fmt::format("[{:+.1f}, {:+.1f}] %", *c.ci_low * 100, *c.ci_high * 100);
}

std::string verdict_cell(const metrics::FigureComparison& c) {
  if (!c.p_adjusted) return c.note.empty() ? "no test" : "no test (" + c.note + ")";
  return std::string(metrics::to_string(c.verdict));
}

std::string method_text(const metrics::Comparison& comparison) {
  for (const metrics::FigureComparison& c : comparison.figures) {
    if (c.method == "mann_whitney") return "Mann-Whitney U over repetitions, Holm across figures";
    if (c.method == "block_bootstrap") {
      return "block bootstrap over 1 s windows (single runs), Holm across figures";
    }
  }
  return "no test";
}

std::string sources_text(const CompareSide& side) {
  std::string out = side.label + " (" + std::to_string(side.sources.size()) +
                    (side.sources.size() == 1 ? " run" : " runs") + ")";
  if (side.sources.size() <= 3) {
    std::string list;
    for (const std::string& s : side.sources) list += (list.empty() ? "" : ", ") + s;
    if (list != side.label) out += ": " + list;
  }
  return out;
}

std::vector<std::string> header() {
  return {"figure", "base [CI]", "new [CI]", "change", "change CI", "p", "p (Holm)", "verdict"};
}

std::vector<std::string> row(const metrics::FigureComparison& c) {
  const std::string& name = c.figure.name;
  return {name,
          value_cell(name, c.base, c.base_interval),
          value_cell(name, c.next, c.new_interval),
          percent(c.relative_change),
          change_ci(c),
          p_text(c.p),
          p_text(c.p_adjusted),
          verdict_cell(c)};
}

std::string geomean_text(const std::optional<double>& ratio) {
  if (!ratio) return kMissing;
  return fmt::format("{:.4f} ({:+.1f} %)", *ratio, (*ratio - 1) * 100);
}

std::string slo_text(const metrics::GateOutcome& o) {
  return fmt::format("{} — new {}: {}", o.gate.text, format_figure_value(o.gate.figure, o.value),
                     o.passed ? "pass" : (o.value ? "FAIL" : "FAIL (not measured)"));
}

std::optional<double> threshold_for(const CompareReport& report, const std::string& figure) {
  const auto own = report.gate.per_figure.find(figure);
  return own != report.gate.per_figure.end() ? std::optional<double>(own->second) : report.gate.all;
}

std::string regression_text(const CompareReport& report, const CompareSection& section,
                            const std::string& figure) {
  for (const metrics::FigureComparison& c : section.comparison.figures) {
    if (c.figure.name != figure) continue;
    const auto limit = threshold_for(report, figure);
    return fmt::format("{} regressed {} (limit {:g} %)", figure, percent(c.relative_change),
                       limit ? *limit * 100 : 0.0);
  }
  return figure + " regressed";
}

bool gated(const CompareReport& report) {
  return report.gate.all || !report.gate.per_figure.empty() || !report.slo_gates.empty();
}

void write_text(std::ostream& out, const CompareReport& report, bool markdown) {
  for (const std::string& w : report.warnings) {
    out << (markdown ? "> **warning**: " : "warning: ") << w << "\n";
  }
  if (!report.warnings.empty()) out << "\n";
  for (const CompareSection& s : report.sections) {
    if (markdown) {
      out << "## " << (s.title.empty() ? "Comparison" : s.title) << "\n\n";
      out << "- base: " << sources_text(s.base) << "\n- new: " << sources_text(s.next)
          << "\n- test: " << method_text(s.comparison) << "\n\n";
    } else {
      if (!s.title.empty()) out << "== " << s.title << " ==\n";
      out << "base: " << sources_text(s.base) << "\nnew:  " << sources_text(s.next)
          << "\ntest: " << method_text(s.comparison) << "\n\n";
    }
    std::vector<std::vector<std::string>> rows = {header()};
    for (const metrics::FigureComparison& c : s.comparison.figures) rows.push_back(row(c));
    if (markdown) {
      for (std::size_t r = 0; r < rows.size(); ++r) {
        out << "|";
        for (const std::string& cell : rows[r]) out << " " << cell << " |";
        out << "\n";
        if (r == 0) {
          out << "|";
          for (std::size_t i = 0; i < rows[0].size(); ++i) out << (i == 0 ? "---|" : "---:|");
          out << "\n";
        }
      }
    } else {
      std::vector<std::size_t> width(rows[0].size(), 0);
      // Width in code points, so "—" and "±" take one column.
      const auto length = [](const std::string& text) {
        return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char ch) {
          return (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
        }));
      };
      for (const auto& r : rows) {
        for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], length(r[i]));
      }
      for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
          line += r[i];
          if (i + 1 < r.size()) line += std::string(width[i] - length(r[i]) + 2, ' ');
        }
        out << line << "\n";
      }
    }
    out << "\n";
    const std::string bullet = markdown ? "- " : "";
    out << bullet << "geomean ratio new/base, lower is better: "
        << geomean_text(s.comparison.geomean_ratio_lower_better) << "\n";
    out << bullet << "geomean ratio new/base, higher is better: "
        << geomean_text(s.comparison.geomean_ratio_higher_better) << "\n";
    for (const std::string& w : s.comparison.warnings) {
      out << (markdown ? "- **warning**: " : "warning: ") << w << "\n";
    }
    for (const metrics::GateOutcome& o : s.slos) out << bullet << "slo " << slo_text(o) << "\n";
    for (const std::string& f : s.regressions) {
      out << bullet << "gate: " << regression_text(report, s, f) << "\n";
    }
    out << "\n";
  }
  if (gated(report)) {
    out << (markdown ? "**gate: " : "gate: ") << (report.gate_failed() ? "FAILED" : "passed")
        << (markdown ? "**" : "") << "\n";
  }
}

Json optional_json(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json interval_json(const std::optional<metrics::ValueInterval>& ci) {
  if (!ci) return nullptr;
  return {{"low", ci->low}, {"high", ci->high}, {"level", ci->level}, {"method", ci->method}};
}

void write_json(std::ostream& out, const CompareReport& report) {
  Json root;
  root["schema_version"] = kCompareSchemaVersion;
  root["kind"] = "llmbench.compare";
  Json options;
  options["alpha"] = report.options.alpha;
  options["noise"] = report.options.noise;
  options["max_regression"] = optional_json(report.gate.all);
  Json per_figure = Json::object();
  for (const auto& [name, v] : report.gate.per_figure) per_figure[name] = v;
  options["max_regression_per_figure"] = std::move(per_figure);
  Json slo = Json::array();
  for (const metrics::FigureGate& g : report.slo_gates) slo.push_back(g.text);
  options["slo"] = std::move(slo);
  root["options"] = std::move(options);
  root["warnings"] = report.warnings;
  Json sections = Json::array();
  for (const CompareSection& s : report.sections) {
    Json j;
    j["title"] = s.title;
    j["base"] = {{"label", s.base.label}, {"sources", s.base.sources}};
    j["new"] = {{"label", s.next.label}, {"sources", s.next.sources}};
    Json figures = Json::array();
    for (const metrics::FigureComparison& c : s.comparison.figures) {
      Json f;
      f["figure"] = c.figure.name;
      f["better"] = c.figure.better == metrics::Better::kLower ? "lower" : "higher";
      f["base"] = optional_json(c.base);
      f["base_ci"] = interval_json(c.base_interval);
      f["new"] = optional_json(c.next);
      f["new_ci"] = interval_json(c.new_interval);
      f["base_runs"] = c.base_runs;
      f["new_runs"] = c.new_runs;
      f["relative_change"] = optional_json(c.relative_change);
      f["change_ci"] = c.ci_low && c.ci_high ? Json::array({*c.ci_low, *c.ci_high}) : Json(nullptr);
      f["method"] = c.method.empty() ? Json(nullptr) : Json(c.method);
      f["p"] = optional_json(c.p);
      f["p_adjusted"] = optional_json(c.p_adjusted);
      f["exact"] = c.method == "mann_whitney" ? Json(c.exact) : Json(nullptr);
      f["verdict"] =
          c.p_adjusted ? Json(std::string(metrics::to_string(c.verdict))) : Json(nullptr);
      f["note"] = c.note.empty() ? Json(nullptr) : Json(c.note);
      figures.push_back(std::move(f));
    }
    j["figures"] = std::move(figures);
    j["geomean_ratio"] = {
        {"lower_is_better", optional_json(s.comparison.geomean_ratio_lower_better)},
        {"higher_is_better", optional_json(s.comparison.geomean_ratio_higher_better)}};
    j["smallest_possible_p"] = s.comparison.smallest_possible_p;
    j["warnings"] = s.comparison.warnings;
    j["regressions"] = s.regressions;
    Json slos = Json::array();
    for (const metrics::GateOutcome& o : s.slos) {
      slos.push_back({{"gate", o.gate.text},
                      {"figure", o.gate.figure},
                      {"threshold", o.gate.threshold},
                      {"value", optional_json(o.value)},
                      {"passed", o.passed}});
    }
    j["slo"] = std::move(slos);
    sections.push_back(std::move(j));
  }
  root["sections"] = std::move(sections);
  root["gate"] = {{"checked", gated(report)},
                  {"passed", !report.gate_failed()},
                  {"failures", report.failure_lines()}};
  out << root.dump(2) << "\n";
}

}  // namespace

std::string format_figure_value(const std::string& figure, const std::optional<double>& value) {
  if (!value) return kMissing;
  return number(figure, *value) + suffix(figure);
}

bool CompareReport::gate_failed() const {
  for (const CompareSection& s : sections) {
    if (!s.regressions.empty()) return true;
    for (const metrics::GateOutcome& o : s.slos) {
      if (!o.passed) return true;
    }
  }
  return false;
}

std::vector<std::string> CompareReport::failure_lines() const {
  std::vector<std::string> out;
  for (const CompareSection& s : sections) {
    const std::string prefix = s.title.empty() ? "" : s.title + ": ";
    for (const std::string& f : s.regressions) out.push_back(prefix + regression_text(*this, s, f));
    for (const metrics::GateOutcome& o : s.slos) {
      if (!o.passed) out.push_back(prefix + "slo " + slo_text(o));
    }
  }
  return out;
}

void write_compare(std::ostream& out, const CompareReport& report, CompareFormat format) {
  switch (format) {
    case CompareFormat::kTable:
      write_text(out, report, false);
      return;
    case CompareFormat::kMarkdown:
      write_text(out, report, true);
      return;
    case CompareFormat::kJson:
      write_json(out, report);
      return;
  }
}

}  // namespace llmbench::report
