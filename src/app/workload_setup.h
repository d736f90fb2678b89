#pragma once
// Builds the run's workload before the clock starts: length distributions, the token-counting
// method (engine /tokenize → local tokenizer → Ollama probes → estimate), calibration and
// verification of every prompt the run will send, datasets.

#include <memory>

#include "app/cancellation.h"
#include "app/observer.h"
#include "app/run_spec.h"
#include "engines/engine.h"
#include "workload/workload.h"

namespace llmbench::app {

struct BuiltWorkload {
  std::unique_ptr<workload::Workload> workload;
  WorkloadInfo info;
};

// `requests_to_verify`: how many prompts the run will send, as far as known in advance.
// Throws Failure for a forced method that cannot work or an engine that stops answering, and
// Failure{kExitInterrupted} when `cancel` fires: every probe and count stops at once.
// Calls `observer.note` with what was done (dataset read, prompts counted).
BuiltWorkload build_workload(const ResolvedRun& run, const engines::Engine& engine,
                             std::uint64_t requests_to_verify, CancellationToken& cancel,
                             RunObserver& observer);

}  // namespace llmbench::app
