// `llmbench suite FILE`: a scenario suite (configs/scenarios/*.yaml), one run per variant (the
// `run` options of each made into a RunSpec), each with its own result file, and a suite summary
// beside them.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/benchmark.h"
#include "app/plan.h"
#include "app/resolve.h"
#include "app/secrets.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "config/scenario.h"
#include "core/redact.h"
#include "report/output_file.h"

namespace llmbench::cli {

namespace {

using Json = nlohmann::ordered_json;

// Options that take no value; every other "--name" is followed by its value (unless given as
// "--name=value").
bool is_flag(const std::string& option) {
  return option == "--stream" || option == "--no-stream" || option == "--no-ignore-eos" ||
         option == "--insecure" || option == "--quiet" || option == "-q" ||
         option == "--no-progress" || option == "--sweep" || option == "--no-store" ||
         option.find('=') != std::string::npos;
}

// Appends `options` to `merged`, a later option replacing an earlier one of the same name
// (--stream and --no-stream count as one).
void merge(std::vector<std::pair<std::string, std::string>>& merged,
           const std::vector<std::string>& options) {
  auto key = [](const std::string& name) {
    const std::string bare = name.substr(0, name.find('='));
    return bare == "--no-stream" ? std::string("--stream") : bare;
  };
  for (std::size_t i = 0; i < options.size(); ++i) {
    const std::string& name = options[i];
    std::string value;
    if (!is_flag(name) && i + 1 < options.size()) value = options[++i];
    std::erase_if(merged, [&](const auto& kv) { return key(kv.first) == key(name); });
    merged.emplace_back(name, value);
  }
}

std::string file_part(std::string text) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  }
  return text;
}

// One run of the suite: its options, where its result goes, and its spec as `run` makes it.
struct PlannedRun {
  std::vector<std::string> options;
  std::filesystem::path result;
  app::RunSpec spec;
};

// Parses and checks one run exactly as `llmbench run` would before contacting anything
// (CLI parsing, the spec's own checks, and its output paths when `check_paths`). Throws
// CommandError(2).
app::RunSpec plan_run(const std::vector<std::string>& options, const std::filesystem::path& result,
                      bool check_paths) {
  std::vector<std::string> command_line{"llmbench", "run"};
  command_line.insert(command_line.end(), options.begin(), options.end());
  command_line.insert(command_line.end(), {"--output", result.string()});
  app::RunSpec spec = parse_run_options(options, command_line);
  spec.outputs.json = result;
  app::check_spec(spec);
  if (check_paths) app::check_outputs(spec);
  return spec;
}

// What one run came to, for suite.json.
struct RunEnd {
  int code = kExitOk;
  std::optional<std::string> error;
  std::optional<std::filesystem::path> result;
};

// Resolves and runs one planned run; every way it can end is an exit code and a message, so
// the suite goes on with the next run.
RunEnd run_once(const PlannedRun& planned, bool verbose, app::CancellationToken& cancel) {
  RunEnd end;
  try {
    TerminalObserver notes(!verbose, false);
    app::NetworkDiscovery discovery;
    const app::ResolvedRun run = app::resolve(planned.spec, discovery, notes);
    if (cancel.cancelled()) return {kExitInterrupted, "interrupted before the run started", {}};
    const PrintedRun printed = run_and_print(run, !verbose, false, cancel);
    end.code = printed.exit_code;
    for (const auto& path : printed.written) {
      if (path == planned.result) end.result = path;
    }
    if (!printed.errors.empty()) end.error = fmt::format("{}", fmt::join(printed.errors, "; "));
  } catch (const CommandError& e) {
    std::cerr << "llmbench: " << redact(e.message) << "\n";
    end.code = e.code;
    end.error = redact(e.message);
  } catch (const std::exception& e) {
    std::cerr << "llmbench: internal error: " << redact(e.what()) << "\n";
    end.code = kExitUsage;
    end.error = redact(std::string("internal error: ") + e.what());
  }
  return end;
}

// A dry run resolves nothing, yet what it prints (each run's options, --url with its query) is
// redacted as a run's output is: the run's secrets are registered as resolve() would.
void register_secrets_of(const std::vector<std::string>& options) {
  try {
    app::register_run_secrets(parse_run_options(options, {}));
  } catch (const CommandError&) {
    // A run that would not start has nothing to register; the dry run lists it as given.
  }
}

Json stat(const Json& summary, const char* metric, const char* which) {
  if (!summary.contains(metric) || !summary[metric].is_object() ||
      !summary[metric].contains(which)) {
    return nullptr;
  }
  return summary[metric][which];
}

}  // namespace

Action add_suite_command(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto output_dir = std::make_shared<std::string>();
  auto dry_run = std::make_shared<bool>(false);
  auto verbose = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "suite", "Run a scenario suite (configs/scenarios/*.yaml): one run per variant");
  cmd->footer(
      "Every option of `llmbench run` not listed here is passed to each run (a scenario's own "
      "settings win over them, a suite's defaults do not).\n"
      "Examples:\n"
      "  llmbench suite configs/scenarios/quick_test.yaml --url http://localhost:8000\n"
      "  llmbench suite configs/scenarios/comprehensive.yaml --url http://localhost:11434 \\\n"
      "      --model llama3.2:3b --output-dir results/llama3.2\n"
      "  llmbench suite configs/scenarios/stress_test.yaml --dry-run   # the runs it would do\n");
  cmd->add_option("file", *file, "Suite file (YAML)")->required();
  cmd->add_option("--output-dir", *output_dir,
                  "Where the result of each run and suite.json go (default "
                  "results/suite-<timestamp>)");
  cmd->add_flag("--dry-run", *dry_run, "Validate the file and print the runs, run nothing");
  cmd->add_flag("--verbose", *verbose, "Print each run's full summary");
  cmd->allow_extras();
  return [cmd, file, output_dir, dry_run, verbose]() -> int {
    auto suite = config::load_suite(*file);
    if (!suite) throw CommandError{kExitUsage, suite.error().message};
    const std::vector<std::string> extras = cmd->remaining();

    std::vector<std::vector<std::string>> runs;
    for (const config::SuiteRun& r : suite->runs) {
      std::vector<std::pair<std::string, std::string>> merged;
      merge(merged, r.defaults);
      merge(merged, extras);
      merge(merged, r.options);
      std::vector<std::string> options;
      for (const auto& [name, value] : merged) {
        options.push_back(name);
        if (!value.empty()) options.push_back(value);
      }
      runs.push_back(std::move(options));
    }
    const std::filesystem::path dir =
        output_dir->empty()
            ? std::filesystem::path("results") / ("suite-" + app::timestamp_for_files())
            : std::filesystem::path(*output_dir);
    if (!*dry_run) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec || !std::filesystem::is_directory(dir)) {
        throw CommandError{kExitUsage, "--output-dir: cannot create " + dir.string() + ": " +
                                           (ec ? ec.message() : "it is not a folder")};
      }
    }
    // Every run is checked before the first starts, a dry run as a real one: a bad option or
    // value in any run is exit 2 before anything is sent.
    std::vector<PlannedRun> planned;
    std::vector<std::string> problems;
    std::error_code ignored;
    const bool check_paths = std::filesystem::is_directory(dir, ignored);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const config::SuiteRun& r = suite->runs[i];
      const std::filesystem::path result =
          dir / fmt::format("{:02}-{}-{}.json", i + 1, file_part(r.scenario), file_part(r.variant));
      try {
        planned.push_back({runs[i], result, plan_run(runs[i], result, check_paths)});
      } catch (const CommandError& e) {
        problems.push_back(
            fmt::format("run {} ({} {}): {}", i + 1, r.scenario, r.variant, e.message));
      }
    }
    if (!problems.empty()) {
      for (std::size_t i = 0; i + 1 < problems.size(); ++i) {
        std::cerr << "llmbench: " << problems[i] << "\n";
      }
      throw CommandError{kExitUsage, problems.back()};
    }
    std::cout << suite->name << " (" << *file << "): " << suite->runs.size() << " runs\n";
    if (*dry_run) {
      for (std::size_t i = 0; i < runs.size(); ++i) {
        register_secrets_of(runs[i]);
        std::cout << fmt::format("  {:>2}. {:<18} {:<16} llmbench run {}\n", i + 1,
                                 suite->runs[i].scenario, suite->runs[i].variant,
                                 redact(fmt::format("{}", fmt::join(runs[i], " "))));
      }
      return kExitOk;
    }

    // One bridge for the whole suite: a signal between runs stops it as one during a run does.
    app::CancellationToken cancel;
    const SignalBridge signals([&cancel] { cancel.cancel(); });
    Json index;
    index["suite"] = suite->name;
    index["description"] = suite->description;
    index["file"] = *file;
    index["runs"] = Json::array();
    int exit_code = kExitOk;
    std::cout << fmt::format("{:<4}{:<18}{:<16}{:>8}{:>11}{:>11}{:>11}{:>11}{:>12}\n", "#",
                             "scenario", "variant", "ok", "TTFT p50", "ITL p50", "E2E p50", "req/s",
                             "out tok/s");
    for (std::size_t i = 0; i < planned.size(); ++i) {
      const config::SuiteRun& r = suite->runs[i];
      Json entry;
      entry["scenario"] = r.scenario;
      entry["variant"] = r.variant;
      entry["source"] = r.source;
      entry["options"] = planned[i].options;
      if (cancel.cancelled()) {  // every scenario has its line, run or not
        entry["exit_code"] = nullptr;
        entry["error"] = "not run: the suite was interrupted";
        entry["result"] = nullptr;
        entry["summary"] = nullptr;
        index["runs"].push_back(std::move(entry));
        continue;
      }
      const RunEnd end = run_once(planned[i], *verbose, cancel);
      entry["exit_code"] = end.code;
      entry["error"] = end.error ? Json(*end.error) : Json(nullptr);
      entry["result"] = end.result ? Json(end.result->string()) : Json(nullptr);
      Json summary = Json::object();
      if (end.result) {
        std::ifstream in(*end.result);
        const Json j = Json::parse(in, nullptr, false);
        if (!j.is_discarded() && j.contains("summary") && j["summary"].is_object()) {
          summary = j["summary"];
        }
      }
      auto ms = [&](const char* metric) {
        const Json v = stat(summary, metric, "p50");
        return v.is_number() ? fmt::format("{:.1f}", v.get<double>() * 1e3) : std::string("-");
      };
      auto number = [&](const char* field, const char* format) {
        return summary.contains(field) && summary[field].is_number()
                   ? fmt::format(fmt::runtime(format), summary[field].get<double>())
                   : std::string("-");
      };
      entry["summary"] = {
          {"requests", summary.value("requests", Json(nullptr))},
          {"succeeded", summary.value("succeeded", Json(nullptr))},
          {"ttft_p50", stat(summary, "ttft", "p50")},
          {"itl_p50", stat(summary, "itl", "p50")},
          {"e2e_p50", stat(summary, "e2e_latency", "p50")},
          {"request_throughput", summary.value("request_throughput", Json(nullptr))},
          {"output_token_throughput", summary.value("output_token_throughput", Json(nullptr))},
          {"prompt_length_mismatch_rate",
           summary.value("prompt_length_mismatch_rate", Json(nullptr))}};
      const std::string ok =
          summary.contains("succeeded")
              ? fmt::format("{}/{}", summary["succeeded"].dump(), summary["requests"].dump())
              : "exit " + std::to_string(end.code);
      std::cout << fmt::format("{:<4}{:<18}{:<16}{:>8}{:>11}{:>11}{:>11}{:>11}{:>12}\n", i + 1,
                               r.scenario, r.variant, ok, ms("ttft"), ms("itl"), ms("e2e_latency"),
                               number("request_throughput", "{:.2f}"),
                               number("output_token_throughput", "{:.1f}"))
                << std::flush;
      index["runs"].push_back(std::move(entry));
      exit_code = std::max(exit_code, end.code);          // the worst: the highest code
      if (end.code == kExitInterrupted) cancel.cancel();  // Ctrl-C stops the suite
    }
    if (cancel.cancelled()) exit_code = std::max<int>(exit_code, kExitInterrupted);
    const std::filesystem::path index_path = dir / "suite.json";
    redact_json(index);  // each run's options: --url with its query
    if (auto written = report::write_output(
            index_path, index.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
        !written) {
      std::cerr << "llmbench: " << written.error().message << "\n";
      return std::max<int>(exit_code, app::kExitNotWritten);
    }
    std::size_t results = 0;
    for (const Json& run : index["runs"])
      if (run["result"].is_string()) ++results;
    std::cout << "wrote " << index_path.string() << " and " << results << " result files\n";
    return exit_code;
  };
}

}  // namespace llmbench::cli
