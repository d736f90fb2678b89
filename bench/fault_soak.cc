// Fault soak: a long open-loop run against the simulator with mixed faults, as a deployment
// under stress shows them. Not a test (it takes half an hour): it reports, and exits 1 when
// a record was lost or memory grew.
//   - memory: the run's resident set, sampled every 10 s from /proc; "flat" means the
//     largest sample of the second half is within 20 % (and 16 MB) of the first half's;
//   - no record lost: rows in the requests CSV = requests in the summary = requests the
//     runner issued, and every request that reached the simulator (its own counter) has a
//     row: sim requests = rows − rows that never connected.
//
// Usage: fault_soak [MINUTES] [RATE] [FAULT ...]   (default 30 500, faults below)

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"
#include "support/run_llmbench.h"

using namespace llmbench::testing;

namespace {

// Resident set of a process in MB, or a negative number once it has gone.
double rss_mb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return -1;
}

// The fields of one CSV row (RFC 4180 quoting, as the requests CSV writes it).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

}  // namespace

int main(int argc, char** argv) {
  const double minutes = argc > 1 ? std::atof(argv[1]) : 30;
  const std::string rate = argc > 2 ? argv[2] : "500";
  std::vector<std::string> faults;
  for (int i = 3; i < argc; ++i) faults.emplace_back(argv[i]);
  if (faults.empty()) {
    faults = {"reset-mid-stream:0.01", "stall-mid-stream:0.005", "rate-limit:0.01",
              "unavailable:0.005",     "malformed:0.005",        "invalid-utf8:0.01"};
  }
  std::vector<std::string> sim_args = {"--ttft", "50ms", "--itl", "10ms", "--seed", "7"};
  for (const std::string& f : faults) {
    sim_args.push_back("--fault");
    sim_args.push_back(f);
  }
  Sim sim(sim_args);

  const auto dir =
      std::filesystem::temp_directory_path() / ("llmbench_soak_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto result = dir / "result.json", csv = dir / "requests.csv";
  const std::string duration = fmt::format("{}s", static_cast<long>(minutes * 60));
  Child run({LLMBENCH_BINARY, "run", "--url", sim.url(), "--rate", rate, "--duration", duration,
             "--max-tokens", "16", "--prompt-tokens", "32", "--idle-timeout", "2s",
             "--first-token-timeout", "5s", "--request-detail", "compact",
             // No calibration probes: every request the simulator counts is one of the run's.
             "--token-counting", "estimate", "--no-progress", "--output", result.string(), "--csv",
             csv.string()});

  std::vector<double> samples;
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(10));
    const double mb = rss_mb(run.pid());
    if (mb < 0) break;
    samples.push_back(mb);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    fmt::print("{:>6.0f} s  rss {:>6.1f} MB\n", elapsed, mb);
    std::fflush(stdout);
    if (elapsed > minutes * 60 + 120) break;  // the run should have ended: wait() tells why
  }
  const int code = run.wait();
  const double sim_requests = sim.metric("llmbench_sim_requests_total");

  std::uint64_t rows = 0, never_connected = 0;
  std::map<std::string, std::uint64_t> categories;
  {
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);
    const std::vector<std::string> header = csv_fields(line);
    const auto column = static_cast<std::size_t>(
        std::find(header.begin(), header.end(), "error_category") - header.begin());
    while (std::getline(in, line)) {
      ++rows;
      const std::vector<std::string> f = csv_fields(line);
      const std::string category = column < f.size() ? f[column] : "<short row>";
      ++categories[category.empty() ? "ok" : category];
      if (category == "connect" || category == "timeout_connect") ++never_connected;
    }
  }
  std::uint64_t summary_requests = 0;
  try {
    const nlohmann::json j = nlohmann::json::parse(slurp(result));
    summary_requests = j.at("summary").at("requests").get<std::uint64_t>();
  } catch (const std::exception& e) {
    fmt::print("result.json unreadable: {}\n", e.what());
  }

  const std::size_t half = samples.size() / 2;
  double first = 0, second = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    (i < half ? first : second) = std::max(i < half ? first : second, samples[i]);
  }
  const bool flat = samples.size() < 2 || second <= std::max(first * 1.2, first + 16);
  const bool lost =
      rows != summary_requests || static_cast<double>(rows - never_connected) != sim_requests;

  fmt::print("\nfault soak: {} min at {} req/s, faults {}\n", minutes, rate,
             fmt::join(faults, " "));
  fmt::print(
      "exit code {}; requests: {} CSV rows, {} in the summary, {} reached the simulator "
      "({} never connected)\n",
      code, rows, summary_requests, sim_requests, never_connected);
  for (const auto& [category, n] : categories) fmt::print("  {:<22} {}\n", category, n);
  fmt::print("peak RSS: first half {:.1f} MB, second half {:.1f} MB -> {}\n", first, second,
             flat ? "flat" : "GREW");
  fmt::print("{}\n", lost ? "RECORDS LOST" : "no record lost");
  std::filesystem::remove_all(dir);
  return flat && !lost ? 0 : 1;
}
