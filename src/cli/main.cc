// llmbench: benchmark LLM inference engines. This file maps parsing and command errors to
// exit codes; each command lives in its own file.

#include <sys/resource.h>

#include <csignal>
#include <exception>
#include <iostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "core/redact.h"

namespace {

// Thousands of concurrent streams need thousands of sockets: lift the soft descriptor limit
// to the hard one, as load generators do, instead of failing at connection 1021.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int run_main(int argc, char** argv) {
  using namespace llmbench::cli;
  raise_open_file_limit();
  // A closed stdout (`llmbench run … | head -1`) is EPIPE on the write, not death by SIGPIPE
  // half-way through writing the result files: they are finished and temporaries removed.
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string> args(argv, argv + argc);
  CLI::App app{
      "llmbench — benchmark LLM inference engines (Ollama, vLLM, TGI, llama.cpp, "
      "SGLang, any OpenAI-compatible server) with identical workloads."};
  app.footer(
      "Examples:\n"
      "  llmbench demo                                   # simulated engine, end to end\n"
      "  llmbench sim --port 8000 --ttft 50ms --itl 10ms  # run the simulated engine\n"
      "  llmbench run --url http://localhost:8000 --model m --concurrency 8 --requests 200\n"
      "  llmbench request --url http://localhost:11434            # one request, every figure\n"
      "  llmbench engines health                                   # configs/engines/*.yaml\n"
      "  llmbench models list --url http://localhost:11434\n"
      "  llmbench metrics show                                     # the last result\n"
      "  llmbench suite configs/scenarios/quick_test.yaml --url http://localhost:8000\n"
      "  llmbench compare base.json new.json --max-regression 5%      # the regression gate\n"
      "  llmbench report results/run.json --html run.html            # charts, opens offline\n"
      "  llmbench history list                                     # every run stored\n"
      "\nExit codes: 0 ok, 1 check failed (compare: a gate failed), 2 bad usage, 3 engine "
      "unreachable, 4 every request "
      "failed, 5 a result file not written (records kept), 130 interrupted.");
  app.require_subcommand(1);
  app.set_version_flag("--version", LLMBENCH_VERSION);

  const Action run = add_run_command(app, args);
  const Action sim = add_sim_command(app);
  const Action demo = add_demo_command(app, args);
  const Action request = add_request_command(app);
  const Action models = add_models_command(app);
  const Action engines = add_engines_command(app);
  const Action metrics = add_metrics_command(app);
  const Action suite = add_suite_command(app);
  const Action history = add_history_command(app);
  const Action compare = add_compare_command(app);
  const Action report = add_report_command(app);
  const Action monitor = add_monitor_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    if (app.got_subcommand("run")) return run();
    if (app.got_subcommand("sim")) return sim();
    if (app.got_subcommand("demo")) return demo();
    if (app.got_subcommand("request")) return request();
    if (app.got_subcommand("models")) return models();
    if (app.got_subcommand("engines")) return engines();
    if (app.got_subcommand("metrics")) return metrics();
    if (app.got_subcommand("suite")) return suite();
    if (app.got_subcommand("history")) return history();
    if (app.got_subcommand("compare")) return compare();
    if (app.got_subcommand("report")) return report();
    if (app.got_subcommand("monitor")) return monitor();
  } catch (const CommandError& e) {
    std::cerr << "llmbench: " << llmbench::redact(e.message) << "\n";
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "llmbench: internal error: " << llmbench::redact(e.what()) << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // What run_main() lets through ends the process as an exception escaping main() would.
  try {
    return run_main(argc, argv);
  } catch (...) {
    std::terminate();
  }
}
