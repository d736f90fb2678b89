#include "app/resolve.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <thread>

#include "app/plan.h"
#include "app/secrets.h"
#include "core/duration_text.h"
#include "core/text.h"

namespace llmbench::app {

namespace {

[[noreturn]] void usage(const std::string& message) { throw Failure{kExitUsage, message}; }

bool is_open_loop(const RunSpec& s) { return s.mode == LoadMode::kOpenLoop; }

// The result's text form of the spec.
ResolvedRunSpec make_record(const RunSpec& s, const std::string& engine_requested) {
  ResolvedRunSpec r;
  r.url = s.url.to_string();
  r.engine = std::string(engines::to_string(s.engine));
  r.engine_requested = engine_requested;
  r.api = engines::api_choice_name(*s.api);
  r.model = s.model;
  r.load_mode = s.mode;
  r.concurrency = s.concurrency.front();
  if (s.mode == LoadMode::kConcurrencySteps) r.concurrency_levels = s.concurrency;
  if (s.arrival) {
    r.arrival = std::string(workload::to_string(s.arrival->kind));
    r.burstiness = s.arrival->burstiness;
    if (s.rate_schedule_text.empty() && s.arrival->rates.size() == 1) {
      r.rate = s.arrival->rates.front().rate;
    }
  }
  r.rate_schedule = s.rate_schedule_text;
  r.trace = s.trace_path.string();
  if (s.mode == LoadMode::kSweep) r.sweep_steps = s.sweep_steps;
  r.warmup = s.warmup_text;
  r.cooldown = s.cooldown_text;
  r.retries = s.retry.max_retries;
  r.retry_backoff = to_seconds(s.retry.base);
  if (s.error_limit) {
    r.max_error_rate = s.error_limit->max_rate;
    r.error_window = s.error_limit->window;
  }
  std::vector<std::string> slos;
  for (const metrics::Slo& slo : s.slos) slos.push_back(metrics::to_string(slo));
  r.slo = fmt::format("{}", fmt::join(slos, ","));
  r.window = to_seconds(s.window);
  r.request_detail = s.request_detail == report::RequestDetail::kFull      ? "full"
                     : s.request_detail == report::RequestDetail::kCompact ? "compact"
                                                                           : "none";
  r.requests = s.requests;
  if (s.duration) r.duration = to_seconds(*s.duration);
  r.threads = s.threads;
  r.prompt_tokens = s.prompt_tokens.describe();
  r.max_tokens = s.max_tokens.describe();
  r.tokenizer = s.tokenizer.string();
  r.token_counting = std::string(to_string(s.token_counting));
  r.prefix_tokens = s.prefix_tokens;
  r.prefix_groups = s.prefix_groups;
  r.turns = s.turns;
  if (s.dataset) {
    r.dataset = s.dataset->path.string();
    r.dataset_format = std::string(workload::to_string(s.dataset->format));
    r.on_bad_record = s.dataset->on_bad_record == workload::OnBadRecord::kFail ? "fail" : "skip";
    r.dataset_sample = s.dataset->sample;
  }
  r.stream = s.stream;
  r.ignore_eos = s.ignore_eos;
  r.temperature = s.temperature;
  r.seed = s.seed;
  r.timeout_connect = to_seconds(s.timeouts.connect);
  r.timeout_first_token = to_seconds(s.timeouts.first_token);
  r.timeout_idle = to_seconds(s.timeouts.idle);
  r.timeout_total = to_seconds(s.timeouts.total);
  r.tls_verify = s.tls_verify;
  r.engine_label = s.engine_label;
  r.scenario = s.scenario;
  if (s.until_stable) {
    r.until_stable = fmt::format("{}:{:g}%:{}", s.until_stable->figure,
                                 s.until_stable->within * 100, s.until_stable->min_requests);
  }
  r.gpu_hourly_cost = s.gpu_hourly_cost;
  r.gpus = s.gpus;
  return r;
}

// A bound as a user reads it: 1000000, not 1e+06.
std::string bound_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e16) return fmt::format("{:.0f}", v);
  return fmt::format("{:g}", v);
}

std::string range_text(const NumberBound& b) {
  std::string text = "[" + bound_text(b.min) + ", " + bound_text(b.max) + "]";
  if (!b.unit.empty()) text += " " + std::string(b.unit);
  return text;
}

// At most 40 bytes of what the user typed, so a pasted file never fills the terminal.
std::string quoted(std::string_view text) {
  constexpr std::size_t kShown = 40;
  if (text.size() <= kShown) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kShown)) + "…' (" + std::to_string(text.size()) +
         " bytes)";
}

[[noreturn]] void not_a_number(const NumberBound& b, std::string_view text, std::string_view what) {
  usage(std::string(b.option) + ": " + quoted(text) + " is not " + std::string(what) + " in " +
        range_text(b));
}

std::string served_list(const std::vector<ModelInfo>& models) {
  std::vector<std::string> ids;
  ids.reserve(models.size());
  for (const ModelInfo& m : models) ids.push_back(m.id);
  return fmt::format("{}", fmt::join(ids, ", "));
}

double in_seconds(Duration d) { return to_seconds(d); }

void check_length(const NumberBound& b, const workload::LengthDistribution& d) {
  if (d.kind == workload::LengthKind::kContextLimit || d.kind == workload::LengthKind::kEmpirical) {
    return;  // from the engine or the dataset
  }
  check_bound(b, static_cast<double>(d.lower_bound()));
  const bool open_tail =
      (d.kind == workload::LengthKind::kNormal || d.kind == workload::LengthKind::kLognormal) &&
      d.max == INT64_MAX;  // draws stop at workload::kMaxDrawn
  check_bound(b, open_tail ? d.a : static_cast<double>(d.upper_bound()));
}

// Every number of the spec within its documented bound (docs/limits.md, "Option bounds"),
// whichever way the spec was made (argv, a suite file, code).
void check_bounds(const RunSpec& s) {
  using namespace bounds;
  check_bound(kConcurrencyLevels,
              static_cast<double>(std::max<std::size_t>(1, s.concurrency.size())));
  for (const int c : s.concurrency) check_bound(kConcurrency, c);
  if (s.arrival) {
    check_bound(kBurstiness, s.arrival->burstiness);
    const bool schedule = s.arrival->rates.size() > 1 || !s.rate_schedule_text.empty();
    for (const workload::RatePoint& p : s.arrival->rates) {
      if (!schedule) {
        check_bound(kRate, p.rate);
        continue;
      }
      check_bound(kScheduleTime, p.at);
      if (p.rate != 0) check_bound(kScheduleRate, p.rate);
    }
  }
  for (const double at : s.trace) {
    if (!(at >= 0 && at <= kMaxRunSeconds)) {
      usage("--trace: an arrival " + bound_text(at) + " s after the first is outside [0, " +
            bound_text(kMaxRunSeconds) + "] s");
    }
  }
  if (s.mode == LoadMode::kSweep) check_bound(kSweepSteps, s.sweep_steps);
  if (s.requests) check_bound(kRequests, static_cast<double>(*s.requests));
  if (s.duration) check_bound(kDuration, in_seconds(*s.duration));
  check_bound(kThreads, s.threads);
  if (s.warmup.requests) check_bound(kWarmupRequests, static_cast<double>(*s.warmup.requests));
  if (s.warmup.time) check_bound(kWarmupTime, in_seconds(*s.warmup.time));
  if (s.cooldown.requests) {
    check_bound(kCooldownRequests, static_cast<double>(*s.cooldown.requests));
  }
  if (s.cooldown.time) check_bound(kCooldownTime, in_seconds(*s.cooldown.time));
  check_bound(kRetries, s.retry.max_retries);
  if (s.retry.max_retries > 0) check_bound(kRetryBackoff, in_seconds(s.retry.base));
  if (s.error_limit) check_bound(kErrorWindow, static_cast<double>(s.error_limit->window));
  for (const metrics::Slo& slo : s.slos) {
    check_bound(kSloThreshold, slo.threshold);
    check_bound(kSloPercentile, slo.quantile * 100);
  }
  check_bound(kWindow, in_seconds(s.window));
  check_bound(kMonitorInterval, in_seconds(s.monitors.interval));
  check_bound(kScrapeInterval, in_seconds(s.monitors.scrape_interval));
  check_bound(kIdleBaseline, in_seconds(s.monitors.idle_baseline));
  if (s.monitors.engine_pid) check_bound(kEnginePid, static_cast<double>(*s.monitors.engine_pid));
  if (s.duration && in_seconds(*s.duration) / in_seconds(s.window) > kWindows.max) {
    usage(fmt::format(
        "--window {}: a {} run would have {:.0f} time-series windows; the most is {} (give "
        "--window {} or more)",
        format_duration(s.window), format_duration(*s.duration),
        std::ceil(in_seconds(*s.duration) / in_seconds(s.window)), bound_text(kWindows.max),
        format_duration(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
            std::ceil(in_seconds(*s.duration) / kWindows.max * 1e3) / 1e3)))));
  }
  check_length(kPromptTokens, s.prompt_tokens);
  check_length(kMaxTokensOption, s.max_tokens);
  check_bound(kPrefixTokens, static_cast<double>(s.prefix_tokens));
  check_bound(kPrefixGroups, s.prefix_groups);
  check_bound(kTurns, s.turns);
  if (s.dataset) check_bound(kDatasetSample, static_cast<double>(s.dataset->sample));
  if (s.temperature) check_bound(kTemperature, *s.temperature);
  check_bound(kTimeout, in_seconds(s.timeouts.total));
  check_bound(kConnectTimeout, in_seconds(s.timeouts.connect));
  check_bound(kFirstTokenTimeout, in_seconds(s.timeouts.first_token));
  check_bound(kIdleTimeout, in_seconds(s.timeouts.idle));
}

}  // namespace

Expected<TokenCounting> parse_token_counting(std::string_view name) {
  for (const TokenCounting c :
       {TokenCounting::kAuto, TokenCounting::kEngine, TokenCounting::kTokenizer,
        TokenCounting::kProbe, TokenCounting::kEstimate}) {
    if (to_string(c) == name) return c;
  }
  return make_error(
      ErrorCode::kInvalidArgument,
      "'" + std::string(name) + "' is not one of auto, engine, tokenizer, probe, estimate");
}

std::string_view to_string(TokenCounting counting) {
  switch (counting) {
    case TokenCounting::kEngine:
      return "engine";
    case TokenCounting::kTokenizer:
      return "tokenizer";
    case TokenCounting::kProbe:
      return "probe";
    case TokenCounting::kEstimate:
      return "estimate";
    case TokenCounting::kAuto:
      break;
  }
  return "auto";
}

void check_bound(const NumberBound& b, double value) {
  if (value >= b.min && value <= b.max) return;
  usage(std::string(b.option) + ": " +
        (std::isnan(value) ? std::string("nan") : bound_text(value)) + " is outside " +
        range_text(b));
}

std::int64_t parse_whole(const NumberBound& b, std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    not_a_number(b, text, "a whole number");
  }
  check_bound(b, static_cast<double>(value));
  return value;
}

std::uint64_t parse_unsigned(const NumberBound& b, std::string_view text) {
  std::uint64_t value = 0;
  // from_chars refuses a sign for an unsigned type: "-1" never wraps to 2^64 − 1.
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    not_a_number(b, text, "a whole number");
  }
  check_bound(b, static_cast<double>(value));
  return value;
}

double parse_real(const NumberBound& b, std::string_view text) {
  const auto value = parse_number(text);  // finite decimals only
  if (!value) not_a_number(b, text, "a number");
  check_bound(b, *value);
  return *value;
}

void check_spec(const RunSpec& s) {
  check_bounds(s);
  const bool open_loop = is_open_loop(s);
  if (s.concurrency.empty() && s.mode == LoadMode::kConcurrencySteps) {
    usage("--concurrency: a stepped run needs a list of levels");
  }
  for (const int c : s.concurrency) {
    if (c < 1) usage("--concurrency: " + std::to_string(c) + " is not a whole number ≥ 1");
  }
  if (s.mode == LoadMode::kConcurrencySteps && s.concurrency.size() < 2) {
    usage("--concurrency: a stepped run needs at least two levels");
  }
  if (s.mode != LoadMode::kConcurrencySteps && s.concurrency.size() > 1) {
    usage(
        "a --concurrency list is a closed-loop run; it cannot be combined with --rate, "
        "--rate-schedule, --trace or --sweep");
  }
  if (open_loop && !s.arrival && s.trace.empty()) {
    usage("an open-loop run needs --rate, --rate-schedule or --trace");
  }
  if (open_loop && s.arrival && !s.trace.empty()) {
    usage("give one of --rate, --rate-schedule and --trace");
  }
  if (s.mode == LoadMode::kSweep &&
      (!s.trace.empty() || (s.arrival && !s.arrival->rates.empty()))) {
    usage("--sweep chooses its own rates: drop --rate/--rate-schedule/--trace");
  }
  if (s.mode == LoadMode::kSweep && s.sweep_steps < 1) usage("--sweep-steps must be ≥ 1");
  if (s.arrival && !(s.arrival->burstiness > 0)) usage("--burstiness must be > 0");
  if (s.retry.max_retries < 0) usage("--retries must be ≥ 0");
  if (s.error_limit) {
    if (!(s.error_limit->max_rate >= 0 && s.error_limit->max_rate < 1)) {
      usage("--max-error-rate is a fraction in [0, 1), e.g. 0.1 for 10%");
    }
    if (s.error_limit->window < 1) usage("--error-window must be ≥ 1");
  }
  if (s.requests && *s.requests == 0) usage("--requests must be at least 1");
  if (!(s.window > Duration::zero())) usage("--window must be > 0");
  if (!open_loop && !s.duration && s.cooldown.time) {
    usage("--cooldown " + s.cooldown_text +
          ": a closed-loop run limited by --requests has no known end time; give the "
          "cool-down as a request count, or use --duration");
  }
  if (!open_loop && s.mode != LoadMode::kSweep && s.duration && !s.requests &&
      s.cooldown.requests) {
    usage("--cooldown " + s.cooldown_text +
          ": a request count needs --requests (or give a duration)");
  }
  if (s.prefix_tokens < 0) usage("--prefix-tokens must be ≥ 0");
  if (s.prefix_groups < 1) usage("--prefix-groups must be ≥ 1");
  if (s.turns < 1) usage("--turns must be ≥ 1");
  if (s.prefix_tokens > 0 && s.prompt_tokens.kind != workload::LengthKind::kContextLimit &&
      s.prompt_tokens.kind != workload::LengthKind::kEmpirical &&
      s.prefix_tokens >= s.prompt_tokens.lower_bound()) {
    usage("--prefix-tokens " + std::to_string(s.prefix_tokens) +
          " leaves no room for a unique part in prompts of " + s.prompt_tokens.describe() +
          " tokens");
  }
  if (s.token_counting == TokenCounting::kTokenizer && s.tokenizer.empty()) {
    usage("--token-counting tokenizer needs --tokenizer FILE");
  }
  if (s.dataset) {
    if (s.dataset->sample < 1) usage("--dataset-sample must be ≥ 1");
    if (s.prefix_tokens > 0) {
      usage("--prefix-tokens shapes synthetic prompts; it does not apply to --dataset");
    }
    if (s.turns > 1 && (s.dataset->format == workload::DatasetFormat::kText ||
                        s.dataset->format == workload::DatasetFormat::kTextSlice)) {
      usage(
          "--turns needs conversations: a sharegpt or jsonl (\"messages\") dataset, or "
          "synthetic prompts");
    }
  }
  const bool from_dataset = s.dataset && s.dataset->format != workload::DatasetFormat::kTextSlice;
  if (!from_dataset && (s.prompt_tokens.kind == workload::LengthKind::kEmpirical ||
                        s.max_tokens.kind == workload::LengthKind::kEmpirical)) {
    usage("'empirical' lengths come from a dataset: give --dataset");
  }
}

IdentifiedEngine identify_engine(const net::Url& url, engines::EngineKind requested,
                                 const net::TlsOptions& tls, EngineDiscovery& discovery,
                                 const net::Timeouts& limits) {
  IdentifiedEngine found;
  if (requested != engines::EngineKind::kAuto) {
    if (auto reachable = discovery.reachable(url, tls, limits); !reachable) {
      throw Failure{kExitUnreachable, reachable.error().message};
    }
    found.kind = requested;
    return found;
  }
  auto info = discovery.identify(url, tls, limits);
  if (!info) throw Failure{kExitUnreachable, info.error().message};
  auto kind = engines::parse_engine_kind(info->engine);
  if (!kind) throw Failure{kExitUsage, kind.error().message};
  found.kind = *kind;
  found.info = std::move(*info);
  return found;
}

ResolvedRun resolve(const RunSpec& spec, EngineDiscovery& discovery, RunObserver& observer) {
  check_spec(spec);
  register_run_secrets(spec);  // before any traffic: every later message is redacted
  check_outputs(spec);         // plan.h: before anything is sent
  ResolvedRun run;
  RunSpec& s = run.spec;
  s = spec;

  // Defaults that depend on the rest of the spec.
  if (s.concurrency.empty()) s.concurrency = {s.mode == LoadMode::kSweep ? 64 : 1};
  if (!s.requests && !s.duration) {
    if (s.mode == LoadMode::kSweep) {
      s.duration = std::chrono::seconds(30);
    } else if (s.trace.empty()) {
      // --until-stable decides the length; this only bounds a figure that never settles.
      s.requests = s.until_stable ? kUntilStableMaxRequests : 100;
    }
  }
  if (s.mode == LoadMode::kSweep && !s.arrival) s.arrival = workload::ArrivalOptions{};
  const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  if (s.threads <= 0) s.threads = cores;
  if (!is_open_loop(s)) {
    const int most_users = *std::max_element(s.concurrency.begin(), s.concurrency.end());
    s.threads = std::min(s.threads, most_users);
  }

  // The engine: what it is, then which models it serves.
  net::TlsOptions tls;
  tls.verify = s.tls_verify;
  const std::string requested(engines::to_string(spec.engine));
  IdentifiedEngine identified = identify_engine(s.url, s.engine, tls, discovery, s.timeouts);
  s.engine = identified.kind;
  std::vector<ModelInfo> served;
  if (identified.info) {
    served = identified.info->models;
    run.engine_info = std::move(identified.info);
  } else if (s.model.empty() || engines::selects_model_by_name(s.engine)) {
    if (auto listed = discovery.models(s.url, s.engine, tls, s.timeouts); listed) {
      served = std::move(*listed);
    }
  }
  if (!s.api) s.api = engines::default_api(s.engine);
  if (s.model.empty()) {
    if (served.empty()) {
      throw Failure{kExitUsage,
                    "--model not given and " + s.url.to_string() + " lists no model; pass --model"};
    }
    s.model = served.front().id;
  } else if (engines::selects_model_by_name(s.engine) && !served.empty() &&
             !engines::serves_model(s.engine, served, s.model)) {
    // Every request would fail (HTTP 404/400): refuse before sending any.
    throw Failure{kExitUsage, "model '" + s.model + "' is not served by " + s.url.to_string() +
                                  "; it serves: " + served_list(served)};
  }
  if (run.engine_info) {
    observer.note("engine: " + run.engine_info->engine +
                  (run.engine_info->version.empty() ? "" : " " + run.engine_info->version) +
                  " (detected by " + run.engine_info->detected_by + "), model " + s.model +
                  ", api " + engines::api_choice_name(*s.api));
  }
  run.record = make_record(s, requested);
  return run;
}

}  // namespace llmbench::app
