#pragma once
// The workload fingerprint (issue 11): what makes two runs the same experiment, hashed, so
// that `compare` checks identity instead of assuming it. Engine-specific parts — the model
// name, the URL, headers, the route and its wire format — are left out: the same workload
// sent to vLLM and to Ollama has one fingerprint. Each part has its own hash, so a refusal
// can name what differs.

#include <cstdint>
#include <string>
#include <vector>

#include "workload/workload.h"

namespace llmbench::workload {

// The load as the run applies it, engine-neutral (a description, not the schedule's times:
// the times follow from it and the seed).
struct LoadDescription {
  std::string mode;              // closed_loop, open_loop, sweep…
  std::vector<int> concurrency;  // closed loop: the level(s)
  std::string rate;              // open loop, as given ("50", "0:10,30s:50")
  std::string arrival;           // constant | poisson | gamma
  double burstiness = 1;
  std::string trace_sha256;  // of the trace file's bytes, "" without one
  std::string requests;      // count, "" when by duration
  std::string duration;      // as given, "" when by count
  std::string warmup, cooldown;
  std::uint64_t seed = 0;
};

struct Fingerprint {
  std::string workload;  // "sha256:…" over the three parts below
  std::string prompts;   // the prompt texts and chat messages, in request order
  std::string lengths;   // prompt length targets and max_tokens, stream, ignore_eos, sampling
  std::string load;      // the LoadDescription
  std::uint64_t requests_hashed = 0;  // how many requests the prompt and length parts cover
};

// `count` requests from index 0 (a run's first requests; a run by duration hashes as many as
// were verified before it, or the first 1000). Thread-safe like Workload::make.
Fingerprint fingerprint(const Workload& workload, std::uint64_t count, const LoadDescription& load);

// The parts that differ, named ("prompts", "lengths", "load", "requests hashed"); empty
// when the fingerprints are equal.
std::vector<std::string> fingerprint_differences(const Fingerprint& a, const Fingerprint& b);

// "sha256:" and the hex digest of `bytes` (OpenSSL).
std::string sha256_hex(std::string_view bytes);

}  // namespace llmbench::workload
