// `llmbench run`: one benchmark run against an engine.

#include <algorithm>
#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/app.h"
#include "cli/commands.h"
#include "config/engine_config.h"
#include "core/duration_text.h"
#include "core/text.h"
#include "engines/registry.h"
#include "workload/dataset.h"
#include "workload/lengths.h"

namespace llmbench::cli {

namespace {

struct RunArgs {
  std::string url;
  std::string engine = "auto";
  std::string api;  // empty: the engine's default (native where it has a native route)
  std::string keep_alive;
  std::string model;
  std::string concurrency = "1";
  std::optional<double> rate;
  std::string arrival = "poisson";
  double burstiness = 1;
  std::string rate_schedule;
  std::string trace;
  bool sweep = false;
  int sweep_steps = 8;
  std::string warmup;
  std::string cooldown;
  int retries = 0;
  std::string retry_backoff = "100ms";
  std::optional<double> max_error_rate;
  std::size_t error_window = 100;
  std::string slo;
  std::string window = "1s";
  std::string request_detail = "full";
  std::optional<std::uint64_t> requests;
  std::string duration;
  std::string prompt_tokens = "128";
  std::string max_tokens = "128";
  std::string tokenizer;
  std::string token_counting = "auto";
  std::int64_t prefix_tokens = 0;
  int prefix_groups = 1;
  int turns = 1;
  std::string dataset;
  std::string dataset_format;
  std::string on_bad_record = "skip";
  std::uint64_t dataset_sample = 10'000;
  bool stream = true;
  bool ignore_eos = true;
  int threads = 0;
  std::uint64_t seed = 0;
  std::optional<double> temperature;
  std::string output;
  std::string csv;
  std::string summary_csv;
  bool no_progress = false;
  bool quiet = false;
  std::string timeout;
  std::string connect_timeout = "10s";
  std::string first_token_timeout;
  std::string idle_timeout;
  bool insecure = false;
  std::string api_key_env = "OPENAI_API_KEY";
  std::string config;
};

Duration duration_option(std::string_view option, const std::string& text) {
  if (text.empty()) return Duration::zero();
  auto d = parse_duration(text);
  if (!d) throw CommandError{kExitUsage, std::string(option) + ": " + d.error().message};
  return *d;
}

// The first model id the engine lists on /v1/models, for users who did not name one.
std::string discover_model(const net::Url& url, bool verify) {
  net::HttpRequest request;
  request.method = "GET";
  request.target = url.base_path;
  if (request.target.size() < 3 || request.target.substr(request.target.size() - 3) != "/v1") {
    request.target += "/v1";
  }
  request.target += "/models";
  net::TlsOptions tls;
  tls.verify = verify;
  auto response = net::fetch(url, request, std::chrono::seconds(10), tls);
  if (!response) {
    throw CommandError{
        response.error().code == ErrorCode::kUnreachable ? kExitUnreachable : kExitUsage,
        response.error().message};
  }
  const auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (response->status == 200 && json.is_object() && json.contains("data") &&
      json["data"].is_array() && !json["data"].empty() && json["data"][0].contains("id") &&
      json["data"][0]["id"].is_string()) {
    return json["data"][0]["id"].get<std::string>();
  }
  throw CommandError{kExitUsage, "--model not given and " + url.to_string() + request.target +
                                     " named no model (HTTP " + std::to_string(response->status) +
                                     "); pass --model"};
}

}  // namespace

Action add_run_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run one benchmark against an engine");
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
                  "Open loop: requests per second, sent on schedule whatever the engine does")
      ->check(CLI::PositiveNumber);
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
  cmd->add_option("--window", args->window, "Width of the time-series windows")
      ->capture_default_str();
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
  cmd->add_flag("--no-progress", args->no_progress, "No live progress line");
  cmd->add_flag("--quiet,-q", args->quiet, "Print nothing but errors");
  cmd->add_option("--timeout", args->timeout, "Total time limit per request (none by default)");
  cmd->add_option("--connect-timeout", args->connect_timeout, "TCP+TLS connect limit")
      ->capture_default_str();
  cmd->add_option("--first-token-timeout", args->first_token_timeout,
                  "Limit from request sent to first response byte");
  cmd->add_option("--idle-timeout", args->idle_timeout, "Limit on silence between response bytes");
  cmd->add_flag("--insecure", args->insecure, "Do not verify TLS certificates");
  cmd->add_option("--api-key-env", args->api_key_env,
                  "Environment variable holding the API key (sent as Bearer; never printed)")
      ->capture_default_str();

  return [args, cmd, argv]() -> int {
    if (!cmd->parsed()) return kExitUsage;
    RunArgs a = *args;
    std::vector<net::Header> headers;
    if (!a.config.empty()) {  // --engine names a configured engine
      auto configs = config::load_engine_configs(a.config);
      if (!configs) throw CommandError{kExitUsage, configs.error().message};
      const auto found =
          std::find_if(configs->begin(), configs->end(),
                       [&a](const config::EngineConfig& c) { return c.name == a.engine; });
      if (found == configs->end()) {
        throw CommandError{kExitUsage,
                           "--engine: no engine named '" + a.engine + "' in " + a.config};
      }
      if (a.url.empty()) a.url = found->base_url;
      a.engine = found->type;
      if (a.model.empty() && found->model) a.model = *found->model;
      if (a.timeout.empty()) a.timeout = format_duration(found->timeout);
      if (found->api_key_env && cmd->count("--api-key-env") == 0)
        a.api_key_env = *found->api_key_env;
      for (const auto& [name, value] : found->headers) headers.push_back({name, value});
    }
    if (a.url.empty())
      throw CommandError{kExitUsage, "--url is required (or --config FILE --engine NAME)"};
    auto url = net::parse_url(a.url);
    if (!url) throw CommandError{kExitUsage, "--url: " + url.error().message};
    if (!a.api.empty()) {
      if (auto api = engines::parse_api_choice(a.api); !api) {
        throw CommandError{kExitUsage, "--api: " + api.error().message};
      }
    }
    std::vector<int> concurrency_levels;
    for (const std::string_view item : split(a.concurrency, ',')) {
      int value = 0;
      const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
      if (ec != std::errc{} || end != item.data() + item.size() || value < 1) {
        throw CommandError{kExitUsage, "--concurrency: '" + std::string(item) +
                                           "' is not a whole number ≥ 1 (give N or a list "
                                           "like 1,4,16)"};
      }
      concurrency_levels.push_back(value);
    }
    if (concurrency_levels.empty()) throw CommandError{kExitUsage, "--concurrency is empty"};
    const bool open_loop = a.rate || !a.rate_schedule.empty() || !a.trace.empty();
    if ((a.rate ? 1 : 0) + (a.rate_schedule.empty() ? 0 : 1) + (a.trace.empty() ? 0 : 1) > 1) {
      throw CommandError{kExitUsage, "give one of --rate, --rate-schedule and --trace"};
    }
    if (a.sweep && open_loop) {
      throw CommandError{kExitUsage,
                         "--sweep chooses its own rates: drop --rate/--rate-schedule/--trace"};
    }
    if (concurrency_levels.size() > 1 && (open_loop || a.sweep)) {
      throw CommandError{kExitUsage,
                         "a --concurrency list is a closed-loop run; it cannot be combined with "
                         "--rate, --rate-schedule, --trace or --sweep"};
    }
    if (a.sweep && a.sweep_steps < 1) throw CommandError{kExitUsage, "--sweep-steps must be ≥ 1"};
    if (a.retries < 0) throw CommandError{kExitUsage, "--retries must be ≥ 0"};
    if (a.max_error_rate && !(*a.max_error_rate >= 0 && *a.max_error_rate < 1)) {
      throw CommandError{kExitUsage, "--max-error-rate is a fraction in [0, 1), e.g. 0.1 for 10%"};
    }
    if (a.error_window < 1) throw CommandError{kExitUsage, "--error-window must be ≥ 1"};
    auto prompt_length =
        workload::parse_length_distribution(a.prompt_tokens, workload::LengthOf::kPrompt);
    if (!prompt_length)
      throw CommandError{kExitUsage, "--prompt-tokens: " + prompt_length.error().message};
    auto output_length =
        workload::parse_length_distribution(a.max_tokens, workload::LengthOf::kOutput);
    if (!output_length)
      throw CommandError{kExitUsage, "--max-tokens: " + output_length.error().message};
    const std::vector<std::string> methods{"auto", "engine", "tokenizer", "probe", "estimate"};
    if (std::find(methods.begin(), methods.end(), a.token_counting) == methods.end()) {
      throw CommandError{kExitUsage,
                         "--token-counting: '" + a.token_counting +
                             "' is not one of auto, engine, tokenizer, probe, estimate"};
    }
    if (a.prefix_tokens < 0) throw CommandError{kExitUsage, "--prefix-tokens must be ≥ 0"};
    if (a.prefix_groups < 1) throw CommandError{kExitUsage, "--prefix-groups must be ≥ 1"};
    if (a.turns < 1) throw CommandError{kExitUsage, "--turns must be ≥ 1"};
    if (a.prefix_tokens > 0 && prompt_length->kind != workload::LengthKind::kContextLimit &&
        prompt_length->kind != workload::LengthKind::kEmpirical) {
      const std::int64_t shortest = prompt_length->lower_bound();
      if (a.prefix_tokens >= shortest) {
        throw CommandError{kExitUsage, "--prefix-tokens " + std::to_string(a.prefix_tokens) +
                                           " leaves no room for a unique part in prompts of " +
                                           a.prompt_tokens + " tokens"};
      }
    }
    if (a.requests && *a.requests == 0)
      throw CommandError{kExitUsage, "--requests must be at least 1"};

    BenchmarkJob job;
    ResolvedRunSpec& spec = job.spec;
    spec.url = url->to_string();
    spec.engine_requested = a.engine;
    spec.concurrency = concurrency_levels.front();
    if (a.sweep && cmd->count("--concurrency") == 0) spec.concurrency = 64;
    spec.requests = a.requests;
    if (!a.duration.empty()) spec.duration = to_seconds(duration_option("--duration", a.duration));
    if (!spec.requests && !spec.duration) {
      if (a.sweep) {
        spec.duration = 30;
      } else if (a.trace.empty()) {
        spec.requests = 100;
      }
    }
    spec.load_mode = a.sweep                         ? "sweep"
                     : open_loop                     ? "open_loop"
                     : concurrency_levels.size() > 1 ? "concurrency_steps"
                                                     : "closed_loop";
    if (concurrency_levels.size() > 1) spec.concurrency_levels = concurrency_levels;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int most_users =
        a.sweep ? spec.concurrency
                : *std::max_element(concurrency_levels.begin(), concurrency_levels.end());
    spec.threads = a.threads > 0 ? a.threads : cores;
    if (!open_loop) spec.threads = std::min(spec.threads, most_users);
    if (open_loop || a.sweep) {
      auto kind = workload::parse_arrival_kind(a.arrival);
      if (!kind) throw CommandError{kExitUsage, "--arrival: " + kind.error().message};
      if (!(a.burstiness > 0)) throw CommandError{kExitUsage, "--burstiness must be > 0"};
      spec.arrival = a.arrival;
      spec.burstiness = a.burstiness;
      workload::ArrivalOptions arrival;
      arrival.kind = *kind;
      arrival.burstiness = a.burstiness;
      arrival.seed = a.seed;
      if (a.rate) arrival.rates = {workload::RatePoint{0, *a.rate}};
      if (!a.rate_schedule.empty()) {
        auto points = workload::parse_rate_schedule(a.rate_schedule);
        if (!points) throw CommandError{kExitUsage, points.error().message};
        arrival.rates = *points;
      }
      spec.rate = a.rate;
      spec.rate_schedule = a.rate_schedule;
      job.arrival = arrival;
    }
    if (!a.trace.empty()) {
      auto trace = workload::load_trace(a.trace);
      if (!trace) throw CommandError{kExitUsage, "--trace: " + trace.error().message};
      job.trace = std::move(*trace);
      spec.trace = a.trace;
    }
    if (a.sweep) spec.sweep_steps = a.sweep_steps;
    auto phase = [&](std::string_view option, const std::string& text) {
      runner::PhaseLimit limit;
      if (text.empty()) return limit;
      if (text.find_first_not_of("0123456789") == std::string::npos) {
        limit.requests = std::stoull(text);
      } else {
        limit.time = duration_option(option, text);
      }
      return limit;
    };
    job.warmup = phase("--warmup", a.warmup);
    job.cooldown = phase("--cooldown", a.cooldown);
    if (!open_loop && !spec.duration && job.cooldown.time) {
      throw CommandError{kExitUsage,
                         "--cooldown " + a.cooldown +
                             ": a closed-loop run limited by --requests has no known end time; "
                             "give the cool-down as a request count, or use --duration"};
    }
    if (!open_loop && !spec.requests && job.cooldown.requests) {
      throw CommandError{kExitUsage, "--cooldown " + a.cooldown +
                                         ": a request count needs --requests (or give a duration)"};
    }
    spec.warmup = a.warmup;
    spec.cooldown = a.cooldown;
    job.retry.max_retries = a.retries;
    job.retry.base = duration_option("--retry-backoff", a.retry_backoff);
    spec.retries = a.retries;
    spec.retry_backoff = to_seconds(job.retry.base);
    if (a.max_error_rate) {
      job.error_limit = runner::ErrorLimit{*a.max_error_rate, a.error_window};
      spec.max_error_rate = a.max_error_rate;
      spec.error_window = a.error_window;
    }
    if (!a.slo.empty()) {
      auto slos = metrics::parse_slos(a.slo);
      if (!slos) throw CommandError{kExitUsage, slos.error().message};
      job.slos = std::move(*slos);
      spec.slo = a.slo;
    }
    auto detail = report::parse_request_detail(a.request_detail);
    if (!detail) throw CommandError{kExitUsage, "--request-detail: " + detail.error().message};
    job.request_detail = *detail;
    spec.request_detail = a.request_detail;
    spec.window = to_seconds(duration_option("--window", a.window));
    if (!(spec.window > 0)) throw CommandError{kExitUsage, "--window must be > 0"};
    spec.prompt_tokens = a.prompt_tokens;
    spec.max_tokens = a.max_tokens;
    spec.tokenizer = a.tokenizer;
    spec.token_counting = a.token_counting;
    spec.prefix_tokens = a.prefix_tokens;
    spec.prefix_groups = a.prefix_groups;
    spec.turns = a.turns;
    if (!a.dataset.empty()) {
      auto format =
          a.dataset_format.empty()
              ? Expected<workload::DatasetFormat>(workload::guess_dataset_format(a.dataset))
              : workload::parse_dataset_format(a.dataset_format);
      if (!format) throw CommandError{kExitUsage, "--dataset-format: " + format.error().message};
      if (a.on_bad_record != "skip" && a.on_bad_record != "fail") {
        throw CommandError{kExitUsage,
                           "--on-bad-record: '" + a.on_bad_record + "' is not skip or fail"};
      }
      if (a.dataset_sample < 1) throw CommandError{kExitUsage, "--dataset-sample must be ≥ 1"};
      if (a.prefix_tokens > 0) {
        throw CommandError{kExitUsage,
                           "--prefix-tokens shapes synthetic prompts; it does not apply to "
                           "--dataset"};
      }
      if (a.turns > 1 && (*format == workload::DatasetFormat::kText ||
                          *format == workload::DatasetFormat::kTextSlice)) {
        throw CommandError{kExitUsage,
                           "--turns needs conversations: a sharegpt or jsonl "
                           "(\"messages\") dataset, or synthetic prompts"};
      }
      spec.dataset = a.dataset;
      spec.dataset_format = std::string(workload::to_string(*format));
      spec.on_bad_record = a.on_bad_record;
      spec.dataset_sample = a.dataset_sample;
    }
    spec.stream = a.stream;
    spec.ignore_eos = a.ignore_eos;
    spec.temperature = a.temperature;
    spec.seed = a.seed;
    spec.tls_verify = !a.insecure;
    job.timeouts.total = duration_option("--timeout", a.timeout);
    job.timeouts.connect = duration_option("--connect-timeout", a.connect_timeout);
    job.timeouts.first_token = duration_option("--first-token-timeout", a.first_token_timeout);
    job.timeouts.idle = duration_option("--idle-timeout", a.idle_timeout);
    spec.timeout_total = to_seconds(job.timeouts.total);
    spec.timeout_connect = to_seconds(job.timeouts.connect);
    spec.timeout_first_token = to_seconds(job.timeouts.first_token);
    spec.timeout_idle = to_seconds(job.timeouts.idle);
    if (const char* key = std::getenv(a.api_key_env.c_str()); key && *key) job.api_key = key;

    const ResolvedEngine resolved = resolve_engine(a.url, a.engine, spec.tls_verify);
    spec.engine = resolved.engine;
    job.engine_info = resolved.info;
    const auto kind = engines::parse_engine_kind(spec.engine);
    spec.api = a.api.empty() ? engines::api_choice_name(engines::default_api(*kind)) : a.api;
    if (!a.keep_alive.empty()) job.keep_alive = a.keep_alive;
    if (!a.model.empty()) {
      spec.model = a.model;
    } else if (resolved.info && !resolved.info->models.empty()) {
      spec.model = resolved.info->models.front().id;
    } else {
      spec.model = discover_model(*url, spec.tls_verify);
    }
    if (!a.quiet && resolved.info) {
      std::cerr << "engine: " << resolved.info->engine
                << (resolved.info->version.empty() ? "" : " " + resolved.info->version)
                << " (detected by " << resolved.info->detected_by << "), model " << spec.model
                << ", api " << spec.api << "\n";
    }

    job.headers = std::move(headers);
    job.command_line = argv;
    job.output_json = a.output.empty() ? default_output_path(spec.engine) : a.output;
    if (!a.csv.empty()) job.requests_csv = a.csv;
    if (!a.summary_csv.empty()) job.summary_csv = a.summary_csv;
    job.progress = !a.no_progress;
    job.quiet = a.quiet;
    return run_benchmark(job);
  };
}

}  // namespace llmbench::cli
