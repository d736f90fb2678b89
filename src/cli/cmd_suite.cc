// `llmbench suite FILE`: a scenario suite (configs/scenarios/*.yaml), one run per variant (the
// `run` options of each made into a RunSpec), each with its own result file, and a suite summary
// beside them.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "app/benchmark.h"
#include "app/plan.h"
#include "app/report.h"
#include "app/resolve.h"
#include "app/secrets.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "config/scenario.h"
#include "core/duration_text.h"
#include "core/redact.h"
#include "net/url.h"
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

// One engine of a multi-engine suite: its name and the options that point a run at it.
struct SuiteEngine {
  std::string name;
  std::vector<std::string> options;  // {"--engine", NAME} (with --config) or {"--url", URL}
};

// One run of the suite: which variant, engine and repetition, its options, where its result
// goes, and its spec as `run` makes it.
struct PlannedRun {
  std::size_t variant = 0;            // index into the suite's runs
  std::optional<std::size_t> engine;  // index into the engines (multi-engine suites)
  int repetition = 1;                 // 1-based
  std::vector<std::string> options;
  std::filesystem::path result;
  app::RunSpec spec;
};

// "host:port" of a --url, the name of its engine in a multi-engine suite (never its query or
// credentials).
std::string engine_name_of(const std::string& url) {
  const auto parsed = net::parse_url(url);
  if (!parsed) throw CommandError{kExitUsage, "--url: " + parsed.error().message};
  return parsed->host + ":" + std::to_string(parsed->port);
}

// Takes every `--url X` (or `--url=X`) out of `extras`, in order.
std::vector<std::string> take_urls(std::vector<std::string>& extras) {
  std::vector<std::string> urls;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < extras.size(); ++i) {
    if (extras[i] == "--url" && i + 1 < extras.size()) {
      urls.push_back(extras[++i]);
    } else if (extras[i].rfind("--url=", 0) == 0) {
      urls.push_back(extras[i].substr(6));
    } else {
      rest.push_back(extras[i]);
    }
  }
  extras = std::move(rest);
  return urls;
}

bool has_option(const std::vector<std::string>& options, std::string_view name) {
  return std::ranges::any_of(options, [&](const std::string& o) {
    return o == name || o.rfind(std::string(name) + "=", 0) == 0;
  });
}

// Waits `pause` unless the suite is interrupted first.
void cool_down(Duration pause, const app::CancellationToken& cancel) {
  const auto until = std::chrono::steady_clock::now() + pause;
  while (!cancel.cancelled() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

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
RunEnd run_once(const PlannedRun& planned, bool verbose, const ProgressOptions& progress,
                app::CancellationToken& cancel) {
  RunEnd end;
  try {
    TerminalObserver notes(!verbose);
    app::NetworkDiscovery discovery;
    const app::ResolvedRun run = app::resolve(planned.spec, discovery, notes);
    if (cancel.cancelled()) return {kExitInterrupted, "interrupted before the run started", {}};
    const PrintedRun printed = run_and_print(run, !verbose, progress, cancel, verbose);
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
  struct Args {
    std::string file, output_dir, engines, order = "interleaved", cooldown_between, html;
    std::string progress_interval;
    int repeat = 1;
    bool dry_run = false, verbose = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "suite",
      "Run a scenario suite (configs/scenarios/*.yaml): one run per variant, engine "
      "and repetition");
  cmd->footer(
      "Every option of `llmbench run` not listed here is passed to each run (a scenario's own "
      "settings win over them, a suite's defaults do not). Several engines get byte-identical "
      "requests: the same options and seed, and a workload fingerprint in every result that "
      "is checked across them.\n"
      "Examples:\n"
      "  llmbench suite configs/scenarios/quick_test.yaml --url http://localhost:8000\n"
      "  llmbench suite configs/scenarios/comprehensive.yaml --url http://localhost:11434 \\\n"
      "      --model llama3.2:3b --output-dir results/llama3.2\n"
      "  llmbench suite configs/scenarios/quick_test.yaml --config configs/engines \\\n"
      "      --engines vllm,tgi,ollama --repeat 5 --cooldown-between 10s\n"
      "  llmbench suite configs/scenarios/quick_test.yaml --url http://a:8000 --url http://b:8000\n"
      "  llmbench suite configs/scenarios/stress_test.yaml --dry-run   # the runs it would do\n");
  cmd->add_option("file", args->file, "Suite file (YAML)")->required();
  cmd->add_option("--output-dir", args->output_dir,
                  "Where the result of each run and suite.json go (default "
                  "results/suite-<timestamp>)");
  cmd->add_option("--engines", args->engines,
                  "Configured engines to run every scenario against, comma-separated (with "
                  "--config); or give --url once per engine");
  cmd->add_option("--repeat", args->repeat,
                  "Repetitions of every scenario variant per engine (1-1000); compare them "
                  "with `llmbench compare`")
      ->capture_default_str();
  cmd->add_option("--order", args->order,
                  "interleaved: a1 b1 c1 a2 b2 c2… so drift hits every engine alike; "
                  "sequential: a1 a2… b1 b2…")
      ->capture_default_str();
  cmd->add_option("--cooldown-between", args->cooldown_between,
                  "Pause between consecutive runs (e.g. 10s), so one run's tail does not load "
                  "the next");
  cmd->add_option("--html", args->html,
                  "Also write one HTML report of the suite: its runs and, with several engines, "
                  "each against the first");
  cmd->add_flag("--dry-run", args->dry_run, "Validate the file and print the runs, run nothing");
  cmd->add_flag("--verbose", args->verbose,
                "Print each run's full summary (and its figures as `ollama run --verbose` "
                "prints them)");
  add_progress_interval_option(cmd, &args->progress_interval);
  cmd->allow_extras();
  return [cmd, args]() -> int {
    const Args& a = *args;
    if (a.repeat < 1 || a.repeat > 1000) {
      throw CommandError{kExitUsage,
                         "--repeat: must be 1 to 1000, got " + std::to_string(a.repeat)};
    }
    if (a.order != "interleaved" && a.order != "sequential") {
      throw CommandError{kExitUsage, "--order: '" + a.order + "' is not interleaved or sequential"};
    }
    const Duration plain_interval = progress_interval(a.progress_interval);
    Duration pause{};
    if (!a.cooldown_between.empty()) {
      auto d = parse_duration(a.cooldown_between);
      if (!d) throw CommandError{kExitUsage, "--cooldown-between: " + d.error().message};
      if (*d > std::chrono::hours(1)) {
        throw CommandError{kExitUsage, "--cooldown-between: at most 1h"};
      }
      pause = *d;
    }
    auto suite = config::load_suite(a.file);
    if (!suite) throw CommandError{kExitUsage, suite.error().message};
    std::vector<std::string> extras = cmd->remaining();

    // The engines: configured names, or one per --url; a single --url is a one-engine suite.
    std::vector<SuiteEngine> engines;
    const std::vector<std::string> urls = take_urls(extras);
    if (!a.engines.empty()) {
      if (!urls.empty()) {
        throw CommandError{kExitUsage,
                           "--engines names configured engines: give --config, not --url"};
      }
      if (has_option(extras, "--engine")) {
        throw CommandError{kExitUsage, "--engine: not with --engines (which names the engines)"};
      }
      if (!has_option(extras, "--config")) {
        throw CommandError{kExitUsage,
                           "--engines: needs --config FILE|DIR, where the engines are configured"};
      }
      for (std::string_view rest = a.engines; !rest.empty();) {
        const std::size_t comma = rest.find(',');
        const std::string name(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (name.empty()) throw CommandError{kExitUsage, "--engines: an empty name"};
        if (std::ranges::any_of(engines, [&](const SuiteEngine& e) { return e.name == name; })) {
          throw CommandError{kExitUsage, "--engines: '" + name + "' is named twice"};
        }
        engines.push_back({name, {"--engine", name}});
      }
    } else if (urls.size() == 1) {
      extras.insert(extras.begin(), {"--url", urls.front()});
    } else if (urls.size() > 1) {
      for (const std::string& url : urls) {
        std::string name = engine_name_of(url);
        if (std::ranges::any_of(engines, [&](const SuiteEngine& e) { return e.name == name; })) {
          throw CommandError{kExitUsage, "--url: " + name + " is given twice"};
        }
        engines.push_back({std::move(name), {"--url", url}});
      }
    }
    const bool several = !engines.empty() || a.repeat > 1;
    // Byte-identical prompts for every engine: lengths made exact by each engine's own count
    // would give each engine its own prompts. A local tokenizer counts the same for all.
    if (engines.size() > 1 && !has_option(extras, "--token-counting") &&
        !has_option(extras, "--tokenizer")) {
      extras.insert(extras.end(), {"--token-counting", "estimate"});
      std::cerr << "note: every engine gets the same prompts, their lengths estimated (each "
                   "engine's own count would change the prompts per engine); the engines' "
                   "counts are in each result. Pass --tokenizer FILE for exact lengths\n";
    }

    std::vector<std::vector<std::string>> variants;
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
      variants.push_back(std::move(options));
    }
    const std::filesystem::path dir =
        a.output_dir.empty()
            ? std::filesystem::path("results") / ("suite-" + app::timestamp_for_files())
            : std::filesystem::path(a.output_dir);
    app::ReportOutputs html;
    if (!a.html.empty()) {
      html.html = a.html;
      app::check_report_outputs(html);
    }
    if (!a.dry_run) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec || !std::filesystem::is_directory(dir)) {
        throw CommandError{kExitUsage, "--output-dir: cannot create " + dir.string() + ": " +
                                           (ec ? ec.message() : "it is not a folder")};
      }
    }
    // The runs in the order they go: per variant, interleaved (a1 b1 a2 b2) or sequential
    // (a1 a2 b1 b2) over engines and repetitions.
    std::vector<PlannedRun> planned;
    const std::size_t engine_count = std::max<std::size_t>(engines.size(), 1);
    for (std::size_t v = 0; v < variants.size(); ++v) {
      const auto reps = static_cast<std::size_t>(a.repeat);
      for (std::size_t k = 0; k < reps * engine_count; ++k) {
        PlannedRun run;
        run.variant = v;
        const std::size_t e = a.order == "interleaved" ? k % engine_count : k / reps;
        run.repetition =
            static_cast<int>(a.order == "interleaved" ? k / engine_count : k % reps) + 1;
        if (!engines.empty()) run.engine = e;
        run.options = variants[v];
        if (run.engine) {
          const auto& more = engines[e].options;
          run.options.insert(run.options.begin(), more.begin(), more.end());
        }
        const config::SuiteRun& r = suite->runs[v];
        std::string name =
            fmt::format("{:02}-{}-{}", v + 1, file_part(r.scenario), file_part(r.variant));
        if (run.engine) name += "-" + file_part(engines[e].name);
        if (several) name += fmt::format("-r{}", run.repetition);
        run.result = dir / (name + ".json");
        planned.push_back(std::move(run));
      }
    }
    // Every run is checked before the first starts, a dry run as a real one: a bad option or
    // value in any run is exit 2 before anything is sent.
    std::vector<std::string> problems;
    std::error_code ignored;
    const bool check_paths = std::filesystem::is_directory(dir, ignored);
    for (PlannedRun& run : planned) {
      const config::SuiteRun& r = suite->runs[run.variant];
      try {
        run.spec = plan_run(run.options, run.result, check_paths);
        run.spec.scenario = r.scenario + "/" + r.variant;
        if (run.engine) run.spec.engine_label = engines[*run.engine].name;
      } catch (const CommandError& e) {
        const std::string problem =
            fmt::format("run {} ({} {}{}): {}", run.variant + 1, r.scenario, r.variant,
                        run.engine ? ", " + engines[*run.engine].name : std::string(), e.message);
        if (std::ranges::find(problems, problem) == problems.end()) problems.push_back(problem);
      }
    }
    if (!problems.empty()) {
      for (std::size_t i = 0; i + 1 < problems.size(); ++i) {
        std::cerr << "llmbench: " << problems[i] << "\n";
      }
      throw CommandError{kExitUsage, problems.back()};
    }
    std::cout << suite->name << " (" << a.file << "): " << suite->runs.size() << " variants";
    if (!engines.empty()) std::cout << " × " << engines.size() << " engines";
    if (a.repeat > 1) std::cout << " × " << a.repeat << " repetitions (" << a.order << ")";
    std::cout << ", " << planned.size() << " runs\n";
    if (a.dry_run) {
      for (std::size_t i = 0; i < planned.size(); ++i) {
        const PlannedRun& run = planned[i];
        register_secrets_of(run.options);
        std::cout << fmt::format("  {:>3}. {:<18} {:<16} llmbench run {}\n", i + 1,
                                 suite->runs[run.variant].scenario,
                                 suite->runs[run.variant].variant,
                                 redact(fmt::format("{}", fmt::join(run.options, " "))));
      }
      return kExitOk;
    }

    // One bridge for the whole suite: a signal between runs stops it as one during a run does.
    app::CancellationToken cancel;
    const SignalBridge signals([&cancel] { cancel.cancel(); });
    Json index;
    index["suite"] = suite->name;
    index["description"] = suite->description;
    index["file"] = a.file;
    if (!engines.empty()) {
      index["engines"] = Json::array();
      for (const SuiteEngine& e : engines) index["engines"].push_back({{"name", e.name}});
    }
    index["repeat"] = a.repeat;
    index["order"] = a.order;
    index["cooldown_between"] =
        a.cooldown_between.empty() ? Json(nullptr) : Json(a.cooldown_between);
    index["runs"] = Json::array();
    int exit_code = kExitOk;
    const std::string engine_column = engines.empty() ? "" : fmt::format("{:<16}", "engine");
    std::cout << fmt::format("{:<5}{:<18}{:<16}{}{:>8}{:>11}{:>11}{:>11}{:>11}{:>12}\n", "#",
                             "scenario", "variant", engine_column, "ok", "TTFT p50", "ITL p50",
                             "E2E p50", "req/s", "out tok/s");
    // Per variant, each engine's fingerprint as its first result stated it.
    std::map<std::size_t, std::vector<std::pair<std::string, Json>>> fingerprints;
    // Each run's dashboard says which run of the suite it is; --no-progress or --quiet among
    // the runs' options turn it off as they do for `run`.
    const auto progress_of = [&](std::size_t i) {
      const PlannedRun& run = planned[i];
      ProgressOptions progress;
      progress.enabled = !has_option(run.options, "--no-progress") &&
                         !has_option(run.options, "--quiet") && !has_option(run.options, "-q");
      progress.plain_interval = plain_interval;
      metrics::LiveRunPosition& where = progress.run.emplace();
      where.index = i;
      where.count = planned.size();
      if (run.engine) where.engine = engines[*run.engine].name;
      if (a.repeat > 1) where.repetition = run.repetition;
      return progress;
    };
    for (std::size_t i = 0; i < planned.size(); ++i) {
      const PlannedRun& run = planned[i];
      const config::SuiteRun& r = suite->runs[run.variant];
      Json entry;
      entry["scenario"] = r.scenario;
      entry["variant"] = r.variant;
      entry["engine"] = run.engine ? Json(engines[*run.engine].name) : Json(nullptr);
      entry["repetition"] = run.repetition;
      entry["source"] = r.source;
      entry["options"] = run.options;
      if (cancel.cancelled()) {  // every planned run has its line, run or not
        entry["exit_code"] = nullptr;
        entry["error"] = "not run: the suite was interrupted";
        entry["result"] = nullptr;
        entry["fingerprint"] = nullptr;
        entry["summary"] = nullptr;
        index["runs"].push_back(std::move(entry));
        continue;
      }
      if (i > 0 && pause > Duration::zero()) cool_down(pause, cancel);
      const RunEnd end = cancel.cancelled()
                             ? RunEnd{kExitInterrupted, "not run: the suite was interrupted", {}}
                             : run_once(run, a.verbose, progress_of(i), cancel);
      entry["exit_code"] = end.code;
      entry["error"] = end.error ? Json(*end.error) : Json(nullptr);
      entry["result"] = end.result ? Json(end.result->string()) : Json(nullptr);
      Json summary = Json::object();
      Json fingerprint = nullptr;
      if (end.result) {
        std::ifstream in(*end.result);
        const Json j = Json::parse(in, nullptr, false);
        if (!j.is_discarded() && j.contains("summary") && j["summary"].is_object()) {
          summary = j["summary"];
        }
        if (!j.is_discarded() && j.contains("workload") && j["workload"].is_object()) {
          fingerprint = j["workload"].value("fingerprint", Json(nullptr));
        }
      }
      entry["fingerprint"] =
          fingerprint.is_object() ? fingerprint.value("workload", Json(nullptr)) : Json(nullptr);
      if (fingerprint.is_object() && run.engine) {
        auto& seen = fingerprints[run.variant];
        const std::string& name = engines[*run.engine].name;
        if (std::ranges::none_of(seen, [&](const auto& f) { return f.first == name; })) {
          seen.emplace_back(name, fingerprint);
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
      const std::string label =
          several ? fmt::format("{}.{}", run.variant + 1, run.repetition) : std::to_string(i + 1);
      const std::string engine_cell =
          run.engine ? fmt::format("{:<16}", engines[*run.engine].name) : std::string();
      std::cout << fmt::format("{:<5}{:<18}{:<16}{}{:>8}{:>11}{:>11}{:>11}{:>11}{:>12}\n", label,
                               r.scenario, r.variant, engine_cell, ok, ms("ttft"), ms("itl"),
                               ms("e2e_latency"), number("request_throughput", "{:.2f}"),
                               number("output_token_throughput", "{:.1f}"))
                << std::flush;
      index["runs"].push_back(std::move(entry));
      exit_code = std::max(exit_code, end.code);          // the worst: the highest code
      if (end.code == kExitInterrupted) cancel.cancel();  // Ctrl-C stops the suite
    }
    if (cancel.cancelled()) exit_code = std::max<int>(exit_code, kExitInterrupted);
    // Identity is checked, not assumed: engines that were sent different workloads for one
    // variant (a per-engine token count that changed the prompts) are named.
    Json mismatches = Json::array();
    for (const auto& [variant, seen] : fingerprints) {
      for (std::size_t e = 1; e < seen.size(); ++e) {
        const Json& first = seen.front().second;
        const Json& other = seen[e].second;
        if (first.value("workload", "") == other.value("workload", "")) continue;
        std::vector<std::string> parts;
        for (const char* part : {"prompts", "lengths", "load"}) {
          if (first.value(part, "") != other.value(part, "")) parts.emplace_back(part);
        }
        const config::SuiteRun& r = suite->runs[variant];
        const std::string line = fmt::format(
            "warning: {} {}: {} and {} were sent different workloads ({} differ); pass "
            "--tokenizer or --token-counting estimate for identical prompts",
            r.scenario, r.variant, seen.front().first, seen[e].first, fmt::join(parts, ", "));
        std::cerr << line << "\n";
        mismatches.push_back(line.substr(9));
      }
    }
    index["fingerprint_mismatches"] = std::move(mismatches);
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
    if (!engines.empty()) {
      std::cout << "compare them: llmbench compare " << dir.string() << "\n";
    }
    if (html.any()) {
      std::vector<std::string> errors;
      try {
        app::write_report_outputs(app::suite_report(index_path), html, errors);
      } catch (const app::Failure& f) {
        errors.push_back("--html: " + f.message);
      }
      for (const std::string& error : errors) std::cerr << "llmbench: " << error << "\n";
      if (!errors.empty()) return std::max<int>(exit_code, app::kExitNotWritten);
      std::cout << "wrote " << a.html << "\n";
    }
    return exit_code;
  };
}

}  // namespace llmbench::cli
