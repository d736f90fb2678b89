// Load accuracy: the two timing targets, measured with the real binaries (the
// simulator and `llmbench run`, both at raised priority as in the tests), repeated and
// reported as medians because this machine is shared and noisy.
//   open loop:  1,000 req/s constant, one client thread → schedule lag p99 (target ≤ 1 ms)
//   streams:    256 concurrent streams, sim ITL 5 ms    → ITL p99 (target within 0.3 ms of
//               5 ms), beside the simulator's own write gaps, so the error the client adds
//               is told apart from the simulator being late on a machine it shares.
//
// Usage: load_accuracy [RUNS]   (default 5)

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "support/process.h"
#include "support/run_llmbench.h"

using namespace llmbench::testing;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  std::vector<double> lag_p50, lag_p99, lag_max;
  std::vector<double> itl_p50, itl_p99, written_p99, added_p99;
  for (int i = 0; i < runs; ++i) {
    {
      Sim sim({"--ttft", "50ms", "--itl", "5ms"});
      const RunOutcome r =
          run(sim.url(), {"--rate", "1000", "--arrival", "constant", "--requests", "5000",
                          "--max-tokens", "8", "--threads", "1", "--request-detail", "none"});
      if (r.exit_code != 0) {
        fmt::print(stderr, "open-loop run failed: {}\n", r.err);
        return 1;
      }
      const auto& lag = r.result["summary"]["schedule_lag"];
      lag_p50.push_back(ms(lag["p50"]));
      lag_p99.push_back(ms(lag["p99"]));
      lag_max.push_back(ms(lag["max"]));
    }
    {
      Sim sim({"--ttft", "50ms", "--itl", "5ms"});
      const RunOutcome r = run(sim.url(), {"--concurrency", "256", "--requests", "768",
                                           "--max-tokens", "64", "--request-detail", "none"});
      if (r.exit_code != 0) {
        fmt::print(stderr, "256-stream run failed: {}\n", r.err);
        return 1;
      }
      const auto& itl = r.result["summary"]["itl"];
      itl_p50.push_back(ms(itl["p50"]));
      itl_p99.push_back(ms(itl["p99"]));
      written_p99.push_back(sim.metric("llmbench_sim_token_gap_seconds{quantile=\"0.99\"}") * 1e3);
      added_p99.push_back(itl_p99.back() - written_p99.back());
    }
    fmt::print(
        "run {}: lag p50 {:.3f} p99 {:.3f} max {:.3f} ms | 256 streams ITL p50 {:.3f} p99 "
        "{:.3f} ms, simulator's own gaps p99 {:.3f} ms\n",
        i + 1, lag_p50.back(), lag_p99.back(), lag_max.back(), itl_p50.back(), itl_p99.back(),
        written_p99.back());
  }
  fmt::print("\nmedian of {} runs:\n", runs);
  fmt::print("  1,000 req/s open loop, one thread: schedule lag p99 {:.3f} ms (target <= 1 ms)\n",
             median(lag_p99));
  fmt::print("  256 streams: ITL p50 {:.3f} ms, p99 {:.3f} ms (target 5 +- 0.3 ms)\n",
             median(itl_p50), median(itl_p99));
  fmt::print(
      "               the simulator's own write gaps p99 {:.3f} ms; the client added "
      "{:+.3f} ms at p99\n",
      median(written_p99), median(added_p99));
  return 0;
}
