#include "report/model_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/result_view.h"

namespace llmbench::report {
namespace {

using metrics::ReportModel;

// A result as the binary writes it (docs/results.md), small: two successes, one failure.
std::string result_json(const std::string& prompt_note = "") {
  return R"({"schema_version":1,
 "context":{"tool":"llmbench","command_line":["llmbench","run","--url","http://h:8000"],
   "config":{"engine":"vllm","model":"m","load_mode":"open_loop","rate":10.0,
             "arrival":"poisson","requests":3,"request_detail":"full","engine_label":null},
   "engine":{"engine":"vllm","version":"0.11.0"},"interrupted":false,
   "stop_reason":"completed","stop_detail":null,"warnings":[")" +
         prompt_note + R"("]},
 "workload":{"token_method":"engine_tokenize","token_source":"vllm /tokenize",
   "samples":[{"id":0,"prompt":"Tell me <b>about</b> it","output":"It is"}]},
 "summary":{"requests":3,"succeeded":2,"failed":1,"cancelled":0,"duration":1.5,
   "ttft":{"count":2,"p50":0.04,"p90":0.05,"p99":0.05,"p99.9":0.05,
           "ci":{"level":0.95,"p50":[0.03,null],"p90":[null,null],"p99":[null,null],"p99.9":[null,null]}},
   "itl":{"count":0,"p50":null},"e2e_latency":{"count":2,"p50":0.2,"p90":0.3,"p99":0.3,"p99.9":0.3},
   "request_throughput":1.3333,"output_token_throughput":40.0,"success_rate":0.6666666,
   "goodput":null,"slos":[{"objective":"ttft:p99<=100ms","actual":0.05,"met":true}],
   "client":{"client_bound":false,"reason":null},
   "native_vs_client":{}},
 "time_series":{"window":1.0,"windows":[
   {"t":0.0,"requests_completed":2,"requests_failed":0,"output_token_rate":40,"in_flight":1.5,
    "ttft":{"count":2,"p50":0.04,"p90":0.05,"p99":0.05},"itl":null},
   {"t":1.0,"requests_completed":0,"requests_failed":1,"output_token_rate":0,"in_flight":0.5,
    "ttft":null,"itl":null}]},
 "requests":[
   {"id":0,"phase":"measure","ttft":0.03,"e2e_latency":0.2,"tpot":0.01,"ttft_sched":0.031,
    "e2e_sched":0.21,"schedule_lag":0.001,"itl":[0.01,0.02],"prompt_tokens":65,
    "prompt_tokens_target":64,"output_tokens":20,"native":{},"error":null,
    "timestamps":{"end":0.3}},
   {"id":1,"phase":"measure","ttft":0.05,"e2e_latency":0.3,"tpot":0.012,"itl":[0.011],
    "prompt_tokens":64,"prompt_tokens_target":64,"output_tokens":20,"native":{},"error":null,
    "timestamps":{"end":0.6}},
   {"id":2,"phase":"measure","ttft":null,"e2e_latency":null,"tpot":null,"itl":[],
    "error":{"category":"http_5xx","message":"HTTP 500"},"timestamps":{"end":1.2}}]})";
}

ReportModel model_of(const std::string& json) {
  auto run = parse_run_view(json, "r.json");
  EXPECT_TRUE(run.has_value()) << (run ? "" : run.error().message);
  ReportModel model;
  model.title = "vllm · m";
  model.generated_by = "llmbench test";
  model.generated_at = "2026-01-01T00:00:00Z";
  if (run) model.runs.push_back(std::move(*run));
  return model;
}

TEST(ResultView, ReadsEveryPartOfAResultInDisplayUnits) {
  const ReportModel model = model_of(result_json());
  ASSERT_EQ(model.runs.size(), 1u);
  const metrics::RunView& run = model.runs[0];
  EXPECT_EQ(run.label, "vllm");
  // TTFT, TPOT, E2E, and the scheduled forms of an open-loop run; ITL from the requests' gaps.
  std::vector<std::string> metrics;
  for (const auto& d : run.distributions) metrics.push_back(d.metric);
  EXPECT_EQ(metrics, (std::vector<std::string>{"ttft", "itl", "tpot", "e2e_latency", "ttft_sched",
                                               "e2e_sched"}));
  EXPECT_EQ(run.distributions[0].count, 2u);  // the failure has no TTFT
  EXPECT_DOUBLE_EQ(run.distributions[0].cdf.front().first, 30.0);
  EXPECT_DOUBLE_EQ(*run.distributions[0].percentiles[0].value, 40.0);
  EXPECT_DOUBLE_EQ(*run.distributions[0].percentiles[0].low, 30.0);
  EXPECT_FALSE(run.distributions[0].percentiles[0].high.has_value());  // null stays absent
  EXPECT_EQ(run.distributions[1].count, 3u);
  ASSERT_EQ(run.slo.size(), 1u);
  EXPECT_EQ(run.slo[0].passed, true);
  EXPECT_DOUBLE_EQ(*run.slo[0].value, 50.0);
  ASSERT_TRUE(run.time_series);
  bool saw_errors = false;
  for (const auto& s : run.time_series->series) {
    if (s.name == "errors_http_5xx") {
      saw_errors = true;
      EXPECT_EQ(s.values, (std::vector<std::optional<double>>{0.0, 1.0}));
    }
  }
  EXPECT_TRUE(saw_errors);
  ASSERT_TRUE(run.workload);
  EXPECT_EQ(run.workload->token_counting, "engine_tokenize (vllm /tokenize)");
  EXPECT_EQ(run.workload->target_vs_engine.size(), 2u);
  EXPECT_EQ(run.details.command_line, "llmbench run --url http://h:8000");
  ASSERT_EQ(run.workload->samples.size(), 1u);
  EXPECT_EQ(run.workload->samples[0].prompt, "Tell me <b>about</b> it");
  EXPECT_EQ(run.workload->samples[0].output, "It is");
}

TEST(ResultView, RefusesWhatIsNotAResultNamingTheSource) {
  for (const std::string bad : {"", "[1,2]", "{\"context\":{}}", "{\"summary\":", "not json"}) {
    auto run = parse_run_view(bad, "bad.json");
    ASSERT_FALSE(run.has_value()) << bad;
    EXPECT_NE(run.error().message.find("bad.json"), std::string::npos) << run.error().message;
  }
}

TEST(ResultView, EveryTruncationIsAnErrorNeverACrash) {
  const std::string json = result_json();
  for (std::size_t cut = 0; cut < json.size(); ++cut) {
    auto run = parse_run_view(std::string_view(json).substr(0, cut), "cut.json");
    EXPECT_FALSE(run.has_value()) << "cut at " << cut;
  }
}

TEST(ModelJson, UnmeasuredFiguresAreNullAndEveryNumberIsFinite) {
  const nlohmann::json j = nlohmann::json::parse(report_model_json(model_of(result_json())));
  EXPECT_EQ(j["schema"], 1);
  EXPECT_EQ(j["kind"], "run");
  const auto& run = j["runs"][0];
  bool goodput = false;
  for (const auto& card : run["cards"]) {
    if (card["label"] == "Goodput") {
      goodput = true;
      EXPECT_TRUE(card["value"].is_null());
    }
  }
  EXPECT_TRUE(goodput);
  EXPECT_TRUE(run["distributions"][0]["percentiles"][0]["high"].is_null());
  EXPECT_EQ(run["time_series"]["series"][0]["name"], "request_throughput");
}

TEST(HtmlReport, TextFromTheNetworkCannotEndTheDataScript) {
  // A warning echoing a hostile server: it must stay data.
  const std::string hostile = R"(</script><script>alert(1)</script><!--<script>)";
  const std::string page =
      render_html(model_of(result_json("<\\/script><script>alert(1)<\\/script><!--<script>")));
  const std::size_t data = page.find("<script type=\"application/json\" id=\"llmbench-data\">");
  ASSERT_NE(data, std::string::npos);
  const std::size_t open = page.find('>', data) + 1;
  const std::size_t end = page.find("</script>", open);
  ASSERT_NE(end, std::string::npos);
  const std::string inside = page.substr(open, end - open);
  EXPECT_EQ(inside.find('<'), std::string::npos) << "a '<' inside the data script";
  // The data reads back whole: the hostile text is in it, escaped.
  const nlohmann::json parsed = nlohmann::json::parse(inside);
  EXPECT_EQ(parsed["runs"][0]["alerts"][0], hostile);
  // Everything the page needs is inside it.
  EXPECT_NE(page.find("echarts"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_FALSE(chart_library_version().empty());
}

ReportModel comparison_model() {
  ReportModel model;
  model.kind = metrics::ReportKind::kComparison;
  model.title = "vllm vs tgi";
  model.generated_by = "llmbench test";
  metrics::ComparisonView view;
  metrics::ComparisonSectionView section;
  section.base = "vllm";
  section.next = "tgi";
  section.method = "Mann–Whitney U over 3 and 3 repetitions, Holm-adjusted across the figures";
  metrics::ComparisonFacts regressed;
  regressed.figure = "ttft.p99";
  regressed.base = 0.120;
  regressed.next = 0.150;
  regressed.relative_change = 0.25;
  regressed.p = 0.05;
  regressed.p_adjusted = 0.1;
  regressed.verdict = "regressed";
  regressed.gate_failed = true;
  section.rows.push_back(metrics::comparison_row(regressed));
  metrics::ComparisonFacts missing;
  missing.figure = "output_token_throughput";
  missing.base = 1500;
  section.rows.push_back(metrics::comparison_row(missing));
  section.geomeans.emplace_back("lower is better: latencies", 3.14);
  view.sections.push_back(section);
  view.gate_failed = true;
  view.gate_lines = {"ttft.p99 regressed +25.0 % (limit 5 %)"};
  model.comparison = view;
  return model;
}

TEST(MarkdownReport, ComparisonVerdictTable) {
  EXPECT_EQ(render_markdown(comparison_model()),
            "## vllm vs tgi\n\n"
            "*llmbench test*\n\n"
            "### vllm → tgi\n\n"
            "Mann–Whitney U over 3 and 3 repetitions, Holm-adjusted across the figures\n\n"
            "| figure | vllm | tgi | change | p (Holm) | verdict |\n"
            "|---|--:|--:|--:|--:|---|\n"
            "| TTFT p99 | 120.0 ms | 150.0 ms | +25.0 % | 0.1 | **regressed** ❌ gate |\n"
            "| Output token throughput | 1500.0 tok/s | — | — | — | not measured |\n"
            "\nGeometric mean (lower is better: latencies): +3.1 %\n"
            "\n**Gate failed:**\n\n"
            "- ttft.p99 regressed +25.0 % (limit 5 %)\n");
}

TEST(CsvReport, ComparisonRowsInLongFormWithEmptyUnmeasuredValues) {
  EXPECT_EQ(render_csv(comparison_model()),
            "section,run,figure,stat,value,unit\n"
            "comparison,vllm vs tgi,ttft.p99,base,120,ms\n"
            "comparison,vllm vs tgi,ttft.p99,new,150,ms\n"
            "comparison,vllm vs tgi,ttft.p99,change_pct,25,%\n"
            "comparison,vllm vs tgi,ttft.p99,p_adjusted,0.1,\n"
            "comparison,vllm vs tgi,ttft.p99,verdict,regressed,\n"
            "comparison,vllm vs tgi,output_token_throughput,base,1500,tok/s\n"
            "comparison,vllm vs tgi,output_token_throughput,new,,tok/s\n"
            "comparison,vllm vs tgi,output_token_throughput,change_pct,,%\n"
            "comparison,vllm vs tgi,output_token_throughput,p_adjusted,,\n"
            "comparison,vllm vs tgi,output_token_throughput,verdict,not measured,\n");
}

TEST(MarkdownReport, APipeOrNewlineInTextNeverBreaksTheTable) {
  ReportModel model = model_of(result_json("a | b\\nc"));
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("a \\| b c"), std::string::npos) << md;
}

}  // namespace
}  // namespace llmbench::report
