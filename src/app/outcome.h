#pragma once
// How a use case ends, as the process exit codes that every command shares (docs/cli.md).
// The core throws Failure only before a run starts (bad spec, unreachable engine) or when
// its results cannot be written; per-request outcomes are data in the records.

#include <string>

namespace llmbench::app {

enum ExitCode : int {
  kExitOk = 0,
  kExitCheckFailed = 1,  // --max-error-rate stopped the run; a gate failed
  kExitUsage = 2,        // bad option, config or combination; a model the engine does not serve
  kExitUnreachable = 3,  // the engine could not be contacted
  kExitAllFailed = 4,    // the run went, but every measured request failed (result written)
  kExitNotWritten = 5,   // the run went, but a result file could not be written (records kept)
  kExitInterrupted = 130,
};

// An error that ends the command with `code` after printing `message` on one line.
struct Failure {
  int code;
  std::string message;
};

}  // namespace llmbench::app
