// `llmbench run`: one benchmark run against an engine.

#include <algorithm>
#include <charconv>
#include <iostream>
#include <thread>

#include "app/resolve.h"
#include "app/run_spec.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "config/engine_config.h"
#include "core/duration_text.h"
#include "core/text.h"
#include "engines/registry.h"
#include "metrics/slo.h"
#include "report/report.h"
#include "runner/runner.h"
#include "workload/arrival.h"
#include "workload/dataset.h"
#include "workload/lengths.h"

namespace llmbench::cli {

namespace {

struct RunArgs {
  std::string until_stable;
  std::string gpu_hourly_cost;
  std::string gpus;
  std::string url;
  std::string engine = "auto";
  std::string api;  // empty: the engine's default (native where it has a native route)
  std::string keep_alive;
  std::string model;
  std::string concurrency = "1";
  std::string rate;
  std::string arrival = "poisson";
  std::string burstiness = "1";
  std::string rate_schedule;
  std::string trace;
  bool sweep = false;
  std::string sweep_steps = "8";
  std::string warmup;
  std::string cooldown;
  std::string retries = "0";
  std::string retry_backoff = "100ms";
  std::string max_error_rate;
  std::string error_window = "100";
  std::string slo;
  std::string window = "1s";
  std::string request_detail = "full";
  std::string requests;
  std::string duration;
  std::string prompt_tokens = "128";
  std::string max_tokens = "128";
  std::string tokenizer;
  std::string token_counting = "auto";
  std::string prefix_tokens = "0";
  std::string prefix_groups = "1";
  std::string turns = "1";
  std::string dataset;
  std::string dataset_format;
  std::string on_bad_record = "skip";
  std::string dataset_sample = "10000";
  bool stream = true;
  bool ignore_eos = true;
  std::string threads = "0";
  std::string seed = "0";
  std::string temperature;
  std::string output;
  std::string csv;
  std::string summary_csv;
  std::string html, markdown;
  bool no_progress = false;
  bool quiet = false;
  std::string timeout;  // empty: the config's `timeout`, else none (docs/limits.md)
  std::string connect_timeout = format_duration(net::kDefaultConnectTimeout);
  std::string first_token_timeout = format_duration(net::kDefaultFirstTokenTimeout);
  std::string idle_timeout = format_duration(net::kDefaultIdleTimeout);
  bool insecure = false;
  std::string api_key_env = "OPENAI_API_KEY";
  std::string config;
  std::string db;  // empty: store::default_db_path()
  bool no_store = false;
  // The monitors (docs/monitors.md).
  bool no_monitor = false;
  bool no_gpu_monitor = false;
  bool no_scrape = false;
  std::string monitor_interval = "100ms";
  std::string scrape_interval = "1s";
  std::string metrics_url;
  std::string engine_pid;
  std::string idle_baseline;
};

Duration duration_option(std::string_view option, const std::string& text) {
  if (text.empty()) return Duration::zero();
  auto d = parse_duration(text);
  if (!d) throw CommandError{kExitUsage, std::string(option) + ": " + d.error().message};
  return *d;
}

// The options of `run` (also what a suite's runs are made of).
void add_run_options(CLI::App* cmd, RunArgs* args) {
  cmd->footer(
      "Examples:\n"
      "  llmbench run --url http://localhost:8000 --model meta-llama/Llama-3.1-8B-Instruct \\\n"
      "      --concurrency 16 --requests 500 --prompt-tokens 512 --max-tokens 128\n"
      "  llmbench run --url http://localhost:11434 --model llama3.2 --api openai-chat --duration "
      "60s\n"
      "  llmbench run --url http://localhost:8080 --no-stream --concurrency 4 --output r.json\n"
      "  llmbench run --url http://localhost:8000 --rate 20 --arrival poisson --duration 2m \\\n"
      "      --warmup 15s --slo ttft:p99<=500ms,tpot:p90<=50ms     # open loop, goodput\n"
      "  llmbench run --url http://localhost:8000 --sweep --duration 30s   # find the max rate\n"
      "  llmbench run --url http://localhost:8000 --concurrency 1,8,32,128 --requests 200\n"
      "  llmbench run --config configs/engines --engine vllm --requests 100   # a configured "
      "engine\n"
      "  llmbench run --url http://localhost:11434 --tokenizer ./Llama-3.1-8B/tokenizer.json \\\n"
      "      --prompt-tokens uniform:100:500 --max-tokens lognormal:200:0.5:10:1000\n"
      "  llmbench run --url http://localhost:8000 --prefix-tokens 1000 --prefix-groups 4 \\\n"
      "      --prompt-tokens 1200 --concurrency 8      # prefix-cache scenario\n"
      "  llmbench run --url http://localhost:8000 --api openai-chat --turns 5 --concurrency 4\n");
  cmd->add_option(
      "--url", args->url,
      "Engine base URL (http:// or https://); optional with --config and --engine NAME");
  cmd->add_option("--config", args->config,
                  "Engine config file or folder: --engine then names a configured engine, whose "
                  "base_url, type, model, timeout, headers and auth.api_key_env apply");
  cmd->add_option("--engine", args->engine,
                  "auto|openai|vllm|tgi|llamacpp|sglang|ollama; auto probes the URL and names "
                  "the engine, its version and models")
      ->capture_default_str();
  cmd->add_option("--api", args->api,
                  "native|native-chat|openai-completions|openai-chat (default: native for "
                  "Ollama, TGI, llama.cpp, SGLang; openai-completions otherwise)");
  cmd->add_option("--keep-alive", args->keep_alive,
                  "Ollama: keep the model loaded this long after each request (e.g. 30m)");
  cmd->add_option("--model", args->model, "Model name (default: first of GET /v1/models)");
  cmd->add_option("--concurrency,-c", args->concurrency,
                  "Closed loop: requests in flight; a list (1,4,16) runs one level per entry; "
                  "with --sweep, the throughput level's concurrency (default 64)")
      ->capture_default_str();
  cmd->add_option("--rate", args->rate,
                  "Open loop: requests per second, sent on schedule whatever the engine does");
  cmd->add_option("--arrival", args->arrival, "Open loop: constant|poisson|gamma")
      ->capture_default_str();
  cmd->add_option("--burstiness", args->burstiness,
                  "Gamma shape: < 1 burstier than Poisson, > 1 more regular")
      ->capture_default_str();
  cmd->add_option("--rate-schedule", args->rate_schedule,
                  "Open loop: piecewise-linear rate TIME:RATE,… e.g. \"0:10,30s:50,60s:10\" "
                  "(ramp 10→50 req/s over 30 s, down to 10 by 60 s, then held)");
  cmd->add_option("--trace", args->trace,
                  "Open loop: replay arrival times (seconds, one per line) from this file");
  cmd->add_flag("--sweep", args->sweep,
                "Sweep: a synchronous level, a throughput level, then --sweep-steps open-loop "
                "rates between them; reports the maximum sustainable rate and the knee");
  cmd->add_option("--sweep-steps", args->sweep_steps, "Rate levels of a sweep")
      ->capture_default_str();
  cmd->add_option("--warmup", args->warmup,
                  "Leave the first requests out of the statistics: a duration (10s) or a count");
  cmd->add_option("--cooldown", args->cooldown,
                  "Leave the last requests out of the statistics: a duration (5s) or a count");
  cmd->add_option("--retries", args->retries,
                  "Retry connect errors, 429 and 502/503/504 up to N times (exponential back-off "
                  "with jitter, honouring Retry-After); counted in the result")
      ->capture_default_str();
  cmd->add_option("--retry-backoff", args->retry_backoff, "First back-off of --retries")
      ->capture_default_str();
  cmd->add_option("--max-error-rate", args->max_error_rate,
                  "Stop the run when more than this fraction (0..1) of the last --error-window "
                  "requests failed");
  cmd->add_option("--error-window", args->error_window, "Requests in the --max-error-rate window")
      ->capture_default_str();
  cmd->add_option("--slo", args->slo,
                  "Service-level objectives, e.g. ttft:p99<=200ms,tpot:p90<=50ms: each is checked "
                  "and goodput counts requests meeting all");
  cmd->add_option("--until-stable", args->until_stable,
                  "End each level once a statistic is stable: METRIC.PCT:WITHIN%[:MIN_REQUESTS], "
                  "e.g. ttft.p99:5% (its 95% CI within 5% of it, checked every --window, never "
                  "before 100 requests); without --requests/--duration at most 10000 requests");
  cmd->add_option("--gpu-hourly-cost", args->gpu_hourly_cost,
                  "Price of one GPU-hour (any currency): adds cost per million output tokens and "
                  "per thousand requests to the summary (or gpu_hourly_cost in an engine config)");
  cmd->add_option("--gpus", args->gpus,
                  "GPUs the engine runs on, for --gpu-hourly-cost and tokens per GPU-second "
                  "(default 1, or gpus in an engine config)");
  cmd->add_option("--window", args->window, "Width of the time-series windows")
      ->capture_default_str();
  cmd->add_option("--monitor-interval", args->monitor_interval,
                  "Sample the GPUs (NVML), the host and the engine's process this often "
                  "(10ms-1h; NVML's own utilization lags 0.3-0.6 s)")
      ->capture_default_str();
  cmd->add_option("--scrape-interval", args->scrape_interval,
                  "Scrape the engine's /metrics this often (100ms-1h; Ollama: /api/ps)")
      ->capture_default_str();
  cmd->add_option("--metrics-url", args->metrics_url,
                  "The engine's Prometheus metrics, when not at its URL's /metrics (TGI's own "
                  "port: http://host:9000/metrics)");
  cmd->add_option("--engine-pid", args->engine_pid,
                  "The engine's process on this machine (default: the one listening on the "
                  "URL's port, when the URL is local); its process tree is monitored");
  cmd->add_option("--idle-baseline", args->idle_baseline,
                  "Before the run, measure the GPUs' power at rest this long (5s); energy above "
                  "it is reported beside the total (at most 10m)");
  cmd->add_flag("--no-monitor", args->no_monitor,
                "No monitors at all: no GPU, host, process or engine-metrics readings");
  cmd->add_flag("--no-gpu-monitor", args->no_gpu_monitor, "Do not read the GPUs (NVML)");
  cmd->add_flag("--no-scrape", args->no_scrape, "Do not scrape the engine's /metrics");
  cmd->add_option("--request-detail", args->request_detail,
                  "Per-request data in the result: full, compact (no per-token lists) or none "
                  "(summary and time series only) — for runs of millions of requests")
      ->capture_default_str();
  cmd->add_option("--requests,-n", args->requests,
                  "Stop after this many requests (default 100 when --duration is not given)");
  cmd->add_option("--duration,-d", args->duration,
                  "Stop starting requests after this long (30s, 5m)");
  cmd->add_option("--prompt-tokens", args->prompt_tokens,
                  "Prompt length in tokens: N, uniform:MIN:MAX, normal:MEAN:SD[:MIN:MAX], "
                  "lognormal:MEDIAN:SIGMA[:MIN:MAX], short|medium|long, context-limit")
      ->capture_default_str();
  cmd->add_option("--max-tokens", args->max_tokens,
                  "Output tokens per request: N or a distribution as for --prompt-tokens")
      ->capture_default_str();
  cmd->add_option("--tokenizer", args->tokenizer,
                  "Count prompt tokens with this tokenizer.json / tokenizer.model (or a model "
                  "directory holding one) when the engine has no /tokenize route");
  cmd->add_option("--token-counting", args->token_counting,
                  "How prompt lengths are made exact: auto (engine /tokenize, else --tokenizer, "
                  "else Ollama probes, else estimate), engine, tokenizer, probe, estimate")
      ->capture_default_str();
  cmd->add_option("--dataset", args->dataset,
                  "Prompts from a file instead of synthetic ones: ShareGPT JSON, JSONL "
                  "({\"prompt\":…,\"max_tokens\":…} or {\"messages\":[…]}) or text (a prompt "
                  "per line); read as a stream");
  cmd->add_option("--dataset-format", args->dataset_format,
                  "sharegpt, jsonl, text (a prompt per line) or text-slice (the corpus cut into "
                  "prompts of --prompt-tokens tokens); default: from the file name");
  cmd->add_option("--on-bad-record", args->on_bad_record,
                  "A malformed dataset record: skip (counted, first ones named with their line) "
                  "or fail")
      ->capture_default_str();
  cmd->add_option("--dataset-sample", args->dataset_sample,
                  "Records kept from the dataset, chosen uniformly by --seed (bounds memory)")
      ->capture_default_str();
  cmd->add_option("--prefix-tokens", args->prefix_tokens,
                  "Start every prompt with one of --prefix-groups shared prefixes of this many "
                  "tokens (prefix-cache scenarios); counted in --prompt-tokens");
  cmd->add_option("--prefix-groups", args->prefix_groups, "Distinct shared prefixes")
      ->capture_default_str();
  cmd->add_option("--turns", args->turns,
                  "Turns per conversation: each turn resends the history (earlier prompts and "
                  "replies) plus a new prompt; a closed-loop user sends a conversation's turns "
                  "in order")
      ->capture_default_str();
  cmd->add_flag("--stream,!--no-stream", args->stream, "Stream tokens (default) or not");
  cmd->add_flag("!--no-ignore-eos", args->ignore_eos,
                "Do not ask the engine to ignore end-of-sequence (lengths then vary)");
  cmd->add_option("--threads", args->threads, "Client worker threads (default: CPU cores)");
  cmd->add_option("--seed", args->seed, "Seed for prompts and sampling")->capture_default_str();
  cmd->add_option("--temperature", args->temperature, "Sampling temperature sent to the engine");
  cmd->add_option("--output,-o", args->output,
                  "Result JSON (default results/<timestamp>-<engine>.json)");
  cmd->add_option("--csv", args->csv, "Also write per-request CSV here");
  cmd->add_option("--summary-csv", args->summary_csv, "Also write summary CSV (metric,stat,value)");
  cmd->add_option("--html", args->html,
                  "Also write the report: one HTML file with charts that opens offline");
  cmd->add_option("--markdown", args->markdown, "Also write the report's summary as Markdown");
  add_history_options(cmd, &args->db, &args->no_store);
  cmd->add_flag("--no-progress", args->no_progress,
                "No live dashboard (terminal) or progress lines (otherwise)");
  cmd->add_flag("--quiet,-q", args->quiet, "Print nothing but errors");
  cmd->add_option("--timeout", args->timeout,
                  "Total time limit per request, connect included (none by default)");
  cmd->add_option("--connect-timeout", args->connect_timeout,
                  "TCP+TLS connect limit (none: no limit)")
      ->capture_default_str();
  cmd->add_option("--first-token-timeout", args->first_token_timeout,
                  "Limit from request written to first token (none: no limit)")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", args->idle_timeout,
                  "Limit on silence between response bytes after the first token (none: no limit)")
      ->capture_default_str();
  cmd->add_flag("--insecure", args->insecure, "Do not verify TLS certificates");
  cmd->add_option("--api-key-env", args->api_key_env,
                  "Environment variable holding the API key (sent as Bearer; never printed)")
      ->capture_default_str();
}

// argv (as parsed into `a`) → RunSpec: every value typed and checked on its own; the spec as
// a whole is checked by app::resolve(). Throws CommandError naming the option.
app::RunSpec to_run_spec(const RunArgs& given, const CLI::App& cmd,
                         const std::vector<std::string>& argv) {
  RunArgs a = given;
  app::RunSpec spec;
  std::optional<double> configured_cost;
  std::optional<int> configured_gpus;
  if (!a.config.empty()) {  // --engine names a configured engine
    auto configs = config::load_engine_configs(a.config);
    if (!configs) throw CommandError{kExitUsage, configs.error().message};
    const auto found =
        std::find_if(configs->begin(), configs->end(),
                     [&a](const config::EngineConfig& c) { return c.name == a.engine; });
    if (found == configs->end()) {
      throw CommandError{kExitUsage, "--engine: no engine named '" + a.engine + "' in " + a.config};
    }
    if (a.url.empty()) a.url = found->base_url;
    a.engine = found->type;
    if (a.model.empty() && found->model) a.model = *found->model;
    if (a.timeout.empty()) a.timeout = format_duration(found->timeout);
    if (found->api_key_env && cmd.count("--api-key-env") == 0) a.api_key_env = *found->api_key_env;
    for (const auto& [name, value] : found->headers) spec.headers.push_back({name, value});
    configured_cost = found->gpu_hourly_cost;
    configured_gpus = found->gpus;
  }
  if (a.url.empty()) {
    throw CommandError{kExitUsage, "--url is required (or --config FILE --engine NAME)"};
  }
  auto url = net::parse_url(a.url);
  if (!url) throw CommandError{kExitUsage, "--url: " + url.error().message};
  spec.url = *url;
  auto kind = engines::parse_engine_kind(a.engine);
  if (!kind) throw CommandError{kExitUsage, "--engine: " + kind.error().message};
  spec.engine = *kind;
  if (!a.api.empty()) {
    auto api = engines::parse_api_choice(a.api);
    if (!api) throw CommandError{kExitUsage, "--api: " + api.error().message};
    spec.api = *api;
  }
  spec.model = a.model;
  if (!a.keep_alive.empty()) spec.keep_alive = a.keep_alive;
  const std::uint64_t seed = app::parse_unsigned(app::bounds::kSeed, a.seed);

  std::vector<int> levels;
  const std::vector<std::string_view> items = split(a.concurrency, ',');
  levels.reserve(items.size());
  app::check_bound(app::bounds::kConcurrencyLevels, static_cast<double>(items.size()));
  for (const std::string_view item : items) {
    levels.push_back(static_cast<int>(app::parse_whole(app::bounds::kConcurrency, item)));
  }
  if (levels.empty()) throw CommandError{kExitUsage, "--concurrency is empty"};
  const bool open_loop = !a.rate.empty() || !a.rate_schedule.empty() || !a.trace.empty();
  if ((a.rate.empty() ? 0 : 1) + (a.rate_schedule.empty() ? 0 : 1) + (a.trace.empty() ? 0 : 1) >
      1) {
    throw CommandError{kExitUsage, "give one of --rate, --rate-schedule and --trace"};
  }
  spec.mode = a.sweep             ? LoadMode::kSweep
              : open_loop         ? LoadMode::kOpenLoop
              : levels.size() > 1 ? LoadMode::kConcurrencySteps
                                  : LoadMode::kClosedLoop;
  // A sweep's throughput level defaults to 64 users (resolve()) unless --concurrency is given.
  spec.concurrency = a.sweep && cmd.count("--concurrency") == 0 ? std::vector<int>{} : levels;
  if (open_loop || a.sweep) {
    auto arrival_kind = workload::parse_arrival_kind(a.arrival);
    if (!arrival_kind) throw CommandError{kExitUsage, "--arrival: " + arrival_kind.error().message};
    workload::ArrivalOptions arrival;
    arrival.kind = *arrival_kind;
    arrival.burstiness = app::parse_real(app::bounds::kBurstiness, a.burstiness);
    arrival.seed = seed;
    if (!a.rate.empty()) {
      arrival.rates = {workload::RatePoint{0, app::parse_real(app::bounds::kRate, a.rate)}};
    }
    if (!a.rate_schedule.empty()) {
      auto points = workload::parse_rate_schedule(a.rate_schedule);
      if (!points) throw CommandError{kExitUsage, points.error().message};
      arrival.rates = *points;
      spec.rate_schedule_text = a.rate_schedule;
    }
    if (a.trace.empty()) spec.arrival = arrival;
  }
  if (!a.trace.empty()) {
    auto trace = workload::load_trace(a.trace);
    if (!trace) throw CommandError{kExitUsage, "--trace: " + trace.error().message};
    spec.trace = std::move(*trace);
    spec.trace_path = a.trace;
  }
  spec.sweep_steps = static_cast<int>(app::parse_whole(app::bounds::kSweepSteps, a.sweep_steps));
  if (!a.requests.empty()) spec.requests = app::parse_unsigned(app::bounds::kRequests, a.requests);
  if (!a.duration.empty()) spec.duration = duration_option("--duration", a.duration);
  spec.threads = static_cast<int>(app::parse_whole(app::bounds::kThreads, a.threads));
  auto phase = [](std::string_view option, const std::string& text) {
    runner::PhaseLimit limit;
    if (text.empty()) return limit;
    if (text.find_first_not_of("0123456789") == std::string::npos) {
      limit.requests = app::parse_unsigned(
          option == "--warmup" ? app::bounds::kWarmupRequests : app::bounds::kCooldownRequests,
          text);
    } else {
      limit.time = duration_option(option, text);
    }
    return limit;
  };
  spec.warmup = phase("--warmup", a.warmup);
  spec.cooldown = phase("--cooldown", a.cooldown);
  spec.warmup_text = a.warmup;
  spec.cooldown_text = a.cooldown;
  spec.retry.max_retries = static_cast<int>(app::parse_whole(app::bounds::kRetries, a.retries));
  spec.retry.base = duration_option("--retry-backoff", a.retry_backoff);
  if (!a.max_error_rate.empty()) {
    const auto rate = parse_number(a.max_error_rate);
    if (!rate || !(*rate >= 0 && *rate < 1)) {
      throw CommandError{kExitUsage, "--max-error-rate: '" + a.max_error_rate.substr(0, 40) +
                                         "' is not a fraction in [0, 1), e.g. 0.1 for 10%"};
    }
    spec.error_limit = runner::ErrorLimit{*rate, static_cast<std::size_t>(app::parse_unsigned(
                                                     app::bounds::kErrorWindow, a.error_window))};
  }
  if (!a.slo.empty()) {
    auto slos = metrics::parse_slos(a.slo);
    if (!slos) throw CommandError{kExitUsage, slos.error().message};
    spec.slos = std::move(*slos);
  }
  auto detail = report::parse_request_detail(a.request_detail);
  if (!detail) throw CommandError{kExitUsage, "--request-detail: " + detail.error().message};
  spec.request_detail = *detail;
  spec.window = duration_option("--window", a.window);
  spec.monitors.enabled = !a.no_monitor;
  spec.monitors.gpu = !a.no_gpu_monitor;
  spec.monitors.scrape = !a.no_scrape;
  spec.monitors.interval = duration_option("--monitor-interval", a.monitor_interval);
  spec.monitors.scrape_interval = duration_option("--scrape-interval", a.scrape_interval);
  spec.monitors.idle_baseline = duration_option("--idle-baseline", a.idle_baseline);
  if (!a.engine_pid.empty()) {
    spec.monitors.engine_pid = app::parse_whole(app::bounds::kEnginePid, a.engine_pid);
  }
  // A library of another name or place (tests load a fake one).
  if (const char* library = std::getenv("LLMBENCH_NVML_LIBRARY"); library && *library) {
    spec.monitors.nvml_library = library;
  }
  if (!a.metrics_url.empty()) {
    auto metrics_url = net::parse_url(a.metrics_url);
    if (!metrics_url) {
      throw CommandError{kExitUsage, "--metrics-url: " + metrics_url.error().message};
    }
    spec.monitors.metrics_url = std::move(*metrics_url);
  }
  if (!a.until_stable.empty()) {
    auto target = metrics::parse_stability_target(a.until_stable);
    if (!target) throw CommandError{kExitUsage, "--until-stable: " + target.error().message};
    spec.until_stable = std::move(*target);
  }
  if (!a.gpu_hourly_cost.empty()) {
    spec.gpu_hourly_cost = app::parse_real(app::bounds::kGpuHourlyCost, a.gpu_hourly_cost);
  } else if (configured_cost) {
    spec.gpu_hourly_cost = configured_cost;
  }
  if (!a.gpus.empty()) {
    spec.gpus = static_cast<int>(app::parse_whole(app::bounds::kGpus, a.gpus));
  } else if (configured_gpus) {
    spec.gpus = configured_gpus;
  }
  auto prompt_length =
      workload::parse_length_distribution(a.prompt_tokens, workload::LengthOf::kPrompt);
  if (!prompt_length) {
    throw CommandError{kExitUsage, "--prompt-tokens: " + prompt_length.error().message};
  }
  spec.prompt_tokens = *prompt_length;
  auto output_length =
      workload::parse_length_distribution(a.max_tokens, workload::LengthOf::kOutput);
  if (!output_length) {
    throw CommandError{kExitUsage, "--max-tokens: " + output_length.error().message};
  }
  spec.max_tokens = *output_length;
  spec.tokenizer = a.tokenizer;
  auto counting = app::parse_token_counting(a.token_counting);
  if (!counting) throw CommandError{kExitUsage, "--token-counting: " + counting.error().message};
  spec.token_counting = *counting;
  spec.prefix_tokens = app::parse_whole(app::bounds::kPrefixTokens, a.prefix_tokens);
  spec.prefix_groups =
      static_cast<int>(app::parse_whole(app::bounds::kPrefixGroups, a.prefix_groups));
  spec.turns = static_cast<int>(app::parse_whole(app::bounds::kTurns, a.turns));
  if (!a.dataset.empty()) {
    auto format = a.dataset_format.empty()
                      ? Expected<workload::DatasetFormat>(workload::guess_dataset_format(a.dataset))
                      : workload::parse_dataset_format(a.dataset_format);
    if (!format) throw CommandError{kExitUsage, "--dataset-format: " + format.error().message};
    if (a.on_bad_record != "skip" && a.on_bad_record != "fail") {
      throw CommandError{kExitUsage,
                         "--on-bad-record: '" + a.on_bad_record + "' is not skip or fail"};
    }
    spec.dataset = app::DatasetChoice{
        a.dataset, *format,
        a.on_bad_record == "fail" ? workload::OnBadRecord::kFail : workload::OnBadRecord::kSkip,
        app::parse_unsigned(app::bounds::kDatasetSample, a.dataset_sample)};
  }
  spec.stream = a.stream;
  spec.ignore_eos = a.ignore_eos;
  if (!a.temperature.empty()) {
    spec.temperature = app::parse_real(app::bounds::kTemperature, a.temperature);
  }
  spec.seed = seed;
  spec.tls_verify = !a.insecure;
  // A limit is turned off by writing `none`; 0 is refused, as it would fail every request.
  const auto timeout_option = [](std::string_view option, const std::string& text) {
    if (text.empty() || text == "none") return Duration::zero();
    const Duration d = duration_option(option, text);
    if (d <= Duration::zero()) {
      throw CommandError{kExitUsage, std::string(option) + ": '" + text +
                                         "' would fail every request; write none for no limit"};
    }
    return d;
  };
  spec.timeouts.total = timeout_option("--timeout", a.timeout);
  spec.timeouts.connect = timeout_option("--connect-timeout", a.connect_timeout);
  spec.timeouts.first_token = timeout_option("--first-token-timeout", a.first_token_timeout);
  spec.timeouts.idle = timeout_option("--idle-timeout", a.idle_timeout);
  if (const char* key = std::getenv(a.api_key_env.c_str()); key && *key) spec.api_key = key;
  spec.outputs.json = a.output;
  if (!a.csv.empty()) spec.outputs.requests_csv = a.csv;
  if (!a.summary_csv.empty()) spec.outputs.summary_csv = a.summary_csv;
  if (!a.html.empty()) spec.outputs.html = a.html;
  if (!a.markdown.empty()) spec.outputs.markdown = a.markdown;
  spec.config_path = a.config;
  spec.history_db = history_db(a.db, a.no_store);
  spec.command_line = argv;
  return spec;
}

}  // namespace

app::RunSpec parse_run_options(const std::vector<std::string>& options,
                               const std::vector<std::string>& command_line) {
  RunArgs args;
  CLI::App cmd{"llmbench run"};
  add_run_options(&cmd, &args);
  std::vector<std::string> reversed(options.rbegin(), options.rend());
  try {
    cmd.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw CommandError{kExitUsage, e.what()};
  }
  return to_run_spec(args, cmd, command_line);
}

Action add_run_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run one benchmark against an engine");
  add_run_options(cmd, args.get());
  // Only `run`'s own: a suite has its own --verbose and --progress-interval.
  auto interval = std::make_shared<std::string>();
  auto verbose = std::make_shared<bool>(false);
  add_progress_interval_option(cmd, interval.get());
  cmd->add_flag("--verbose", *verbose,
                "After the summary, the run's figures as `ollama run --verbose` prints them "
                "(means per successful request)");
  return [args, cmd, argv, interval, verbose]() -> int {
    if (!cmd->parsed()) return kExitUsage;
    ProgressOptions progress;
    progress.plain_interval = progress_interval(*interval);  // checked before any traffic
    progress.enabled = !args->no_progress && !args->quiet;
    const app::RunSpec spec = to_run_spec(*args, *cmd, argv);
    TerminalObserver notes(args->quiet);
    app::NetworkDiscovery discovery;
    const app::ResolvedRun run = app::resolve(spec, discovery, notes);
    return run_and_print(run, args->quiet, progress, *verbose);
  };
}

}  // namespace llmbench::cli
