#include "report/model_report.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "report/report_assets.h"

namespace llmbench::report {

namespace {

using Json = nlohmann::ordered_json;
using metrics::ReportModel;
using metrics::RunView;

Json optional_json(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return nullptr;
  return *value;
}

Json optional_json(const std::optional<std::size_t>& value) {
  if (!value) return nullptr;
  return *value;
}

Json histogram_json(const metrics::BinCounts& h) {
  return {{"edges", h.edges}, {"counts", h.counts}};
}

Json pairs_json(const std::vector<std::pair<double, double>>& pairs) {
  Json out = Json::array();
  for (const auto& [x, y] : pairs) out.push_back(Json::array({x, y}));
  return out;
}

Json parsed_or_text(const std::string& json_text) {
  if (json_text.empty()) return nullptr;
  Json parsed = Json::parse(json_text, nullptr, false);
  return parsed.is_discarded() ? Json(json_text) : parsed;
}

Json run_json(const RunView& run) {
  Json j;
  j["label"] = run.label;
  j["source"] = run.source;
  Json cards = Json::array();
  for (const metrics::Card& card : run.cards) {
    Json c;
    c["label"] = card.label;
    if (card.text) {
      c["text"] = *card.text;
    } else {
      c["value"] = optional_json(card.value);
      c["unit"] = card.unit;
    }
    if (!card.detail.empty()) c["detail"] = card.detail;
    cards.push_back(std::move(c));
  }
  j["cards"] = std::move(cards);
  Json slo = Json::array();
  for (const metrics::SloVerdict& v : run.slo) {
    slo.push_back({{"gate", v.gate},
                   {"passed", v.passed ? Json(*v.passed) : Json(nullptr)},
                   {"value", optional_json(v.value)},
                   {"unit", v.unit}});
  }
  j["slo"] = std::move(slo);
  j["alerts"] = run.alerts;
  Json distributions = Json::array();
  for (const metrics::LatencyView& d : run.distributions) {
    Json percentiles = Json::array();
    for (const metrics::PercentileRow& row : d.percentiles) {
      percentiles.push_back({{"p", row.p},
                             {"value", optional_json(row.value)},
                             {"low", optional_json(row.low)},
                             {"high", optional_json(row.high)}});
    }
    distributions.push_back({{"metric", d.metric},
                             {"label", d.label},
                             {"unit", d.unit},
                             {"count", d.count},
                             {"cdf", pairs_json(d.cdf)},
                             {"histogram", histogram_json(d.histogram)},
                             {"percentiles", std::move(percentiles)}});
  }
  j["distributions"] = std::move(distributions);
  if (run.time_series) {
    const metrics::TimeSeriesView& ts = *run.time_series;
    Json series = Json::array();
    for (const metrics::Series& s : ts.series) {
      Json values = Json::array();
      for (const auto& value : s.values) values.push_back(optional_json(value));
      series.push_back({{"name", s.name},
                        {"label", s.label},
                        {"unit", s.unit},
                        {"group", s.group},
                        {"values", std::move(values)}});
    }
    j["time_series"] = {{"window_s", ts.window_s},
                        {"merged", ts.merged},
                        {"t", ts.t},
                        {"series", std::move(series)}};
  } else {
    j["time_series"] = nullptr;
  }
  Json levels = Json::array();
  for (const metrics::LevelRow& level : run.levels) {
    Json l;
    l["index"] = level.index;
    l["label"] = level.label;
    l["kind"] = level.kind;
    l["offered_rate"] = optional_json(level.offered_rate);
    l["concurrency"] = level.concurrency ? Json(*level.concurrency) : Json(nullptr);
    for (const char* figure :
         {"request_throughput", "output_token_throughput", "ttft_p50", "ttft_p99", "itl_p50",
          "itl_p99", "e2e_p50", "e2e_p99", "success_rate"}) {
      const auto it = level.figures.find(figure);
      l[figure] = it == level.figures.end() ? Json(nullptr) : Json(it->second);
    }
    l["stop_reason"] = level.stop_reason;
    levels.push_back(std::move(l));
  }
  j["levels"] = std::move(levels);
  if (run.sweep) {
    j["sweep"] = {{"knee_level", optional_json(run.sweep->knee_level)},
                  {"max_sustainable_level", optional_json(run.sweep->max_sustainable_level)},
                  {"max_sustainable_rate", optional_json(run.sweep->max_sustainable_rate)},
                  {"note",
                   "knee: the level after which latency rose faster than throughput; max "
                   "sustainable: the highest offered rate completed at ≥ 95 % with every SLO "
                   "met"}};
  } else {
    j["sweep"] = nullptr;
  }
  Json native = Json::array();
  for (const metrics::NativeView& n : run.native) {
    native.push_back({{"metric", n.metric},
                      {"label", n.label},
                      {"unit", n.unit},
                      {"count", n.count},
                      {"client_p50", optional_json(n.client_p50)},
                      {"native_p50", optional_json(n.native_p50)},
                      {"client_p99", optional_json(n.client_p99)},
                      {"native_p99", optional_json(n.native_p99)},
                      {"delta_p50", optional_json(n.delta_p50)},
                      {"delta_histogram", histogram_json(n.delta_histogram)}});
  }
  j["native"] = std::move(native);
  if (run.workload) {
    Json samples = Json::array();
    for (const metrics::TextSample& s : run.workload->samples) {
      samples.push_back({{"prompt", s.prompt}, {"output", s.output}});
    }
    j["workload"] = {{"token_counting", run.workload->token_counting},
                     {"prompt_lengths", histogram_json(run.workload->prompt_lengths)},
                     {"output_lengths", histogram_json(run.workload->output_lengths)},
                     {"target_vs_engine", pairs_json(run.workload->target_vs_engine)},
                     {"samples", std::move(samples)}};
  } else {
    j["workload"] = nullptr;
  }
  j["details"] = {{"command_line", run.details.command_line},
                  {"spec", parsed_or_text(run.details.spec_json)},
                  {"context", parsed_or_text(run.details.context_json)}};
  return j;
}

Json comparison_json(const metrics::ComparisonView& comparison) {
  Json sections = Json::array();
  for (const metrics::ComparisonSectionView& s : comparison.sections) {
    Json rows = Json::array();
    for (const metrics::ComparisonRow& r : s.rows) {
      rows.push_back({{"figure", r.figure},
                      {"label", r.label},
                      {"unit", r.unit},
                      {"base", optional_json(r.base)},
                      {"base_low", optional_json(r.base_low)},
                      {"base_high", optional_json(r.base_high)},
                      {"new", optional_json(r.next)},
                      {"new_low", optional_json(r.next_low)},
                      {"new_high", optional_json(r.next_high)},
                      {"change_pct", optional_json(r.change_pct)},
                      {"p", optional_json(r.p)},
                      {"p_adjusted", optional_json(r.p_adjusted)},
                      {"verdict", r.verdict},
                      {"gate_failed", r.gate_failed}});
    }
    Json geomeans = Json::array();
    for (const auto& [label, change] : s.geomeans) {
      geomeans.push_back({{"label", label}, {"change_pct", change}});
    }
    Json overlay = Json::array();
    for (const metrics::CdfOverlay& o : s.overlay) {
      Json curves = Json::array();
      for (const metrics::CdfCurve& c : o.curves) {
        curves.push_back({{"label", c.label}, {"cdf", pairs_json(c.cdf)}});
      }
      overlay.push_back({{"metric", o.metric},
                         {"label", o.label},
                         {"unit", o.unit},
                         {"curves", std::move(curves)}});
    }
    Json spread = Json::array();
    for (const metrics::RepetitionSpread& r : s.spread) {
      spread.push_back({{"figure", r.figure},
                        {"label", r.label},
                        {"unit", r.unit},
                        {"base", r.base},
                        {"new", r.next}});
    }
    sections.push_back({{"title", s.title},
                        {"base", s.base},
                        {"new", s.next},
                        {"base_sources", s.base_sources},
                        {"new_sources", s.next_sources},
                        {"method", s.method},
                        {"rows", std::move(rows)},
                        {"geomeans", std::move(geomeans)},
                        {"overlay", std::move(overlay)},
                        {"spread", std::move(spread)}});
  }
  return {{"sections", std::move(sections)},
          {"gate", {{"failed", comparison.gate_failed}, {"lines", comparison.gate_lines}}}};
}

Json trend_json(const metrics::TrendView& trend) {
  Json points = Json::array();
  for (const metrics::TrendPoint& p : trend.points) {
    points.push_back({{"id", p.id},
                      {"started_at", p.started_at},
                      {"value", optional_json(p.value)},
                      {"engine", p.engine},
                      {"model", p.model},
                      {"tags", p.tags}});
  }
  return {{"metric", trend.metric},
          {"label", trend.label},
          {"unit", trend.unit},
          {"points", std::move(points)}};
}

// Inside <script>, the data must not end the element: every '<' (only ever inside a JSON
// string) becomes its \u escape, which JSON.parse reads back as '<'.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size() + json.size() / 50);
  for (const char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// ---- Markdown and CSV ----

std::string number_text(double value, const std::string& unit) {
  const double magnitude = std::fabs(value);
  const int decimals = unit == "%" ? 1 : magnitude >= 100 ? 1 : magnitude >= 1 ? 2 : 3;
  return fmt::format("{:.{}f}", value, decimals);
}

std::string value_text(const std::optional<double>& value, const std::string& unit) {
  if (!value || !std::isfinite(*value)) return "—";
  std::string number = number_text(*value, unit);
  if (unit.empty()) return number;
  return unit == "%" ? number + " %" : number + " " + unit;
}

// A table cell never breaks the table: pipes escaped, lines joined.
std::string cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void markdown_run(std::string& out, const RunView& run, bool heading) {
  if (heading) out += fmt::format("\n### {}\n\n", cell(run.label));
  for (const std::string& alert : run.alerts) out += fmt::format("\n> **{}**\n", cell(alert));
  out += "\n| | |\n|---|---|\n";
  for (const metrics::Card& card : run.cards) {
    const std::string value = card.text ? *card.text : value_text(card.value, card.unit);
    out += fmt::format("| {} | {}{} |\n", cell(card.label), cell(value),
                       card.detail.empty() ? "" : " (" + cell(card.detail) + ")");
  }
  if (!run.distributions.empty()) {
    out += "\n| latency (ms) | count | p50 | p90 | p99 | p99.9 |\n|---|--:|--:|--:|--:|--:|\n";
    for (const metrics::LatencyView& d : run.distributions) {
      out += fmt::format("| {} | {} |", cell(d.label), d.count);
      for (const double p : {50.0, 90.0, 99.0, 99.9}) {
        std::optional<double> value;
        for (const metrics::PercentileRow& row : d.percentiles) {
          if (row.p == p) value = row.value;
        }
        out += " " + value_text(value, "") + " |";
      }
      out += "\n";
    }
  }
  if (!run.slo.empty()) {
    out += "\n| SLO | verdict | actual |\n|---|---|--:|\n";
    for (const metrics::SloVerdict& slo : run.slo) {
      const std::string verdict = !slo.passed ? "not judged" : *slo.passed ? "met" : "**missed**";
      out += fmt::format("| `{}` | {} | {} |\n", cell(slo.gate), verdict,
                         value_text(slo.value, slo.unit));
    }
  }
  if (!run.levels.empty()) {
    out +=
        "\n| level | req/s | tok/s | TTFT p50 | TTFT p99 | ITL p99 | success |\n"
        "|---|--:|--:|--:|--:|--:|--:|\n";
    for (const metrics::LevelRow& level : run.levels) {
      const auto figure = [&level](const char* name) -> std::optional<double> {
        const auto it = level.figures.find(name);
        if (it == level.figures.end()) return std::nullopt;
        return it->second;
      };
      std::string marks;
      if (run.sweep && run.sweep->knee_level == level.index) marks += " (knee)";
      if (run.sweep && run.sweep->max_sustainable_level == level.index) {
        marks += " (max sustainable)";
      }
      out +=
          fmt::format("| {}{} | {} | {} | {} | {} | {} | {} |\n", cell(level.label), marks,
                      value_text(figure("request_throughput"), ""),
                      value_text(figure("output_token_throughput"), ""),
                      value_text(figure("ttft_p50"), "ms"), value_text(figure("ttft_p99"), "ms"),
                      value_text(figure("itl_p99"), "ms"), value_text(figure("success_rate"), "%"));
    }
  }
}

void markdown_comparison(std::string& out, const metrics::ComparisonView& comparison) {
  for (const metrics::ComparisonSectionView& s : comparison.sections) {
    out += fmt::format("\n### {}\n\n",
                       s.title.empty() ? cell(s.base + " → " + s.next) : cell(s.title));
    if (!s.method.empty()) out += fmt::format("{}\n\n", cell(s.method));
    out += fmt::format("| figure | {} | {} | change | p (Holm) | verdict |\n", cell(s.base),
                       cell(s.next));
    out += "|---|--:|--:|--:|--:|---|\n";
    for (const metrics::ComparisonRow& r : s.rows) {
      const std::string change =
          r.change_pct ? fmt::format("{:+.1f} %", *r.change_pct) : std::string("—");
      const std::string p = r.p_adjusted ? fmt::format("{:.3g}", *r.p_adjusted) : "—";
      std::string verdict = r.verdict;
      if (r.verdict == "regressed") verdict = "**regressed**";
      if (r.gate_failed) verdict += " ❌ gate";
      out +=
          fmt::format("| {} | {} | {} | {} | {} | {} |\n", cell(r.label),
                      value_text(r.base, r.unit), value_text(r.next, r.unit), change, p, verdict);
    }
    for (const auto& [label, change] : s.geomeans) {
      out += fmt::format("\nGeometric mean ({}): {:+.1f} %", cell(label), change);
    }
    if (!s.geomeans.empty()) out += "\n";
  }
  if (comparison.gate_failed) {
    out += "\n**Gate failed:**\n\n";
    for (const std::string& line : comparison.gate_lines) out += fmt::format("- {}\n", cell(line));
  }
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return "";
  return fmt::format("{}", *value);
}

void csv_row(std::string& out, std::string_view section, const std::string& run,
             const std::string& figure, const std::string& stat, const std::string& value,
             const std::string& unit) {
  out += fmt::format("{},{},{},{},{},{}\n", section, csv_field(run), csv_field(figure),
                     csv_field(stat), csv_field(value), csv_field(unit));
}

}  // namespace

std::string report_model_json(const ReportModel& model) {
  Json root;
  root["schema"] = metrics::kReportModelSchema;
  root["kind"] = std::string(metrics::to_string(model.kind));
  root["title"] = model.title;
  root["generated_by"] = model.generated_by;
  root["generated_at"] = model.generated_at;
  root["warnings"] = model.warnings;
  root["notes"] = model.notes;
  root["comparison"] = model.comparison ? comparison_json(*model.comparison) : Json(nullptr);
  root["trend"] = model.trend ? trend_json(*model.trend) : Json(nullptr);
  Json runs = Json::array();
  for (const RunView& run : model.runs) runs.push_back(run_json(run));
  root["runs"] = std::move(runs);
  // Text from the network may hold invalid UTF-8 only where it was already replaced; replace
  // anything left rather than fail the whole report.
  return root.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string render_html(const ReportModel& model) {
  std::string page;
  const std::string data = script_safe(report_model_json(model));
  page.reserve(data.size() + assets::chart_library().size() + assets::report_js().size() +
               assets::report_css().size() + 1024);
  page += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<meta name=\"generator\" content=\"" + html_escape(model.generated_by) + "\">\n";
  page += "<title>" + html_escape(model.title) + "</title>\n<style>\n";
  page += assets::report_css();
  page += "\n</style>\n</head>\n<body>\n<div id=\"app\"></div>\n";
  page += "<script type=\"application/json\" id=\"llmbench-data\">";
  page += data;
  page += "</script>\n<script>\n";
  page += assets::chart_library();
  page += "\n</script>\n<script>\n";
  page += assets::report_js();
  page += "\n</script>\n</body>\n</html>\n";
  return page;
}

std::string render_markdown(const ReportModel& model) {
  std::string out = fmt::format("## {}\n\n", cell(model.title));
  out += fmt::format("*{}*\n", cell(model.generated_by));
  for (const std::string& warning : model.warnings) out += fmt::format("\n> ⚠ {}\n", cell(warning));
  if (model.comparison) markdown_comparison(out, *model.comparison);
  if (model.trend) {
    const metrics::TrendView& t = *model.trend;
    out += fmt::format(
        "\n### {} over runs\n\n| run | started | engine | {} | tags |\n"
        "|--:|---|---|--:|---|\n",
        cell(t.label), cell(t.label));
    for (const metrics::TrendPoint& p : t.points) {
      std::string tags;
      for (const std::string& tag : p.tags) tags += (tags.empty() ? "" : ", ") + tag;
      out += fmt::format("| {} | {} | {} | {} | {} |\n", p.id, cell(p.started_at), cell(p.engine),
                         value_text(p.value, t.unit), cell(tags));
    }
  }
  const bool headings = model.runs.size() > 1 || model.comparison.has_value();
  if (headings && !model.runs.empty()) out += "\n## Runs\n";
  for (const RunView& run : model.runs) markdown_run(out, run, headings);
  return out;
}

std::string render_csv(const ReportModel& model) {
  std::string out = "section,run,figure,stat,value,unit\n";
  for (const RunView& run : model.runs) {
    for (const metrics::Card& card : run.cards) {
      csv_row(out, "card", run.label, card.label, "",
              card.text ? *card.text : csv_number(card.value), card.unit);
    }
    for (const metrics::LatencyView& d : run.distributions) {
      csv_row(out, "latency", run.label, d.metric, "count", std::to_string(d.count), "");
      for (const metrics::PercentileRow& row : d.percentiles) {
        const std::string p = fmt::format("p{:g}", row.p);
        csv_row(out, "latency", run.label, d.metric, p, csv_number(row.value), d.unit);
        csv_row(out, "latency", run.label, d.metric, p + "_ci_low", csv_number(row.low), d.unit);
        csv_row(out, "latency", run.label, d.metric, p + "_ci_high", csv_number(row.high), d.unit);
      }
    }
    for (const metrics::SloVerdict& slo : run.slo) {
      csv_row(out, "slo", run.label, slo.gate, "met",
              slo.passed ? (*slo.passed ? "true" : "false") : "", "");
      csv_row(out, "slo", run.label, slo.gate, "actual", csv_number(slo.value), slo.unit);
    }
    for (const metrics::LevelRow& level : run.levels) {
      for (const auto& [figure, value] : level.figures) {
        csv_row(out, "level", run.label, level.label, figure, csv_number(value),
                metrics::figure_display(figure).unit);
      }
    }
  }
  if (model.comparison) {
    for (const metrics::ComparisonSectionView& s : model.comparison->sections) {
      const std::string pair = s.title.empty() ? s.base + " vs " + s.next : s.title;
      for (const metrics::ComparisonRow& r : s.rows) {
        csv_row(out, "comparison", pair, r.figure, "base", csv_number(r.base), r.unit);
        csv_row(out, "comparison", pair, r.figure, "new", csv_number(r.next), r.unit);
        csv_row(out, "comparison", pair, r.figure, "change_pct", csv_number(r.change_pct), "%");
        csv_row(out, "comparison", pair, r.figure, "p_adjusted", csv_number(r.p_adjusted), "");
        csv_row(out, "comparison", pair, r.figure, "verdict", r.verdict, "");
      }
    }
  }
  if (model.trend) {
    for (const metrics::TrendPoint& p : model.trend->points) {
      csv_row(out, "trend", std::to_string(p.id), model.trend->metric, "value", csv_number(p.value),
              model.trend->unit);
    }
  }
  return out;
}

std::string_view chart_library_version() { return assets::chart_library_version(); }

}  // namespace llmbench::report
