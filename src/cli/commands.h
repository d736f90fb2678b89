#pragma once
// One function per command. Each registers its options on the CLI11 app and returns the
// action to run once parsing succeeded; the action returns the exit code.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "app/run_spec.h"

namespace llmbench::cli {

using Action = std::function<int()>;

Action add_run_command(CLI::App& app, const std::vector<std::string>& argv);
Action add_sim_command(CLI::App& app);
Action add_demo_command(CLI::App& app, const std::vector<std::string>& argv);
Action add_request_command(CLI::App& app);
Action add_models_command(CLI::App& app);
Action add_engines_command(CLI::App& app);
Action add_metrics_command(CLI::App& app);
Action add_suite_command(CLI::App& app);
Action add_history_command(CLI::App& app);
Action add_compare_command(CLI::App& app);
Action add_report_command(CLI::App& app);
Action add_monitor_command(CLI::App& app);

// `llmbench run` options (without "llmbench run") → a RunSpec, as `run` would build it; for
// the suite's runs. Throws CommandError naming a bad option.
app::RunSpec parse_run_options(const std::vector<std::string>& options,
                               const std::vector<std::string>& command_line);

}  // namespace llmbench::cli
