// The HTML report of a large run (issue 12: a 100,000-request result gives a report of at most
// 10 MB that renders in at most 3 s in headless Chromium). Writes a result file of N requests
// as the binary writes them (full detail: every inter-token gap), times reading it into the
// report model and rendering the page, and reports the sizes; then, when node and Chromium are
// there, opens the page with tests/browser/check_report.mjs and reports its render time.
//
//   report_size [REQUESTS (100000)] [OUTPUT_TOKENS (128)] [DIR (/tmp/llmbench-report-size)]

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "app/report.h"
#include "report/model_report.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A closed-loop run at concurrency 64: lognormal TTFTs around 80 ms, gaps around 12 ms, 1 % of
// requests failing, one-second windows.
void write_result(const fs::path& path, std::size_t requests, std::size_t tokens) {
  std::ofstream out(path, std::ios::binary);
  std::mt19937_64 random(12345);
  std::lognormal_distribution<double> ttft(std::log(0.08), 0.3);
  std::lognormal_distribution<double> gap(std::log(0.012), 0.2);
  std::uniform_real_distribution<double> unit(0, 1);
  const double duration = static_cast<double>(requests) / 64.0 * (0.08 + 0.012 * 127);
  out << R"({"schema_version":1,"context":{"tool":"llmbench","tool_version":"bench",)"
      << R"("command_line":["llmbench","run","--url","http://gpu:8000","--concurrency","64"],)"
      << R"("config":{"engine":"vllm","model":"bench-model","load_mode":"closed_loop",)"
      << R"("concurrency":64,"requests":)" << requests
      << R"(,"request_detail":"full","window":1.0},"engine":{"engine":"vllm","version":"0.11.0"},)"
      << R"("interrupted":false,"stop_reason":"completed","stop_detail":null,"warnings":[]},)"
      << R"("workload":{"token_method":"engine_tokenize","token_source":"vllm /tokenize"},)";
  out << R"("summary":{"requests":)" << requests << R"(,"succeeded":)" << requests
      << R"(,"failed":0,"cancelled":0,"duration":)" << duration << R"(,"ttft":{"count":)"
      << requests
      << R"(,"p50":0.08,"p90":0.118,"p99":0.16,"p99.9":0.2,"ci":{"p50":[0.0799,0.0801],)"
      << R"("p90":[0.117,0.119],"p99":[0.158,0.162],"p99.9":[0.19,0.21]}},)"
      << R"("request_throughput":)" << static_cast<double>(requests) / duration
      << R"(,"output_token_throughput":)" << static_cast<double>(requests * tokens) / duration
      << R"(,"success_rate":0.99,"goodput":null,"slos":[],"native_vs_client":{}},)";
  const auto windows = static_cast<std::size_t>(duration) + 1;
  out << R"("time_series":{"window":1.0,"windows":[)";
  for (std::size_t w = 0; w < windows; ++w) {
    out << (w ? "," : "")
        << fmt::format(
               R"({{"t":{},"requests_started":42,"requests_completed":42,"requests_failed":0,)"
               R"("output_tokens":5376,"output_token_rate":5376,"in_flight":64,)"
               R"("ttft":{{"count":42,"p50":0.08,"p90":0.11,"p99":0.15}},)"
               R"("itl":{{"count":5300,"p50":0.012,"p90":0.015,"p99":0.02}}}})",
               w);
  }
  out << R"(]},"requests":[)";
  for (std::size_t i = 0; i < requests; ++i) {
    const double first = ttft(random);
    std::string gaps;
    double e2e = first;
    for (std::size_t t = 1; t < tokens; ++t) {
      const double g = gap(random);
      e2e += g;
      gaps += fmt::format("{}{:.9f}", t > 1 ? "," : "", g);
    }
    const bool failed = unit(random) < 0.01;
    const double end = duration * static_cast<double>(i) / static_cast<double>(requests);
    out << (i ? "," : "")
        << fmt::format(R"({{"id":{},"phase":"measure","prompt_tokens":{},)"
                       R"("prompt_tokens_target":512,"output_tokens":{},"ttft":{:.9f},)"
                       R"("e2e_latency":{:.9f},"tpot":{:.9f},"itl":[{}],"native":{{}},)"
                       R"("error":{},"timestamps":{{"end":{:.6f}}}}})",
                       i, 512 + i % 3, tokens, first, e2e,
                       (e2e - first) / static_cast<double>(tokens - 1), gaps,
                       failed ? R"({"category":"http_5xx","message":"HTTP 500"})" : "null", end);
  }
  out << "]}\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t requests = argc > 1 ? std::stoul(argv[1]) : 100'000;
  const std::size_t tokens = argc > 2 ? std::stoul(argv[2]) : 128;
  const fs::path dir = argc > 3 ? fs::path(argv[3]) : fs::path("/tmp/llmbench-report-size");
  fs::create_directories(dir);
  const fs::path result = dir / "result.json";
  const fs::path html = dir / "report.html";
  auto start = Clock::now();
  write_result(result, requests, tokens);
  fmt::print("result: {} requests × {} tokens, {:.1f} MB, written in {:.1f} s\n", requests, tokens,
             static_cast<double>(fs::file_size(result)) / 1e6, seconds_since(start));
  start = Clock::now();
  const llmbench::metrics::ReportModel model = llmbench::app::result_report(result);
  const double read_s = seconds_since(start);
  start = Clock::now();
  const std::string page = llmbench::report::render_html(model);
  const double render_s = seconds_since(start);
  std::ofstream(html, std::ios::binary) << page;
  const std::string data = llmbench::report::report_model_json(model);
  fmt::print("report model: read in {:.2f} s; page rendered in {:.3f} s\n", read_s, render_s);
  fmt::print(
      "report.html: {:.2f} MB (data {:.2f} MB, the rest the embedded chart library and "
      "the page's code); target ≤ 10 MB\n",
      static_cast<double>(page.size()) / 1e6, static_cast<double>(data.size()) / 1e6);
  for (const std::string& note : model.notes) fmt::print("  note: {}\n", note);
  const std::string check =
      fmt::format("node {}/tests/browser/check_report.mjs --screenshots {} --max-render-ms 3000 {}",
                  LLMBENCH_SOURCE_DIR, (dir / "screenshots").string(), html.string());
  fmt::print("browser: {}\n", check);
  const int status = std::system(check.c_str());
  fmt::print("browser check: {}\n",
             status == 0 ? "rendered within 3 s, every chart drawn" : "FAILED (see above)");
  return 0;
}
