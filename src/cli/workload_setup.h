#pragma once
// Builds the run's workload before the clock starts: length distributions, the token-counting
// method (engine /tokenize → local tokenizer → Ollama probes → estimate), calibration and
// verification of every prompt the run will send, datasets.

#include <memory>

#include "cli/app.h"
#include "engines/engine.h"
#include "workload/workload.h"

namespace llmbench::cli {

struct BuiltWorkload {
  std::unique_ptr<workload::Workload> workload;
  WorkloadInfo info;
};

// `requests_to_verify`: how many prompts the run will send, as far as known in advance.
// Throws CommandError for bad options or a forced method that cannot work.
BuiltWorkload build_workload(const BenchmarkJob& job, const engines::Engine& engine, ApiKind api,
                             std::uint64_t requests_to_verify);

}  // namespace llmbench::cli
