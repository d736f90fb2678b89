// `llmbench run`: one benchmark run against an engine.

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/app.h"
#include "cli/commands.h"
#include "config/engine_config.h"
#include "core/duration_text.h"
#include "engines/registry.h"

namespace llmbench::cli {

namespace {

struct RunArgs {
  std::string url;
  std::string engine = "auto";
  std::string api;  // empty: the engine's default (native where it has a native route)
  std::string keep_alive;
  std::string model;
  int concurrency = 1;
  std::optional<std::uint64_t> requests;
  std::string duration;
  std::int64_t prompt_tokens = 128;
  std::int64_t max_tokens = 128;
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
      "  llmbench run --config configs/engines --engine vllm --requests 100   # a configured "
      "engine\n");
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
  cmd->add_option("--concurrency,-c", args->concurrency, "Closed loop: requests in flight")
      ->capture_default_str();
  cmd->add_option("--requests,-n", args->requests,
                  "Stop after this many requests (default 100 when --duration is not given)");
  cmd->add_option("--duration,-d", args->duration,
                  "Stop starting requests after this long (30s, 5m)");
  cmd->add_option("--prompt-tokens", args->prompt_tokens, "Prompt length in tokens (estimated)")
      ->capture_default_str();
  cmd->add_option("--max-tokens", args->max_tokens, "Output tokens per request")
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
    if (a.concurrency < 1) throw CommandError{kExitUsage, "--concurrency must be at least 1"};
    if (a.max_tokens < 1) throw CommandError{kExitUsage, "--max-tokens must be at least 1"};
    if (a.prompt_tokens < 1) throw CommandError{kExitUsage, "--prompt-tokens must be at least 1"};
    if (a.requests && *a.requests == 0)
      throw CommandError{kExitUsage, "--requests must be at least 1"};

    BenchmarkJob job;
    ResolvedRunSpec& spec = job.spec;
    spec.url = url->to_string();
    spec.engine_requested = a.engine;
    spec.concurrency = a.concurrency;
    spec.requests = a.requests;
    if (!a.duration.empty()) spec.duration = to_seconds(duration_option("--duration", a.duration));
    if (!spec.requests && !spec.duration) spec.requests = 100;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    spec.threads = std::min(a.threads > 0 ? a.threads : cores, a.concurrency);
    spec.prompt_tokens = a.prompt_tokens;
    spec.max_tokens = a.max_tokens;
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
