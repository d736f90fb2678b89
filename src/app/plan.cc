#include "app/plan.h"

#include <algorithm>

#include "app/benchmark.h"
#include "app/history.h"
#include "app/outcome.h"
#include "metrics/sweep.h"
#include "report/output_file.h"
#include "workload/workload.h"

namespace llmbench::app {

namespace {

Duration seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace

std::string_view to_string(LevelKind kind) {
  switch (kind) {
    case LevelKind::kSynchronous:
      return "synchronous";
    case LevelKind::kThroughput:
      return "throughput";
    case LevelKind::kRate:
      return "rate";
    case LevelKind::kConcurrency:
      return "concurrency";
    case LevelKind::kRun:
      break;
  }
  return "run";
}

std::vector<LevelPlan> initial_levels(const RunSpec& spec) {
  switch (spec.mode) {
    case LoadMode::kSweep:
      return {{LevelKind::kSynchronous, std::nullopt, 1, false},
              {LevelKind::kThroughput, std::nullopt, spec.concurrency.front(), false}};
    case LoadMode::kConcurrencySteps: {
      std::vector<LevelPlan> plans;
      for (const int c : spec.concurrency) {
        plans.push_back({LevelKind::kConcurrency, std::nullopt, c, false});
      }
      return plans;
    }
    case LoadMode::kOpenLoop:
      // The arrival process or trace as it stands.
      return {{LevelKind::kRun, std::nullopt, std::nullopt, true}};
    case LoadMode::kClosedLoop:
      break;
  }
  return {{LevelKind::kRun, std::nullopt, spec.concurrency.front(), false}};
}

std::vector<LevelPlan> sweep_rate_levels(double synchronous_rate, double throughput_rate,
                                         int steps) {
  std::vector<LevelPlan> plans;
  for (const double rate : metrics::sweep_rates(synchronous_rate, throughput_rate, steps)) {
    plans.push_back({LevelKind::kRate, rate, std::nullopt, false});
  }
  return plans;
}

runner::RunOptions level_options(const RunSpec& spec, const LevelPlan& plan, std::uint32_t level,
                                 std::uint64_t first_id) {
  runner::RunOptions options;
  options.url = spec.url;
  options.threads = spec.threads;
  options.timeouts = spec.timeouts;
  options.tls.verify = spec.tls_verify;
  options.warmup = spec.warmup;
  options.cooldown = spec.cooldown;
  options.retry = spec.retry;
  options.error_limit = spec.error_limit;
  options.level = level;
  options.first_id = first_id;
  options.seed = workload::mix_seed(spec.seed, level);
  const std::optional<double> duration =
      spec.duration ? std::optional<double>(to_seconds(*spec.duration)) : std::nullopt;
  if (plan.open_loop()) {
    std::vector<double> offsets;
    if (plan.scheduled && !spec.trace.empty()) {
      for (const double t : spec.trace) {
        if (spec.requests && offsets.size() >= *spec.requests) break;
        if (duration && t >= *duration) break;
        offsets.push_back(t);
      }
    } else {
      workload::ArrivalOptions arrival = spec.arrival.value_or(workload::ArrivalOptions{});
      if (plan.rate) arrival.rates = {workload::RatePoint{0, *plan.rate}};
      arrival.seed = workload::mix_seed(spec.seed, 1000 + level);
      auto schedule = workload::build_schedule(arrival, spec.requests, duration);
      if (!schedule) throw Failure{kExitUsage, schedule.error().message};
      offsets = std::move(*schedule);
    }
    options.schedule.reserve(offsets.size());
    for (const double t : offsets) options.schedule.push_back(seconds(t));
  } else {
    options.concurrency = plan.concurrency.value_or(spec.concurrency.front());
    options.threads = std::min(spec.threads, options.concurrency);
    options.requests = spec.requests;
  }
  options.duration = spec.duration;
  return options;
}

namespace {

struct NamedOutput {
  const char* option;
  std::filesystem::path path;
  report::OutputTarget target;
};

std::vector<std::pair<const char*, std::filesystem::path>> given_outputs(
    const OutputPaths& outputs) {
  std::vector<std::pair<const char*, std::filesystem::path>> given;
  if (!outputs.json.empty()) given.emplace_back("--output", outputs.json);
  if (outputs.requests_csv) given.emplace_back("--csv", *outputs.requests_csv);
  if (outputs.summary_csv) given.emplace_back("--summary-csv", *outputs.summary_csv);
  if (outputs.html) given.emplace_back("--html", *outputs.html);
  if (outputs.markdown) given.emplace_back("--markdown", *outputs.markdown);
  return given;
}

}  // namespace

void check_outputs(const RunSpec& spec) {
  if (spec.history_db) check_history_db(*spec.history_db);
  std::vector<NamedOutput> outputs;
  if (spec.outputs.json.empty()) {
    const std::filesystem::path json = default_output_path("engine");
    std::error_code ignored;  // a failure shows in the check below
    std::filesystem::create_directories(json.parent_path(), ignored);
    auto target = report::check_output(json);
    if (!target) {
      throw Failure{kExitUsage, "the default --output folder: " + target.error().message};
    }
  }
  for (const auto& [option, path] : given_outputs(spec.outputs)) {
    auto target = report::check_output(path);
    if (!target) throw Failure{kExitUsage, std::string(option) + ": " + target.error().message};
    outputs.push_back({option, path, std::move(*target)});
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (std::size_t j = i + 1; j < outputs.size(); ++j) {
      const NamedOutput& a = outputs[i];
      const NamedOutput& b = outputs[j];
      if (a.target.identity != b.target.identity) continue;
      if (a.target.mode == report::OutputMode::kDescriptor) {
        throw Failure{kExitUsage, std::string(a.option) + " (" + a.path.string() + ") and " +
                                      b.option + " (" + b.path.string() +
                                      ") both write to the same descriptor: only one output "
                                      "may be stdout"};
      }
      if (a.target.character_device) continue;  // /dev/null twice is harmless
      throw Failure{kExitUsage, std::string(a.option) + " and " + b.option +
                                    " are the same file (" + a.path.string() +
                                    "): one would destroy the other"};
    }
  }
  std::vector<std::pair<const char*, std::filesystem::path>> inputs;
  if (spec.dataset) inputs.emplace_back("--dataset", spec.dataset->path);
  if (!spec.trace_path.empty()) inputs.emplace_back("--trace", spec.trace_path);
  if (!spec.tokenizer.empty()) inputs.emplace_back("--tokenizer", spec.tokenizer);
  if (!spec.config_path.empty()) inputs.emplace_back("--config", spec.config_path);
  for (const auto& [input_option, input_path] : inputs) {
    const std::string identity = report::file_identity(input_path);
    for (const NamedOutput& out : outputs) {
      if (out.target.identity != identity || out.target.character_device) continue;
      throw Failure{kExitUsage, std::string(out.option) + " (" + out.path.string() + ") is the " +
                                    input_option + " input (" + input_path.string() +
                                    "): it would be overwritten"};
    }
  }
}

bool writes_to_stdout(const OutputPaths& outputs) {
  const auto outputs_given = given_outputs(outputs);
  return std::ranges::any_of(outputs_given, [](const auto& given) {
    return report::file_identity(given.second) == "fd:1";
  });
}

std::uint64_t requests_known_in_advance(const RunSpec& spec) {
  std::uint64_t n = spec.requests.value_or(0);
  if (spec.mode == LoadMode::kOpenLoop && spec.arrival && spec.rate_schedule_text.empty() &&
      spec.arrival->rates.size() == 1 && spec.duration && !spec.requests) {
    n = static_cast<std::uint64_t>(spec.arrival->rates.front().rate * to_seconds(*spec.duration) *
                                   1.2) +
        16;
  }
  if (spec.mode == LoadMode::kConcurrencySteps && spec.requests) {
    n = *spec.requests * spec.concurrency.size();
  }
  return n;
}

}  // namespace llmbench::app
