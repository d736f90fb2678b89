// Memory of a long run: 1,000,000 streamed requests through the whole benchmark
// pipeline (app::run_benchmark: runner, result sink, aggregation, spill file, streamed result
// JSON) against a canned-response server. Reports the process's peak resident memory (target < 300
// MB), which must not grow with the number of requests: records go to disk as they finish and
// statistics come from bounded distributions.
//
// Usage: million_requests [REQUESTS] [DETAIL] [TOKENS] [stream|no-stream]
//        (default 1000000 compact 16 stream)
// With many tokens (`2000 compact 1000`) or none streamed (`100000 compact 8 no-stream`) it is
// also the client ceiling through the whole pipeline, as `llmbench run` goes, on one client
// thread: tokens/s and requests/s are printed.

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "app/benchmark.h"
#include "app/resolve.h"
#include "canned_server.h"
#include "peak_rss.h"

using namespace llmbench;

int main(int argc, char** argv) {
  const std::uint64_t requests = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const std::string detail = argc > 2 ? argv[2] : "compact";
  const int tokens = argc > 3 ? std::atoi(argv[3]) : 16;
  const bool stream = argc > 4 ? std::string_view(argv[4]) != "no-stream" : true;
  if (tokens < 1) {
    fmt::print(stderr, "TOKENS must be at least 1\n");
    return 2;
  }
  bench::CannedServer server(stream ? bench::streamed_response(tokens)
                                    : bench::plain_response(tokens));

  const auto dir = std::filesystem::temp_directory_path() / "llmbench_million";
  std::filesystem::create_directories(dir);
  app::RunSpec spec;
  spec.url = *net::parse_url(server.url());
  spec.engine = engines::EngineKind::kOpenAi;
  spec.api = engines::ApiChoice{engines::RouteFamily::kOpenAi, ApiKind::kCompletions};
  spec.model = "m";
  spec.concurrency = {64};
  spec.requests = requests;
  spec.threads = 1;
  spec.prompt_tokens = workload::fixed_length(16);
  spec.max_tokens = workload::fixed_length(tokens);
  spec.stream = stream;
  spec.request_detail = *report::parse_request_detail(detail);
  spec.outputs.json = dir / "result.json";
  spec.outputs.requests_csv = dir / "requests.csv";
  app::KnownEngine engine(EngineInfo{});
  app::RunObserver quiet;
  app::CancellationToken cancel;
  const app::ResolvedRun run = app::resolve(spec, engine, quiet);

  const double before = bench::peak_rss_mb();
  const auto start = std::chrono::steady_clock::now();
  const int code = app::run_benchmark(run, cancel, quiet).exit_code;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double peak = bench::peak_rss_mb();

  std::uint64_t lines = 0;
  {
    std::ifstream csv(dir / "requests.csv");
    for (std::string line; std::getline(csv, line);) ++lines;
  }
  const double rate = static_cast<double>(requests) / seconds;
  fmt::print(
      "{} {} requests ({} tokens each, request detail {}) in {:.2f} s: {:.0f} req/s, {:.0f} "
      "tokens/s\n",
      requests, stream ? "streamed" : "non-streamed", tokens, detail, seconds, rate, rate * tokens);
  fmt::print("result.json {:.0f} MB, requests.csv {} rows\n",
             static_cast<double>(std::filesystem::file_size(spec.outputs.json)) / 1e6, lines - 1);
  fmt::print("peak resident memory: {:.0f} MB (before the run {:.0f} MB; target < 300 MB)\n", peak,
             before);
  std::filesystem::remove_all(dir);
  return code == 0 && lines - 1 == requests ? 0 : 1;
}
