// Memory of a day-long soak's time series: 86,400 one-second windows at 50 requests/s of
// synthetic streamed records (4.32 million requests, 64 tokens each, lognormal TTFT and
// ITL) folded into one metrics::Aggregator, then finish() and a copy of the summary as a
// reporter would take. Reports the process's peak resident memory (target ≤ 64 MB) and the
// time-series bytes per window. Nothing here depends on a server: it measures metrics/.
//
// Usage: time_series_soak [WINDOWS] [RATE] [TOKENS]   (default 86400 50 64)

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>

#include "core/record.h"
#include "metrics/summary.h"
#include "peak_rss.h"

using namespace llmbench;

namespace {

TimePoint at(double seconds) {
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)));
}

}  // namespace

int main(int argc, char** argv) {
  const long windows = argc > 1 ? std::atol(argv[1]) : 86400;
  const long rate = argc > 2 ? std::atol(argv[2]) : 50;
  const int tokens = argc > 3 ? std::atoi(argv[3]) : 64;
  if (windows <= 0 || rate <= 0 || tokens <= 0) {
    fmt::print(stderr, "usage: time_series_soak [WINDOWS] [RATE] [TOKENS]\n");
    return 2;
  }
  const double baseline = bench::peak_rss_mb();
  const auto started = std::chrono::steady_clock::now();
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> ttft(std::log(0.200), 0.5);
  std::lognormal_distribution<double> itl(std::log(0.025), 0.4);
  std::exponential_distribution<double> gap(static_cast<double>(rate));

  metrics::Aggregator aggregator(at(0), metrics::AggregatorOptions{});
  RequestRecord r;
  r.sent = true;
  r.completed = true;
  r.max_tokens = tokens;
  r.events.reserve(static_cast<std::size_t>(tokens));
  const double end_of_run = static_cast<double>(windows);
  std::uint64_t requests = 0;
  // Requests are added in send order, as if each finished before the next: the aggregator
  // keeps no per-request state, so the order does not change its memory.
  for (double send = gap(rng); send < end_of_run; send += gap(rng)) {
    r.id = requests++;
    r.t_sched = r.t_send = at(send);
    double t = send + ttft(rng);
    r.events.clear();
    for (int i = 0; i < tokens; ++i) {
      if (i > 0) t += itl(rng);
      r.events.push_back(TokenEvent{at(t), 1});
    }
    r.t_end = at(t);
    r.usage.output_tokens = tokens;
    r.usage.prompt_tokens = 128;
    aggregator.add(r, metrics::derive(r));
  }
  const double fed = bench::peak_rss_mb();
  const metrics::RunSummary summary = aggregator.finish();
  const metrics::RunSummary copy = summary;  // a reporter's copy shares the windows
  std::size_t heap = 0;
  std::int64_t series_tokens = 0;
  for (const metrics::TimeWindow& w : copy.time_series) {
    heap += w.ttft.heap_bytes() + w.itl.heap_bytes();
    series_tokens += w.output_tokens;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double per_window = static_cast<double>(sizeof(metrics::TimeWindow)) +
                            static_cast<double>(heap) / static_cast<double>(std::max<std::size_t>(
                                                            copy.time_series.size(), 1));
  fmt::print("time_series_soak: {} windows, {} requests ({} tokens each) in {:.1f} s\n",
             copy.time_series.size(), requests, tokens, seconds);
  fmt::print("  time series: {:.0f} bytes per window ({} + {:.0f} of buckets), {:.1f} MB\n",
             per_window, sizeof(metrics::TimeWindow), per_window - sizeof(metrics::TimeWindow),
             per_window * static_cast<double>(copy.time_series.size()) / 1e6);
  fmt::print("  tokens: series {} = summary {}: {}\n", series_tokens, summary.output_tokens,
             series_tokens == summary.output_tokens ? "ok" : "MISMATCH");
  fmt::print("  peak RSS: {:.1f} MB (start {:.1f} MB, after feeding {:.1f} MB; target <= 64 MB)\n",
             bench::peak_rss_mb(), baseline, fed);
  return 0;  // a benchmark reports; the unit tests assert the per-window bound
}
