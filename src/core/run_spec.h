#pragma once
// The resolved description of one run: every default filled in, every name checked. Built
// once by app::resolve() from what the user asked for (app::RunSpec), passed by const& afterwards,
// and written into the result so the run can be repeated exactly.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench {

// How load is offered: closed loop (N users), open loop (a schedule), one closed-loop level
// per concurrency of a list, or a sweep (synchronous, throughput, then open-loop rates).
enum class LoadMode { kClosedLoop, kOpenLoop, kConcurrencySteps, kSweep };
constexpr std::string_view to_string(LoadMode mode) {
  switch (mode) {
    case LoadMode::kOpenLoop:
      return "open_loop";
    case LoadMode::kConcurrencySteps:
      return "concurrency_steps";
    case LoadMode::kSweep:
      return "sweep";
    case LoadMode::kClosedLoop:
      break;
  }
  return "closed_loop";
}

struct ResolvedRunSpec {
  std::string url;               // base URL, credentials never included
  std::string engine;            // resolved engine name (never "auto")
  std::string engine_requested;  // what the user asked for ("auto", "vllm"…)
  std::string api;               // "completions" or "chat"
  std::string model;
  LoadMode load_mode = LoadMode::kClosedLoop;
  int concurrency = 1;                  // closed loop; a sweep's throughput level
  std::vector<int> concurrency_levels;  // concurrency_steps: one level per entry
  std::optional<double> rate;           // open loop: req/s (absent with a schedule or trace)
  std::string arrival;                  // constant | poisson | gamma (open loop)
  double burstiness = 1;                // gamma shape
  std::string rate_schedule;            // as given: "0:10,30s:50"
  std::string trace;                    // path of a trace of arrival times
  int sweep_steps = 0;                  // sweep: open-loop levels after the two baselines
  std::string warmup;                   // as given: a duration ("10s") or a request count
  std::string cooldown;
  int retries = 0;
  double retry_backoff = 0;  // s, base of the exponential back-off
  std::optional<double> max_error_rate;
  std::size_t error_window = 0;
  std::string slo;                      // as given
  double window = 1;                    // s, time-series window
  std::string request_detail = "full";  // full | compact | none
  std::optional<std::uint64_t> requests;
  std::optional<double> duration;  // s
  int threads = 1;
  std::string prompt_tokens = "128";  // a length distribution, as given (workload/lengths.h)
  std::string max_tokens = "128";
  std::string tokenizer;                // --tokenizer path, "" if none
  std::string token_counting = "auto";  // auto | engine | tokenizer | probe | estimate
  std::int64_t prefix_tokens = 0;       // shared prefix length (0: none)
  int prefix_groups = 1;
  int turns = 1;               // turns per conversation
  std::string dataset;         // path, "" for synthetic prompts
  std::string dataset_format;  // sharegpt | jsonl | text | text-slice
  std::string on_bad_record = "skip";
  std::uint64_t dataset_sample = 0;  // records kept from the dataset
  bool stream = true;
  bool ignore_eos = true;
  std::optional<double> temperature;
  std::uint64_t seed = 0;
  double timeout_connect = 0;      // s, 0 = none
  double timeout_first_token = 0;  // s
  double timeout_idle = 0;         // s
  double timeout_total = 0;        // s
  bool tls_verify = true;
  // Issue 11. The engine's name in a multi-engine suite (a config name, or host:port of a
  // --url), "" for a plain run; the suite's scenario and variant ("load_test/users=8"), "".
  std::string engine_label;
  std::string scenario;
  // --until-stable as given ("ttft.p99:5%"), "" when off.
  std::string until_stable;
  // Cost: --gpu-hourly-cost (per GPU and hour, in the user's currency) and --gpus.
  std::optional<double> gpu_hourly_cost;
  std::optional<int> gpus;
};

// What makes two runs the same experiment, hashed (workload/fingerprint.h): the prompts, their
// lengths and sampling, the load; engine-specific parts (model, URL, wire format) left out.
struct WorkloadFingerprint {
  std::string workload;  // "sha256:…" over the three parts
  std::string prompts;
  std::string lengths;
  std::string load;
  std::uint64_t requests_hashed = 0;
};

// How the workload was made: which token-counting method made prompt lengths exact, what
// calibration found, what the dataset gave. Written into the result as "workload".
struct WorkloadInfo {
  std::string token_method =
      "estimate";            // engine_tokenize | local_tokenizer | probe_calibration | estimate
  std::string token_source;  // what counted: "vllm /tokenize", a tokenizer file…
  std::int64_t token_offset = 0;           // tokens the engine adds to every prompt
  std::uint64_t prompts_verified = 0;      // prompts counted before the run
  std::uint64_t prompts_corrected = 0;     // of those, adjusted after a first miss
  std::uint64_t prompts_unverifiable = 0;  // of those, still off target
  std::string dataset;                     // path, "" for synthetic prompts
  std::string dataset_format;
  std::uint64_t dataset_records = 0;  // valid records read
  std::uint64_t dataset_skipped = 0;  // malformed records skipped
  std::uint64_t dataset_used = 0;     // records kept for the run
  std::vector<std::string> warnings;
  std::optional<WorkloadFingerprint> fingerprint;  // absent when it could not be made
};

// Facts about where and when a run happened.
struct RunContext {
  std::string tool_version;
  std::string git_sha;
  std::string host;
  std::string started_at;                 // ISO 8601 UTC wall-clock time of the run start
  std::vector<std::string> command_line;  // as given (argv)
  double clock_resolution = 0;            // s (M41)
  int cpu_count = 0;
};

}  // namespace llmbench
