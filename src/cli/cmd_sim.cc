// `llmbench sim`: the simulated engine in the foreground, and `llmbench demo`, which runs
// it in-process and benchmarks it end to end.

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <iostream>
#include <thread>

#include "app/resolve.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "core/duration_text.h"
#include "engines/registry.h"
#include "net/url.h"
#include "sim/sim_server.h"
#include "workload/lengths.h"

namespace llmbench::cli {

namespace {

struct SimArgs {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string dialect = "openai";
  std::string log_requests;
  std::string ttft = "50ms";
  std::string itl = "10ms";
  std::string jitter = "0ms";
  std::string prefill_per_token = "0ms";
  std::string load_time = "0ms";
  int max_batch = 0;
  std::int64_t kv_cache_tokens = 262'144;
  int tokens_per_chunk = 1;
  double fail_rate = 0;
  std::vector<std::string> faults;  // KIND or KIND:RATE, repeatable
  double fault_rate = 1;            // the rate of a bare KIND
  std::string listener_down = "1s";
  std::uint64_t seed = 0;
  std::string model = "llmbench-sim";
};

// Every simulated delay, at most an hour: a longer one is a typo that would look like a hang.
Duration duration_or_throw(std::string_view option, const std::string& text) {
  auto d = parse_duration(text);
  if (!d) throw CommandError{kExitUsage, std::string(option) + ": " + d.error().message};
  if (*d < Duration::zero() || *d > std::chrono::hours(1)) {
    throw CommandError{
        kExitUsage, std::string(option) + ": " + text + " is outside [0, 1h] (a simulated delay)"};
  }
  return *d;
}

// Written so that NaN fails too.
bool within(double value, double low, double high) { return value >= low && value <= high; }

sim::SimOptions to_sim_options(const SimArgs& a) {
  auto dialect = sim::parse_dialect(a.dialect);
  if (!dialect) throw CommandError{kExitUsage, "--dialect: " + dialect.error().message};
  if (!within(a.fail_rate, 0, 1)) throw CommandError{kExitUsage, "--fail-rate must be in [0, 1]"};
  if (!within(a.fault_rate, 0, 1)) {
    throw CommandError{kExitUsage, "--fault-rate must be in [0, 1]"};
  }
  if (!within(a.max_batch, 0, 1'000'000)) {
    throw CommandError{kExitUsage, "--max-batch must be in [0, 1000000] (0: unlimited)"};
  }
  sim::SimOptions o;
  o.dialect = *dialect;
  o.load_time = duration_or_throw("--load-time", a.load_time);
  o.host = a.host;
  o.port = a.port;
  o.ttft = duration_or_throw("--ttft", a.ttft);
  o.itl = duration_or_throw("--itl", a.itl);
  o.jitter = duration_or_throw("--jitter", a.jitter);
  o.prefill_per_token = duration_or_throw("--prefill-per-token", a.prefill_per_token);
  o.max_batch = a.max_batch;
  if (a.kv_cache_tokens < 1 || a.kv_cache_tokens > 1'000'000'000'000) {
    throw CommandError{kExitUsage, "--kv-cache-tokens must be in [1, 1e12]"};
  }
  o.kv_cache_tokens = a.kv_cache_tokens;
  if (!within(a.tokens_per_chunk, 1, 1'000'000)) {
    throw CommandError{kExitUsage, "--tokens-per-chunk must be in [1, 1000000]"};
  }
  o.tokens_per_chunk = a.tokens_per_chunk;
  o.fail_rate = a.fail_rate;
  double total_rate = 0;
  for (const std::string& text : a.faults) {
    auto fault = sim::parse_fault_rate(text, a.fault_rate);
    if (!fault) throw CommandError{kExitUsage, "--fault " + text + ": " + fault.error().message};
    if (fault->fault == sim::Fault::kNone) continue;
    o.faults.push_back(*fault);
    total_rate += fault->rate;
  }
  if (total_rate > 1 + 1e-9) {
    throw CommandError{kExitUsage,
                       fmt::format("--fault: the rates add up to {:g}; at most 1 (one draw per "
                                   "request picks at most one fault)",
                                   total_rate)};
  }
  o.listener_down = duration_or_throw("--listener-down", a.listener_down);
  if (o.listener_down <= Duration::zero() || o.listener_down > std::chrono::hours(1))
    throw CommandError{kExitUsage, "--listener-down must be above 0 and at most 1h"};
  o.seed = a.seed;
  o.model = a.model;
  o.log_requests = a.log_requests;
  return o;
}

}  // namespace

Action add_sim_command(CLI::App& app) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* cmd = app.add_subcommand("sim", "Run the simulated engine until interrupted");
  cmd->footer(
      "Examples:\n"
      "  llmbench sim --port 8000 --ttft 50ms --itl 10ms\n"
      "  llmbench sim --port 0 --max-batch 8 --jitter 2ms --seed 7   # port 0: any free port\n"
      "  llmbench sim --fail-rate 0.2          # 20 % of requests answer HTTP 500\n"
      "  llmbench sim --fault reset-mid-stream:0.1 --fault rate-limit:0.05   # kinds: docs/sim.md\n"
      "  llmbench sim --dialect ollama --port 11434 --load-time 2s\n");
  cmd->add_option("--host", args->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", args->port, "Port (0 = any free port)")->capture_default_str();
  cmd->add_option("--dialect", args->dialect,
                  "Engine to imitate: openai|vllm|ollama|tgi|llamacpp|sglang (native routes, info "
                  "endpoints and quirks of that engine, plus its OpenAI routes)")
      ->capture_default_str();
  cmd->add_option("--load-time", args->load_time,
                  "Ollama dialect: model load paid by the first request (cold start)")
      ->capture_default_str();
  cmd->add_option("--ttft", args->ttft, "Time to first token")->capture_default_str();
  cmd->add_option("--itl", args->itl, "Time between tokens")->capture_default_str();
  cmd->add_option("--jitter", args->jitter, "Uniform ± offset on each delay")
      ->capture_default_str();
  cmd->add_option("--prefill-per-token", args->prefill_per_token,
                  "Extra first-token delay per prompt token")
      ->capture_default_str();
  cmd->add_option("--max-batch", args->max_batch,
                  "Concurrent generations (0 = unlimited); "
                  "others queue")
      ->capture_default_str();
  cmd->add_option("--kv-cache-tokens", args->kv_cache_tokens,
                  "KV-cache capacity in tokens behind the engines' /metrics usage gauges "
                  "(vllm:kv_cache_usage_perc, sglang:token_usage)")
      ->capture_default_str();
  cmd->add_option("--tokens-per-chunk", args->tokens_per_chunk,
                  "Tokens per stream frame (multi-token chunks, as with stream_interval)")
      ->capture_default_str();
  cmd->add_option("--fail-rate", args->fail_rate, "Fraction of requests answered HTTP 500")
      ->capture_default_str();
  cmd->add_option("--fault", args->faults,
                  "Inject KIND[:RATE], repeatable (rates add up to at most 1): "
                  "reset-before-headers|reset-mid-stream|stall-before-first-token|"
                  "stall-mid-stream|slow-headers|malformed|oversized-frame|invalid-utf8|"
                  "truncated-chunk|wrong-content-type|keepalive-flood|error-event|rate-limit|"
                  "unavailable|listener-down (also reset, stall, 429, 503)")
      ->allow_extra_args(false);
  cmd->add_option("--fault-rate", args->fault_rate,
                  "Fraction of requests that get a --fault given without :RATE")
      ->capture_default_str();
  cmd->add_option("--listener-down", args->listener_down,
                  "How long the listener stays closed after a listener-down fault")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed for jitter and failures")->capture_default_str();
  cmd->add_option("--model", args->model, "Model name served")->capture_default_str();
  cmd->add_option("--log-requests", args->log_requests,
                  "Append every generation request to this file, one JSON line each "
                  "({\"target\", \"body\"}), to see what a client sent");

  return [args]() -> int {
    const sim::SimOptions options = to_sim_options(*args);
    boost::asio::io_context io{1};
    sim::SimServer server(io, options);
    auto port = server.start();
    if (!port) throw CommandError{kExitUsage, port.error().message};
    std::cout << "llmbench sim listening on http://" << options.host << ":" << *port << std::endl;
    SignalBridge signals([&server] { server.stop(); });
    io.run();
    return kExitOk;
  };
}

Action add_demo_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto output_dir = std::make_shared<std::string>("llmbench-demo");
  CLI::App* cmd = app.add_subcommand(
      "demo", "Start the simulated engine on loopback and benchmark it end to end");
  cmd->footer("Example:\n  llmbench demo --output-dir /tmp/demo\n");
  cmd->add_option("--output-dir", *output_dir, "Where the result files go")->capture_default_str();
  auto db = std::make_shared<std::string>();
  auto no_store = std::make_shared<bool>(false);
  add_history_options(cmd, db.get(), no_store.get());
  auto interval = std::make_shared<std::string>();
  auto no_progress = std::make_shared<bool>(false);
  add_progress_interval_option(cmd, interval.get());
  cmd->add_flag("--no-progress", *no_progress,
                "No live dashboard (terminal) or progress lines (otherwise)");
  return [output_dir, db, no_store, interval, no_progress, argv]() -> int {
    const std::optional<std::filesystem::path> history = history_db(*db, *no_store);
    ProgressOptions progress;
    progress.plain_interval = progress_interval(*interval);
    progress.enabled = !*no_progress;
    sim::SimOptions options;
    options.dialect = sim::Dialect::kVllm;
    options.ttft = std::chrono::milliseconds(50);
    options.itl = std::chrono::milliseconds(10);
    options.jitter = std::chrono::milliseconds(1);
    options.seed = 1;
    boost::asio::io_context io{1};
    sim::SimServer server(io, options);
    auto port = server.start();
    if (!port) throw CommandError{kExitUsage, port.error().message};
    std::thread sim_thread([&io] { io.run(); });
    struct StopSim {
      sim::SimServer& server;
      std::thread& thread;
      ~StopSim() {
        server.stop();
        thread.join();
      }
    } stop_sim{server, sim_thread};

    std::cout << "simulated vLLM-like engine on http://127.0.0.1:" << *port
              << " (TTFT 50 ms, ITL 10 ms ± 1 ms); benchmarking: 64 chat requests, concurrency 8, "
                 "64 output tokens\n";
    app::RunSpec spec;
    spec.url = *net::parse_url("http://127.0.0.1:" + std::to_string(*port));
    spec.engine = engines::EngineKind::kVllm;
    spec.api = engines::ApiChoice{engines::RouteFamily::kOpenAi, ApiKind::kChat};
    spec.model = options.model;
    spec.concurrency = {8};
    spec.requests = 64;
    spec.threads = 1;
    spec.prompt_tokens = workload::fixed_length(64);
    spec.max_tokens = workload::fixed_length(64);
    spec.seed = 1;
    spec.timeouts.connect = std::chrono::seconds(10);
    spec.timeouts.total = std::chrono::seconds(60);
    spec.command_line = argv;
    const std::filesystem::path dir(*output_dir);
    std::error_code ignored;  // the output checks name a folder that cannot be made
    std::filesystem::create_directories(dir, ignored);
    spec.outputs.json = dir / "result.json";
    spec.outputs.requests_csv = dir / "requests.csv";
    spec.outputs.summary_csv = dir / "summary.csv";
    spec.outputs.html = dir / "report.html";
    spec.history_db = history;
    TerminalObserver notes(false);
    app::NetworkDiscovery discovery;
    return run_and_print(app::resolve(spec, discovery, notes), false, progress);
  };
}

}  // namespace llmbench::cli
