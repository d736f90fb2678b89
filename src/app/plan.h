#pragma once
// The load levels of a run, and the runner options of each. A plain run is one level; a
// concurrency list is one level per entry; a sweep is a synchronous level, a throughput
// level, then open-loop rates between them (added once the first two were measured).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "app/run_spec.h"
#include "runner/runner.h"

namespace llmbench::app {

enum class LevelKind { kRun, kSynchronous, kThroughput, kRate, kConcurrency };
std::string_view to_string(LevelKind kind);

struct LevelPlan {
  LevelKind kind = LevelKind::kRun;
  std::optional<double> rate;      // open loop at this constant rate
  std::optional<int> concurrency;  // closed loop with this many users
  bool scheduled = false;          // open loop from the spec's arrival process or trace
  [[nodiscard]] bool open_loop() const { return rate.has_value() || scheduled; }
};

// The levels known before the run starts.
std::vector<LevelPlan> initial_levels(const RunSpec& spec);

// A sweep's rate levels from its synchronous and throughput levels' completion rates.
std::vector<LevelPlan> sweep_rate_levels(double synchronous_rate, double throughput_rate,
                                         int steps);

// The runner's options for one level: its schedule built from the spec's seeded arrival
// process (or trace), or its users. Throws Failure when the schedule cannot be built.
runner::RunOptions level_options(const RunSpec& spec, const LevelPlan& plan, std::uint32_t level,
                                 std::uint64_t first_id);

// Checks every output path of the run before anything is sent (report::check_output): each
// can be written, no two are one file (character devices such as /dev/null excepted), at
// most one is stdout ("-", /dev/stdout), and none is an input of the run (--dataset, --trace,
// --tokenizer, --config). Files are compared by device and inode, new paths by their
// canonical form. Creates the default results/ folder when --output is not given. Opens (so
// creates and migrates) the history database when the run is to be stored. Throws
// Failure(kExitUsage) naming the option(s) and the path.
void check_outputs(const RunSpec& spec);

// Whether one of the run's outputs is this process's stdout (the human summary then goes to
// stderr).
bool writes_to_stdout(const OutputPaths& outputs);

// How many prompts the run will send, as far as known in advance (0: not known).
std::uint64_t requests_known_in_advance(const RunSpec& spec);

}  // namespace llmbench::app
