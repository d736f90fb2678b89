// Inspection commands: `request` (one request, every figure), `models`, `engines`, `metrics`.

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/resolve.h"
#include "app/secrets.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "config/engine_config.h"
#include "core/duration_text.h"
#include "core/redact.h"
#include "engines/openai.h"
#include "engines/registry.h"
#include "metrics/ollama_figures.h"
#include "metrics/summary.h"
#include "report/report.h"
#include "runner/discovery.h"
#include "runner/runner.h"

namespace llmbench::cli {

namespace {

using Json = nlohmann::ordered_json;

// A workload of exactly one, fixed request.
class SingleRequest final : public workload::Workload {
 public:
  explicit SingleRequest(RequestSpec spec) : spec_(std::move(spec)) {}
  [[nodiscard]] RequestSpec make(std::uint64_t) const override { return spec_; }

 private:
  RequestSpec spec_;
};

struct RequestArgs {
  std::string url;
  std::string engine = "auto";
  std::string api;
  std::string model;
  std::string prompt = "Write a haiku about measuring latency.";
  std::string max_tokens = "64";
  bool stream = true;
  std::string format = "table";
  std::string timeout = "120s";
  bool insecure = false;
  std::string api_key_env = "OPENAI_API_KEY";
};

std::string size_text(const std::optional<std::int64_t>& bytes) {
  if (!bytes) return "-";
  return fmt::format("{:.2f} GB", static_cast<double>(*bytes) / 1e9);
}

}  // namespace

Action add_request_command(CLI::App& app) {
  auto args = std::make_shared<RequestArgs>();
  CLI::App* cmd =
      app.add_subcommand("request", "Send one request and show every native and client figure");
  cmd->alias("test-request");
  cmd->footer(
      "Examples:\n"
      "  llmbench request --url http://localhost:11434 --model llama3.2:3b\n"
      "  llmbench request --url http://localhost:8000 --prompt 'Hello' --max-tokens 16 --format "
      "json\n");
  cmd->add_option("--url", args->url, "Engine base URL")->required();
  cmd->add_option("--engine", args->engine, "auto|openai|vllm|tgi|llamacpp|sglang|ollama")
      ->capture_default_str();
  cmd->add_option("--api", args->api, "native|native-chat|openai-completions|openai-chat");
  cmd->add_option("--model", args->model, "Model (default: the first the engine lists)");
  cmd->add_option("--prompt", args->prompt, "Prompt text")->capture_default_str();
  cmd->add_option("--max-tokens", args->max_tokens, "Output tokens")->capture_default_str();
  cmd->add_flag("--stream,!--no-stream", args->stream, "Stream (default) or not");
  cmd->add_option("--format", args->format, "table|json")->capture_default_str();
  cmd->add_option("--timeout", args->timeout, "Total time limit")->capture_default_str();
  cmd->add_flag("--insecure", args->insecure, "Do not verify TLS certificates");
  cmd->add_option("--api-key-env", args->api_key_env, "Environment variable with the API key")
      ->capture_default_str();
  return [args]() -> int {
    const RequestArgs& a = *args;
    if (a.format != "table" && a.format != "json") {
      throw CommandError{kExitUsage, "--format: expected table or json, got '" + a.format + "'"};
    }
    auto timeout = parse_duration(a.timeout);
    if (!timeout) throw CommandError{kExitUsage, "--timeout: " + timeout.error().message};
    app::check_bound(app::bounds::kTimeout, to_seconds(*timeout));
    const std::int64_t max_tokens = app::parse_whole(app::bounds::kMaxTokensOption, a.max_tokens);
    auto url = net::parse_url(a.url);
    if (!url) throw CommandError{kExitUsage, "--url: " + url.error().message};
    std::optional<std::string> api_key;
    if (const char* key = std::getenv(a.api_key_env.c_str()); key && *key) api_key = key;
    app::register_secrets(api_key, {}, *url);  // before any traffic; refuses bad keys
    const ResolvedEngine resolved = resolve_engine(a.url, a.engine, !a.insecure);
    const auto kind = *engines::parse_engine_kind(resolved.engine);
    auto api = a.api.empty() ? engines::default_api(kind)
                             : engines::parse_api_choice(a.api).value_or(engines::ApiChoice{});
    if (!a.api.empty() && !engines::parse_api_choice(a.api)) {
      throw CommandError{kExitUsage, "--api: " + engines::parse_api_choice(a.api).error().message};
    }
    engines::EngineOptions options;
    options.kind = kind;
    options.route = api.route;
    options.base_path = url->base_path;  // native routes drop a trailing /v1 themselves
    options.api_key = api_key;
    const auto engine = engines::make_engine(options);

    RequestSpec spec;
    spec.model = a.model;
    if (spec.model.empty() && resolved.info && !resolved.info->models.empty()) {
      spec.model = resolved.info->models.front().id;
    }
    spec.api = api.api;
    spec.prompt = a.prompt;
    spec.messages = {{"user", a.prompt}};
    spec.max_tokens = max_tokens;
    spec.stream = a.stream;
    spec.ignore_eos = false;  // a natural answer, not a forced length

    runner::RunOptions run;
    run.url = *url;
    run.requests = 1;
    run.timeouts.connect = std::chrono::seconds(10);
    run.timeouts.total = *timeout;
    run.tls.verify = !a.insecure;
    SingleRequest workload(spec);
    runner::MemorySink sink;
    SteadyClockSource clock;
    runner::Runner runner(run, *engine, workload, sink, clock);
    auto times = runner.run();
    if (!times) throw CommandError{kExitUnreachable, times.error().message};
    const auto records = sink.take();
    const RequestRecord& record = records.at(0);
    const metrics::RequestMetrics m = metrics::derive(record);

    // The engine's own tokenizer, where it exposes one, counts the prompt independently of
    // the generation request.
    std::optional<std::int64_t> tokenizer_count;
    std::string tokenizer_note = "engine has no tokenize route";
    const std::string prompt_text =
        api.api == ApiKind::kChat ? spec.messages.front().content : spec.prompt;
    if (auto tokenize = engines::tokenize_request(kind, url->base_path, prompt_text, spec.model)) {
      auto answer = net::fetch(*url, *tokenize, std::chrono::seconds(10), run.tls);
      auto count = answer ? engines::parse_token_count(answer->status, answer->body)
                          : Expected<std::int64_t>(tl::unexpected(answer.error()));
      if (count)
        tokenizer_count = *count;
      else
        tokenizer_note = count.error().message;
    }
    if (a.format == "json") {
      auto j = nlohmann::json::parse(report::request_json(record, m, times->started));
      j["prompt_tokens_tokenizer"] =
          tokenizer_count ? nlohmann::json(*tokenizer_count) : nlohmann::json(nullptr);
      redact_json(j);  // an echoing server's text, the URL's query
      std::cout << j.dump(2) << "\n";
    } else {
      std::string table =
          fmt::format("{} {} via {} ({}), model {}\n", resolved.engine,
                      resolved.info ? resolved.info->version : "", url->to_string(),
                      engines::api_choice_name(api), spec.model.empty() ? "-" : spec.model);
      table += report::request_table(record, m);
      table += fmt::format("{:<26}{:>16}  {}\n", "prompt_tokens",
                           tokenizer_count ? std::to_string(*tokenizer_count) : "-",
                           tokenizer_count ? "engine tokenizer (/tokenize)" : tokenizer_note);
      // The same figures the way `ollama run --verbose` prints them, for those used to it.
      table += "\nas ollama run --verbose shows it:\n";
      table += report::ollama_verbose_block(metrics::ollama_figures(record, m));
      std::cout << redact(table);
    }
    return record.ok() ? kExitOk : kExitCheckFailed;
  };
}

Action add_models_command(CLI::App& app) {
  auto url = std::make_shared<std::string>();
  auto engine = std::make_shared<std::string>("auto");
  auto model = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("models", "Models an engine serves");
  cmd->footer(
      "Examples:\n  llmbench models list --url http://localhost:11434\n"
      "  llmbench models info --url http://localhost:8000 --model meta-llama/Llama-3.1-8B\n");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand("list", "List models, context length, size, quantization");
  CLI::App* info = cmd->add_subcommand("info", "One model in detail (JSON)");
  for (CLI::App* sub : {list, info}) {
    sub->add_option("--url", *url, "Engine base URL")->required();
    sub->add_option("--engine", *engine, "auto|openai|vllm|tgi|llamacpp|sglang|ollama")
        ->capture_default_str();
  }
  info->add_option("--model", *model, "Model id (default: the first)");
  return [url, engine, model, list]() -> int {
    const ResolvedEngine resolved = resolve_engine(*url, *engine, true);
    std::vector<ModelInfo> models;
    if (resolved.info) {
      models = resolved.info->models;
    } else {
      auto parsed = net::parse_url(*url);
      auto listed =
          runner::list_models(*parsed, resolved.engine, net::TlsOptions{}, std::chrono::seconds(5));
      if (!listed) throw CommandError{kExitUnreachable, listed.error().message};
      models = *listed;
    }
    if (list->parsed()) {
      std::cout << fmt::format("{:<48}{:>10}{:>12}{:>10}{:>10}\n", "model", "context", "size",
                               "params", "quant");
      for (const ModelInfo& m : models) {
        std::cout << fmt::format("{:<48}{:>10}{:>12}{:>10}{:>10}\n", m.id,
                                 m.context_length ? std::to_string(*m.context_length) : "-",
                                 size_text(m.size_bytes), m.parameter_size.value_or("-"),
                                 m.quantization.value_or("-"));
      }
      return kExitOk;
    }
    for (const ModelInfo& m : models) {
      if (model->empty() || m.id == *model) {
        EngineInfo one;
        one.engine = resolved.engine;
        one.models = {m};
        const auto j = nlohmann::json::parse(report::engine_info_json(one));
        std::cout << j["models"][0].dump(2) << "\n";
        return kExitOk;
      }
    }
    throw CommandError{kExitUsage, "model '" + *model + "' is not served by " + *url};
  };
}

namespace {

struct HealthRow {
  std::string name, type, url, status, detail;
  double seconds = 0;
  bool up = false;
};

HealthRow check(const config::EngineConfig& c) {
  HealthRow row{c.name, c.type, c.base_url, "down", "", 0, false};
  auto url = net::parse_url(c.base_url);
  if (!url) {
    row.detail = url.error().message;
    return row;
  }
  net::HttpRequest request;
  request.method = "GET";
  request.target = engines::strip_v1_suffix(url->base_path) +
                   engines::health_path(
                       engines::parse_engine_kind(c.type).value_or(engines::EngineKind::kOpenAi));
  for (const auto& [name, value] : c.headers) request.headers.push_back({name, value});
  const TimePoint start = SteadyClock::now();
  auto response = net::fetch(*url, request, std::chrono::seconds(5), net::TlsOptions{});
  row.seconds = to_seconds(SteadyClock::now() - start);
  if (!response) {
    row.detail = response.error().message;
  } else if (response->status == 200) {
    row.up = true;
    row.status = "up";
  } else {
    row.status = response->status == 503 ? "loading" : "down";
    row.detail = "HTTP " + std::to_string(response->status) + " on " + request.target;
  }
  return row;
}

}  // namespace

Action add_engines_command(CLI::App& app) {
  auto config_path = std::make_shared<std::string>("configs/engines");
  auto name = std::make_shared<std::string>();
  auto url = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  CLI::App* cmd =
      app.add_subcommand("engines", "Configured engines, their health, version and models");
  cmd->footer(
      "Examples:\n"
      "  llmbench engines list                       # configs/engines/*.yaml\n"
      "  llmbench engines health --config my-engines.yaml\n"
      "  llmbench engines info --url http://localhost:8000\n"
      "  llmbench engines info --engine vllm --format json\n");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand("list", "Engines in the config files");
  CLI::App* health =
      cmd->add_subcommand("health", "Check every configured engine at once; exit 3 if any is down");
  CLI::App* info = cmd->add_subcommand("info", "Detect an engine: type, version, models");
  for (CLI::App* sub : {list, health, info}) {
    sub->add_option("--config", *config_path, "Config file or folder")->capture_default_str();
  }
  for (CLI::App* sub : {health, info}) {
    sub->add_option("--engine", *name, "Only this configured engine");
    sub->add_option("--url", *url, "An engine not in the config");
  }
  info->add_option("--format", *format, "table|json")->capture_default_str();
  return [=]() -> int {
    std::vector<config::EngineConfig> engines;
    if (!url->empty()) {
      config::EngineConfig adhoc;
      adhoc.name = *url;
      adhoc.base_url = *url;
      const ResolvedEngine resolved = info->parsed() ? ResolvedEngine{"auto", std::nullopt}
                                                     : resolve_engine(*url, "auto", true);
      adhoc.type = resolved.engine;
      engines.push_back(adhoc);
    } else {
      auto loaded = config::load_engine_configs(*config_path);
      if (!loaded) throw CommandError{kExitUsage, loaded.error().message};
      for (auto& c : *loaded) {
        if (name->empty() || c.name == *name) engines.push_back(std::move(c));
      }
      if (engines.empty()) {
        throw CommandError{kExitUsage, name->empty()
                                           ? "no engines configured in " + *config_path
                                           : "no engine named '" + *name + "' in " + *config_path};
      }
    }
    if (list->parsed()) {
      std::cout << fmt::format("{:<16}{:<10}{:<32}{:<36}{}\n", "name", "type", "base_url", "model",
                               "defined at");
      for (const auto& c : engines) {
        std::cout << fmt::format("{:<16}{:<10}{:<32}{:<36}{}\n", c.name, c.type, c.base_url,
                                 c.model.value_or("-"), c.source);
      }
      return kExitOk;
    }
    if (health->parsed()) {
      std::vector<std::future<HealthRow>> checks;
      checks.reserve(engines.size());
      for (const auto& c : engines) checks.push_back(std::async(std::launch::async, check, c));
      bool all_up = true;
      std::cout << fmt::format("{:<16}{:<10}{:<32}{:<9}{:>10}  {}\n", "name", "type", "base_url",
                               "status", "time", "detail");
      for (auto& f : checks) {
        const HealthRow row = f.get();
        all_up = all_up && row.up;
        std::cout << fmt::format("{:<16}{:<10}{:<32}{:<9}{:>8.1f}ms  {}\n", row.name, row.type,
                                 row.url, row.status, row.seconds * 1e3, row.detail);
      }
      return all_up ? kExitOk : kExitUnreachable;
    }
    int code = kExitOk;
    for (const auto& c : engines) {
      const ResolvedEngine resolved = resolve_engine(c.base_url, "auto", true);
      EngineInfo detected = resolved.info.value_or(EngineInfo{});
      if (*format == "json") {
        std::cout << report::engine_info_json(detected);
        continue;
      }
      std::cout << fmt::format("{} ({})\n  engine:   {} {}\n  detected: {}\n", c.name, c.base_url,
                               detected.engine, detected.version, detected.detected_by);
      if (c.type != "auto" && !c.type.empty() && c.type != detected.engine && url->empty()) {
        std::cout << "  warning:  configured as " << c.type << "\n";
        code = kExitCheckFailed;
      }
      for (const ModelInfo& m : detected.models) {
        std::cout << fmt::format("  model:    {} (context {})\n", m.id,
                                 m.context_length ? std::to_string(*m.context_length) : "unknown");
      }
    }
    return code;
  };
}

Action add_metrics_command(CLI::App& app) {
  auto result = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("json");
  auto file = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("metrics", "Metrics of the last (or a given) run");
  cmd->footer(
      "Examples:\n"
      "  llmbench metrics show                       # newest results/*.json\n"
      "  llmbench metrics export results/r.json --format csv --file summary.csv\n");
  cmd->require_subcommand(1);
  CLI::App* show = cmd->add_subcommand("show", "Summary as a table");
  CLI::App* exp = cmd->add_subcommand("export", "Summary as JSON or CSV (metric,stat,value)");
  for (CLI::App* sub : {show, exp})
    sub->add_option("result", *result, "Result JSON (default: newest in results/)");
  exp->add_option("--format", *format, "json|csv")->capture_default_str();
  exp->add_option("--file", *file, "Write here instead of standard output");
  return [=]() -> int {
    std::filesystem::path path = *result;
    if (path.empty()) {
      std::error_code ec;
      std::filesystem::file_time_type newest{};
      for (const auto& e : std::filesystem::directory_iterator("results", ec)) {
        if (e.path().extension() == ".json" && e.last_write_time() >= newest) {
          newest = e.last_write_time();
          path = e.path();
        }
      }
      if (path.empty()) throw CommandError{kExitUsage, "no result given and none in ./results/"};
    }
    std::ifstream in(path);
    if (!in) throw CommandError{kExitUsage, "cannot read " + path.string()};
    const Json root = Json::parse(in, nullptr, false);
    if (root.is_discarded() || !root.contains("summary")) {
      throw CommandError{kExitUsage, path.string() + " is not an llmbench result"};
    }
    const Json& s = root["summary"];
    std::string out;
    if (show->parsed()) {
      out += fmt::format("{} — {} ({}), {} requests, success rate {:.2f}%\n", path.string(),
                         root["context"]["config"].value("url", ""),
                         root["context"]["config"].value("engine", ""), s.value("requests", 0),
                         s.value("success_rate", 0.0) * 100);
      out += fmt::format("{:<14}{:>8}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "latency (ms)", "count",
                         "mean", "p50", "p90", "p99", "max");
      // A figure that was not measured is null in the result: shown as "—", never 0.
      auto ms = [](const Json& st, const char* stat) {
        const auto it = st.find(stat);
        return it != st.end() && it->is_number() ? fmt::format("{:.3f}", it->get<double>() * 1e3)
                                                 : std::string("—");
      };
      for (const char* key : {"ttft", "itl", "tpot", "e2e_latency"}) {
        const Json& st = s[key];
        out +=
            fmt::format("{:<14}{:>8}{:>10}{:>10}{:>10}{:>10}{:>10}\n", key, st.value("count", 0),
                        ms(st, "mean"), ms(st, "p50"), ms(st, "p90"), ms(st, "p99"), ms(st, "max"));
      }
      out +=
          fmt::format("throughput: {:.2f} req/s, {:.1f} output tokens/s\n",
                      s.value("request_throughput", 0.0), s.value("output_token_throughput", 0.0));
    } else if (*format == "csv") {
      out = "metric,stat,value\n";
      for (const auto& [metric, value] : s.items()) {
        if (value.is_object()) {
          for (const auto& [stat, v] : value.items()) {
            if (v.is_number()) out += fmt::format("{},{},{}\n", metric, stat, v.dump());
          }
        } else if (value.is_number()) {
          out += fmt::format("{},value,{}\n", metric, value.dump());
        }
      }
    } else if (*format == "json") {
      out = s.dump(2) + "\n";
    } else {
      throw CommandError{kExitUsage, "--format: expected json or csv, got '" + *format + "'"};
    }
    if (file->empty()) {
      std::cout << out;
    } else if (auto written = report::write_file_atomically(*file, out); !written) {
      throw CommandError{kExitUsage, written.error().message};
    }
    return kExitOk;
  };
}

}  // namespace llmbench::cli
