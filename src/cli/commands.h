#pragma once
// One function per command. Each registers its options on the CLI11 app and returns the
// action to run once parsing succeeded; the action returns the exit code.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

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

}  // namespace llmbench::cli
