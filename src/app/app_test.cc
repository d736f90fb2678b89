// The core driven from code, with no argv: RunSpecs resolved against a fake engine, and run
// end to end against the simulator running in this process.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "app/benchmark.h"
#include "app/history.h"
#include "app/plan.h"
#include "app/report.h"
#include "app/resolve.h"
#include "net/control_client.h"
#include "report/model_report.h"
#include "sim/sim_server.h"
#include "store/results_db.h"

namespace llmbench::app {
namespace {

using namespace std::chrono_literals;

// The simulator on a loopback port, on its own thread, for the test's lifetime.
class InProcessSim {
 public:
  explicit InProcessSim(sim::SimOptions options) : server_(io_, std::move(options)) {
    auto port = server_.start();
    EXPECT_TRUE(port.has_value());
    port_ = port.value_or(0);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~InProcessSim() {
    server_.stop();
    thread_.join();
  }
  [[nodiscard]] net::Url url() const {
    return *net::parse_url("http://127.0.0.1:" + std::to_string(port_));
  }

 private:
  boost::asio::io_context io_{1};
  sim::SimServer server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

sim::SimOptions fast_sim(sim::Dialect dialect) {
  sim::SimOptions options;
  options.dialect = dialect;
  options.ttft = 2ms;
  options.itl = 1ms;
  options.seed = 7;
  return options;
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("llmbench_app_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

RunSpec small_spec(const net::Url& url, const std::filesystem::path& dir) {
  RunSpec spec;
  spec.url = url;
  spec.concurrency = {4};
  spec.requests = 12;
  spec.threads = 1;
  spec.prompt_tokens = workload::fixed_length(40);
  spec.max_tokens = workload::fixed_length(8);
  spec.timeouts.total = 30s;
  spec.outputs.json = dir / "result.json";
  // No monitors: what they read depends on the machine (its cores, its GPUs) and on when the
  // scrapes fell, so the goldens would not be the same twice. tests/monitor_e2e_test.cc
  // checks them.
  spec.monitors.enabled = false;
  return spec;
}

EngineInfo engine_serving(std::string engine, std::vector<std::string> models) {
  EngineInfo info;
  info.engine = std::move(engine);
  info.detected_by = "test";
  for (std::string& m : models) info.models.push_back(ModelInfo{std::move(m), {}, {}, {}, {}});
  return info;
}

RunObserver quiet;

TEST(Resolve, RefusesAModelTheEngineDoesNotServeBeforeAnyRequest) {
  KnownEngine engine(engine_serving("vllm", {"llmbench-sim", "other"}));
  RunSpec spec =
      small_spec(*net::parse_url("http://127.0.0.1:9"), std::filesystem::temp_directory_path());
  spec.model = "sim";
  try {
    (void)resolve(spec, engine, quiet);
    FAIL() << "resolve accepted a model the engine does not serve";
  } catch (const Failure& e) {
    EXPECT_EQ(e.code, kExitUsage);
    EXPECT_EQ(e.message,
              "model 'sim' is not served by http://127.0.0.1:9; it serves: llmbench-sim, other");
  }
  spec.engine = engines::EngineKind::kVllm;  // named, so the models are listed separately
  EXPECT_THROW((void)resolve(spec, engine, quiet), Failure);
  spec.model = "other";
  EXPECT_EQ(resolve(spec, engine, quiet).spec.model, "other");
}

TEST(Resolve, EnginesThatServeOneModelWhateverTheNameAreNotChecked) {
  for (const char* name : {"llamacpp", "sglang", "tgi"}) {
    KnownEngine engine(engine_serving(name, {"the-model"}));
    RunSpec spec =
        small_spec(*net::parse_url("http://127.0.0.1:9"), std::filesystem::temp_directory_path());
    spec.model = "anything";
    EXPECT_EQ(resolve(spec, engine, quiet).spec.model, "anything") << name;
  }
}

TEST(Resolve, OllamaNamesWithoutATagMeanLatest) {
  KnownEngine engine(engine_serving("ollama", {"llama3.2:latest"}));
  RunSpec spec =
      small_spec(*net::parse_url("http://127.0.0.1:9"), std::filesystem::temp_directory_path());
  spec.model = "llama3.2";
  EXPECT_NO_THROW((void)resolve(spec, engine, quiet));
  spec.model = "llama3.1";
  EXPECT_THROW((void)resolve(spec, engine, quiet), Failure);
}

TEST(Resolve, FillsDefaultsAndWritesTheRecord) {
  KnownEngine engine(engine_serving("vllm", {"m1", "m2"}));
  RunSpec spec;
  spec.url = *net::parse_url("http://127.0.0.1:9/v1");
  spec.concurrency = {3};
  spec.threads = 8;
  const ResolvedRun run = resolve(spec, engine, quiet);
  EXPECT_EQ(run.spec.engine, engines::EngineKind::kVllm);
  EXPECT_EQ(run.spec.model, "m1");  // the first one served
  EXPECT_EQ(run.spec.requests, std::optional<std::uint64_t>(100));
  EXPECT_EQ(run.spec.threads, 3);  // never more threads than users
  EXPECT_EQ(run.record.engine, "vllm");
  EXPECT_EQ(run.record.engine_requested, "auto");
  EXPECT_EQ(run.record.api, "openai-completions");
  EXPECT_EQ(run.record.load_mode, LoadMode::kClosedLoop);
  EXPECT_EQ(run.record.prompt_tokens, "128");

  RunSpec sweep;
  sweep.url = spec.url;
  sweep.mode = LoadMode::kSweep;
  sweep.concurrency.clear();
  const ResolvedRun swept = resolve(sweep, engine, quiet);
  EXPECT_EQ(swept.spec.concurrency, std::vector<int>{64});
  EXPECT_EQ(swept.spec.duration, std::optional<Duration>(30s));
  EXPECT_FALSE(swept.spec.requests.has_value());
  const std::vector<LevelPlan> levels = initial_levels(swept.spec);
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0].concurrency, std::optional<int>(1));
  EXPECT_EQ(levels[1].concurrency, std::optional<int>(64));
}

TEST(Resolve, BadCombinationsAreRefusedByName) {
  KnownEngine engine(engine_serving("vllm", {"m"}));
  RunSpec spec =
      small_spec(*net::parse_url("http://127.0.0.1:9"), std::filesystem::temp_directory_path());
  spec.requests = 0;
  try {
    (void)resolve(spec, engine, quiet);
    FAIL();
  } catch (const Failure& e) {
    EXPECT_EQ(e.code, kExitUsage);
    EXPECT_EQ(e.message, "--requests: 0 is outside [1, 1000000000] requests");
  }
  spec.requests = 10;
  spec.mode = LoadMode::kOpenLoop;  // and no arrival process
  EXPECT_THROW((void)resolve(spec, engine, quiet), Failure);
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Issue 10 (class 6): every number of a spec within its documented bound, however the spec
// was made (argv, a suite file, code): NaN, ±∞, negative, zero where meaningless and absurd
// sizes are refused by name before the engine is asked anything.
TEST(Resolve, NumbersOutsideTheirBoundsAreRefusedByName) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    std::string option;
    std::function<void(RunSpec&)> set;
  };
  auto open_loop = [](double rate) {
    return [rate](RunSpec& s) {
      s.mode = LoadMode::kOpenLoop;
      s.arrival = workload::ArrivalOptions{};
      s.arrival->rates = {workload::RatePoint{0, rate}};
    };
  };
  const std::vector<Case> cases = {
      {"--requests", [](RunSpec& s) { s.requests = std::numeric_limits<std::uint64_t>::max(); }},
      {"--requests", [](RunSpec& s) { s.requests = 1'000'000'001; }},
      {"--rate", open_loop(nan)},
      {"--rate", open_loop(inf)},
      {"--rate", open_loop(1e-9)},
      {"--rate", open_loop(-1)},
      {"--rate", open_loop(2e6)},
      {"--rate-schedule",
       [](RunSpec& s) {
         s.mode = LoadMode::kOpenLoop;
         s.arrival = workload::ArrivalOptions{};
         s.arrival->rates = {{0, 10}, {10, 1e-9}};
         s.rate_schedule_text = "0:10,10:1e-9";
       }},
      {"--burstiness",
       [&](RunSpec& s) {
         open_loop(10)(s);
         s.arrival->burstiness = nan;
       }},
      {"--trace",
       [](RunSpec& s) {
         s.mode = LoadMode::kOpenLoop;
         s.trace = {0, 1e12};
       }},
      {"--concurrency", [](RunSpec& s) { s.concurrency = {1'000'000'000}; }},
      {"--sweep-steps",
       [](RunSpec& s) {
         s.mode = LoadMode::kSweep;
         s.concurrency.clear();
         s.sweep_steps = 100'000;
       }},
      {"--temperature", [&](RunSpec& s) { s.temperature = nan; }},
      {"--temperature", [](RunSpec& s) { s.temperature = -1; }},
      {"--duration", [](RunSpec& s) { s.duration = Duration::zero(); }},
      {"--duration", [](RunSpec& s) { s.duration = std::chrono::hours(24 * 365); }},
      {"--window", [](RunSpec& s) { s.window = std::chrono::nanoseconds(1); }},
      {"--window",
       [](RunSpec& s) {  // 60 million windows
         s.duration = std::chrono::hours(24 * 7);
         s.window = 10ms;
       }},
      {"--warmup", [](RunSpec& s) { s.warmup.requests = 10'000'000'000; }},
      {"--cooldown", [](RunSpec& s) { s.cooldown.time = std::chrono::hours(24 * 365); }},
      {"--retries", [](RunSpec& s) { s.retry.max_retries = 1'000'000; }},
      {"--retry-backoff",
       [](RunSpec& s) {
         s.retry.max_retries = 2;
         s.retry.base = Duration::zero();
       }},
      {"--error-window",
       [](RunSpec& s) {
         s.error_limit = runner::ErrorLimit{0.5, 100'000'000};
       }},
      {"--slo",
       [&](RunSpec& s) {
         s.slos = {metrics::Slo{"ttft", "p99", 0.99, nan}};
       }},
      {"--prompt-tokens",
       [](RunSpec& s) { s.prompt_tokens = workload::fixed_length(100'000'000); }},
      {"--max-tokens", [](RunSpec& s) { s.max_tokens = workload::fixed_length(100'000'000); }},
      {"--prefix-groups", [](RunSpec& s) { s.prefix_groups = 1'000'000; }},
      {"--turns", [](RunSpec& s) { s.turns = 1'000'000; }},
      {"--threads", [](RunSpec& s) { s.threads = 100'000; }},
      {"--dataset-sample",
       [](RunSpec& s) {
         s.dataset = DatasetChoice{"d.jsonl", workload::DatasetFormat::kJsonl,
                                   workload::OnBadRecord::kSkip, 1'000'000'000};
       }},
      {"--timeout", [](RunSpec& s) { s.timeouts.total = std::chrono::hours(24 * 365); }},
  };
  KnownEngine engine(engine_serving("vllm", {"m"}));
  engine.unreachable = "no network: the spec should have been refused first";
  for (const Case& c : cases) {
    RunSpec spec =
        small_spec(*net::parse_url("http://127.0.0.1:9"), std::filesystem::temp_directory_path());
    c.set(spec);
    try {
      (void)resolve(spec, engine, quiet);
      ADD_FAILURE() << c.option << ": accepted";
    } catch (const Failure& e) {
      EXPECT_EQ(e.code, kExitUsage) << e.message;
      EXPECT_EQ(e.message.rfind(c.option, 0), 0u) << c.option << ": " << e.message;
    }
  }
}

TEST(Resolve, TheBoundsThemselvesAreAccepted) {
  KnownEngine engine(engine_serving("vllm", {"m"}));
  RunSpec spec =
      small_spec(*net::parse_url("http://127.0.0.1:9"), std::filesystem::temp_directory_path());
  spec.requests = 1'000'000'000;
  spec.concurrency = {100'000};
  spec.window = 10ms;
  spec.duration = std::chrono::seconds(10'000);  // 1,000,000 windows
  spec.temperature = 0;
  spec.max_tokens = workload::fixed_length(10'000'000);
  EXPECT_NO_THROW((void)resolve(spec, engine, quiet));
  EXPECT_EQ(parse_unsigned(bounds::kSeed, "18446744073709551615"),
            std::numeric_limits<std::uint64_t>::max());
}

TEST(Resolve, OptionTextIsParsedStrictlyAndNamedInTheError) {
  auto message = [](auto parse) {
    try {
      parse();
    } catch (const Failure& e) {
      EXPECT_EQ(e.code, kExitUsage);
      return e.message;
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message([] { (void)parse_unsigned(bounds::kRequests, "-1"); }),
            "--requests: '-1' is not a whole number in [1, 1000000000] requests");
  EXPECT_EQ(message([] { (void)parse_whole(bounds::kSweepSteps, "100000"); }),
            "--sweep-steps: 100000 is outside [1, 1000] steps");
  EXPECT_EQ(message([] { (void)parse_real(bounds::kRate, "nan"); }),
            "--rate: 'nan' is not a number in [0.001, 1000000] req/s");
  EXPECT_EQ(message([] { (void)parse_real(bounds::kRate, "1e-9"); }),
            "--rate: 1e-09 is outside [0.001, 1000000] req/s");
  EXPECT_EQ(
      message([] { (void)parse_unsigned(bounds::kWarmupRequests, "99999999999999999999999"); }),
      "--warmup: '99999999999999999999999' is not a whole number in [0, 1000000000] "
      "requests");
  // A pasted file is not echoed whole.
  const std::string huge(10'000, '7');
  EXPECT_LT(message([&] { (void)parse_whole(bounds::kTurns, huge + "x"); }).size(), 120u);
  EXPECT_EQ(parse_real(bounds::kRate, "0.5"), 0.5);
  EXPECT_EQ(parse_whole(bounds::kConcurrency, "16"), 16);
}

// Issue 10 (class 7): a server that refuses every connection stops the run after a streak
// of connect failures, instead of writing failure records as fast as it can refuse them; as
// nothing ever connected, that is exit 3, with the reason in the result.
TEST(Benchmark, AStreakOfConnectFailuresStopsTheRun) {
  int port = 0;
  {  // a port nobody listens on
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
    port = acceptor.local_endpoint().port();
  }
  KnownEngine engine(engine_serving("vllm", {"m"}));  // "reachable" when resolved
  const TempDir dir;
  RunSpec spec =
      small_spec(*net::parse_url("http://127.0.0.1:" + std::to_string(port)), dir.path());
  spec.requests = 100'000;
  spec.token_counting = TokenCounting::kEstimate;
  const ResolvedRun run = resolve(spec, engine, quiet);
  CancellationToken cancel;
  const auto began = std::chrono::steady_clock::now();
  const BenchmarkResult result = run_benchmark(run, cancel, quiet);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 30s);  // wide: a busy machine
  EXPECT_EQ(result.exit_code, kExitUnreachable);
  EXPECT_EQ(result.report.stop_reason, "connection_failures");
  // The streak (100), plus what the 4 users had in flight when it was reached.
  EXPECT_GE(result.report.summary.requests, 100u);
  EXPECT_LE(result.report.summary.requests, 110u);
  ASSERT_FALSE(result.report.warnings.empty());
  EXPECT_NE(
      result.report.warnings.front().find("consecutive connection failures to http://127.0.0.1:" +
                                          std::to_string(port) + " (is the engine down?)"),
      std::string::npos)
      << result.report.warnings.front();
  const nlohmann::json j = read_json(spec.outputs.json);
  EXPECT_EQ(j["context"]["stop_reason"], "connection_failures");
}

TEST(Resolve, AnUnreachableEngineIsExitThree) {
  KnownEngine engine(engine_serving("vllm", {"m"}));
  engine.unreachable = "cannot reach http://127.0.0.1:9: Connection refused";
  const RunSpec spec =
      small_spec(*net::parse_url("http://127.0.0.1:9"), std::filesystem::temp_directory_path());
  try {
    (void)resolve(spec, engine, quiet);
    FAIL();
  } catch (const Failure& e) {
    EXPECT_EQ(e.code, kExitUnreachable);
    EXPECT_EQ(e.message, engine.unreachable);
  }
}

TEST(Benchmark, RunsASpecBuiltInCodeAgainstTheSimulator) {
  const InProcessSim sim(fast_sim(sim::Dialect::kVllm));
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.outputs.requests_csv = dir.path() / "requests.csv";
  NetworkDiscovery discovery;
  const ResolvedRun run = resolve(spec, discovery, quiet);
  EXPECT_EQ(run.spec.engine, engines::EngineKind::kVllm);
  EXPECT_EQ(run.spec.model, "llmbench-sim");
  CancellationToken cancel;
  const BenchmarkResult result = run_benchmark(run, cancel, quiet);
  EXPECT_EQ(result.exit_code, kExitOk);
  const metrics::RunSummary& s = result.report.summary;
  EXPECT_EQ(s.requests, 12u);
  EXPECT_EQ(s.succeeded, 12u);
  EXPECT_EQ(s.output_tokens, 12 * 8);
  EXPECT_EQ(s.prompt_length_mismatches, 0u);
  ASSERT_EQ(result.written.size(), 2u);
  const nlohmann::json j = read_json(spec.outputs.json);
  EXPECT_EQ(j["requests"].size(), 12u);
  EXPECT_EQ(j["context"]["config"]["model"], "llmbench-sim");
  EXPECT_EQ(j["workload"]["token_method"], "engine_tokenize");
  // The spill file is gone, nothing else was left beside the result.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  EXPECT_EQ(files, 2u);
}

// Issue 11, history: the run as the result file has it, in one transaction; the engine
// column is the suite's label when there is one.
TEST(History, ARunIsStoredAsItsResultFileHasIt) {
  const InProcessSim sim(fast_sim(sim::Dialect::kVllm));
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.history_db = dir.path() / "history" / "results.db";
  spec.engine_label = "fast-vllm";
  spec.scenario = "chat/short";
  NetworkDiscovery discovery;
  const ResolvedRun run = resolve(spec, discovery, quiet);
  ASSERT_TRUE(std::filesystem::exists(*spec.history_db)) << "opened before the run";
  CancellationToken cancel;
  const BenchmarkResult result = run_benchmark(run, cancel, quiet);
  EXPECT_EQ(result.exit_code, kExitOk);
  ASSERT_EQ(result.history_id, std::optional<std::int64_t>(1)) << result.history_error;
  EXPECT_EQ(result.history_error, "");

  auto db = store::ResultsDb::open(*spec.history_db);
  ASSERT_TRUE(db) << db.error().message;
  const auto stored = db->get(1);
  ASSERT_TRUE(stored) << stored.error().message;
  const nlohmann::json file = read_json(spec.outputs.json);
  EXPECT_EQ(stored->row.engine, "fast-vllm");
  EXPECT_EQ(stored->row.model, "llmbench-sim");
  EXPECT_EQ(stored->row.scenario, "chat/short");
  EXPECT_EQ(stored->row.started_at, file["context"]["start_time"]);
  EXPECT_EQ(stored->row.fingerprint, file["workload"]["fingerprint"]["workload"]);
  EXPECT_EQ(stored->row.stop_reason, "completed");
  EXPECT_EQ(stored->row.interrupted, std::optional<bool>(false));
  EXPECT_EQ(nlohmann::json::parse(stored->row.summary_json), file["summary"]);
  EXPECT_EQ(nlohmann::json::parse(stored->spec_json), file["context"]["config"]);
  const nlohmann::json context = nlohmann::json::parse(stored->context_json);
  EXPECT_FALSE(context.contains("config")) << "stored once, as the spec";
  EXPECT_EQ(context["workload"], file["workload"]);
  EXPECT_EQ(context["host"], file["context"]["host"]);
  ASSERT_EQ(stored->request_lines.size(), 12u);
  for (std::size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(nlohmann::json::parse(stored->request_lines[i]), file["requests"][i]);
  }
  ASSERT_EQ(stored->window_lines.size(), file["time_series"]["windows"].size());
  EXPECT_EQ(nlohmann::json::parse(stored->window_lines[0]), file["time_series"]["windows"][0]);

  EXPECT_EQ(*summary_figure(stored->row.summary_json, "ttft.p50"),
            std::optional<double>(file["summary"]["ttft"]["p50"].get<double>()));
  EXPECT_EQ(*summary_figure(stored->row.summary_json, "output_token_throughput"),
            std::optional<double>(file["summary"]["output_token_throughput"].get<double>()));
  EXPECT_EQ(*summary_figure(stored->row.summary_json, "goodput"), std::nullopt) << "null: no SLO";
  EXPECT_FALSE(summary_figure(stored->row.summary_json, "ttft.p42"));
  EXPECT_FALSE(summary_figure(stored->row.summary_json, "ttft")) << "an object, not a figure";
  EXPECT_FALSE(summary_figure(stored->row.summary_json, "errors"));
}

// A database that fails once the run is done loses nothing: the result is written, the exit
// code is the run's, and the error names the database.
TEST(History, AStoreFailureIsAWarningNotALostRun) {
  const InProcessSim sim(fast_sim(sim::Dialect::kVllm));
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.history_db = dir.path() / "results.db";
  NetworkDiscovery discovery;
  const ResolvedRun run = resolve(spec, discovery, quiet);
  // The database turns into something SQLite cannot open between the check and the store.
  std::filesystem::remove(*spec.history_db);
  std::filesystem::create_directories(*spec.history_db);
  CancellationToken cancel;
  const BenchmarkResult result = run_benchmark(run, cancel, quiet);
  EXPECT_EQ(result.exit_code, kExitOk);
  EXPECT_FALSE(result.history_id);
  EXPECT_NE(result.history_error.find(spec.history_db->string()), std::string::npos)
      << result.history_error;
  EXPECT_EQ(read_json(spec.outputs.json)["requests"].size(), 12u);
}

TEST(History, SinceIsAUtcDateOrTime) {
  EXPECT_EQ(*parse_since("2026-11-01"), "2026-11-01");
  EXPECT_EQ(*parse_since("2026-11-01T08:00:00Z"), "2026-11-01T08:00:00Z");
  for (const char* bad : {"", "yesterday", "2026-11-1", "2026-11-01T08:00:00", "2026-11-01 08"}) {
    const auto parsed = parse_since(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().message.find("--since"), std::string::npos);
  }
}

// Issue 9 A11: exact prompt lengths by the engine's own count against every dialect, with no
// --tokenizer: /tokenize where the engine has it, generation probes elsewhere.
TEST(Benchmark, ExactPromptLengthsAgainstEveryDialectWithoutATokenizer) {
  for (const sim::Dialect dialect :
       {sim::Dialect::kOpenAi, sim::Dialect::kVllm, sim::Dialect::kOllama, sim::Dialect::kTgi,
        sim::Dialect::kLlamaCpp, sim::Dialect::kSglang}) {
    SCOPED_TRACE(std::string(sim::to_string(dialect)));
    const InProcessSim sim(fast_sim(dialect));
    const TempDir dir;
    RunSpec spec = small_spec(sim.url(), dir.path());
    spec.prompt_tokens = workload::fixed_length(150);
    NetworkDiscovery discovery;
    CancellationToken cancel;
    const BenchmarkResult result = run_benchmark(resolve(spec, discovery, quiet), cancel, quiet);
    const metrics::RunSummary& s = result.report.summary;
    EXPECT_EQ(s.succeeded, 12u);
    EXPECT_EQ(s.prompt_length_checked, 12u);
    EXPECT_EQ(s.prompt_length_mismatches, 0u);
    EXPECT_NE(result.report.workload.token_method, "estimate");
  }
}

TEST(Benchmark, ARunInWhichEveryRequestFailedHasItsOwnExitCode) {
  sim::SimOptions options = fast_sim(sim::Dialect::kVllm);
  options.fail_rate = 1;
  const InProcessSim sim(options);
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.token_counting = TokenCounting::kEstimate;  // the probes would fail too
  NetworkDiscovery discovery;
  CancellationToken cancel;
  const BenchmarkResult result = run_benchmark(resolve(spec, discovery, quiet), cancel, quiet);
  EXPECT_EQ(result.exit_code, kExitAllFailed);
  EXPECT_EQ(result.report.summary.failed, 12u);
  EXPECT_TRUE(std::filesystem::exists(spec.outputs.json));  // the result is still written
}

TEST(Benchmark, CancellingWritesAValidPartialResult) {
  sim::SimOptions options = fast_sim(sim::Dialect::kVllm);
  options.ttft = 20s;  // nothing finishes before the cancel
  const InProcessSim sim(options);
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.token_counting = TokenCounting::kEstimate;
  NetworkDiscovery discovery;
  const ResolvedRun run = resolve(spec, discovery, quiet);
  CancellationToken cancel;
  std::thread canceller([&cancel] {
    std::this_thread::sleep_for(300ms);
    cancel.cancel();
  });
  const auto started = SteadyClock::now();
  const BenchmarkResult result = run_benchmark(run, cancel, quiet);
  canceller.join();
  EXPECT_LT(SteadyClock::now() - started, 15s);
  EXPECT_EQ(result.exit_code, kExitInterrupted);
  EXPECT_TRUE(result.report.interrupted);
  const nlohmann::json j = read_json(spec.outputs.json);
  EXPECT_EQ(j["context"]["interrupted"], true);
  ASSERT_EQ(j["requests"].size(), 4u);  // the four users' first requests, in flight
  for (const auto& r : j["requests"]) EXPECT_EQ(r["error"]["category"], "cancelled");
}

// Issue 10 class 2: every output path is checked before anything is sent; an engine that
// cannot be reached would say "unreachable" (exit 3) if the check came after discovery.
Failure resolve_failure(const RunSpec& spec) {
  KnownEngine engine(engine_serving("vllm", {"llmbench-sim"}));
  engine.unreachable = "the engine was contacted";
  try {
    (void)resolve(spec, engine, quiet);
  } catch (const Failure& e) {
    return e;
  }
  return {kExitOk, ""};
}

TEST(CheckOutputs, RefusesBadOrCollidingPathsBeforeContactingTheEngine) {
  const TempDir dir;
  const auto& d = dir.path();
  std::ofstream(d / "a.json") << "{}";
  std::ofstream(d / "data.jsonl") << "{\"prompt\": \"hi\"}\n";
  std::ofstream(d / "trace.txt") << "0\n";
  std::filesystem::create_symlink(d / "data.jsonl", d / "link.jsonl");
  std::filesystem::create_directories(d / "folder");
  const std::string cwd_relative = (d / "." / "a.json").string();
  struct Case {
    const char* what;
    std::function<void(RunSpec&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"directory", [&](RunSpec& s) { s.outputs.json = d / "folder"; },
       "--output: cannot write " + (d / "folder").string() + ": it is a directory"},
      {"missing parent", [&](RunSpec& s) { s.outputs.json = d / "no" / "r.json"; },
       "--output: cannot write " + (d / "no" / "r.json").string() + ": folder"},
      {"under a file", [&](RunSpec& s) { s.outputs.requests_csv = d / "a.json" / "x.csv"; },
       "--csv: cannot write " + (d / "a.json" / "x.csv").string() + ": Not a directory"},
      {"read-only location", [&](RunSpec& s) { s.outputs.summary_csv = "/proc/x.csv"; },
       "--summary-csv: cannot write /proc/x.csv: cannot create a file in /proc"},
      {"-o is --csv",
       [&](RunSpec& s) {
         s.outputs.json = d / "a.json";
         s.outputs.requests_csv = cwd_relative;
       },
       "--output and --csv are the same file"},
      {"-o is --summary-csv (new path)",
       [&](RunSpec& s) {
         s.outputs.json = d / "new.json";
         s.outputs.summary_csv = d / "folder" / ".." / "new.json";
       },
       "--output and --summary-csv are the same file"},
      {"-o is --dataset by a symlink",
       [&](RunSpec& s) {
         s.outputs.json = d / "link.jsonl";
         s.dataset = DatasetChoice{d / "data.jsonl", workload::DatasetFormat::kJsonl,
                                   workload::OnBadRecord::kSkip, 10};
       },
       "--output (" + (d / "link.jsonl").string() + ") is the --dataset input"},
      {"--csv is --trace",
       [&](RunSpec& s) {
         s.outputs.requests_csv = d / "trace.txt";
         s.trace_path = d / "trace.txt";
       },
       "--csv (" + (d / "trace.txt").string() + ") is the --trace input"},
      {"-o is --config",
       [&](RunSpec& s) {
         s.outputs.summary_csv = d / "a.json";
         s.config_path = d / "a.json";
       },
       "--summary-csv (" + (d / "a.json").string() + ") is the --config input"},
      {"two outputs on stdout",
       [&](RunSpec& s) {
         s.outputs.json = "-";
         s.outputs.requests_csv = "/dev/stdout";
       },
       "--output (-) and --csv (/dev/stdout) both write to the same descriptor"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    RunSpec spec = small_spec(*net::parse_url("http://127.0.0.1:1"), d);
    c.change(spec);
    const Failure failure = resolve_failure(spec);
    EXPECT_EQ(failure.code, kExitUsage) << failure.message;
    EXPECT_EQ(failure.message.substr(0, c.message.size()), c.message) << failure.message;
    EXPECT_EQ(failure.message.find("Success"), std::string::npos);
  }
  // One character device twice (/dev/full here: /dev/null is shared with whatever else runs on
  // this machine) is fine: nothing is destroyed.
  RunSpec spec = small_spec(*net::parse_url("http://127.0.0.1:1"), d);
  spec.outputs.json = "/dev/full";
  spec.outputs.requests_csv = "/dev/full";
  EXPECT_EQ(resolve_failure(spec).code, kExitUnreachable);
}

// Issue 10 class 2: a write that fails at the end loses nothing: the other outputs are
// written, the error names the output and the reason, and the run's records are kept.
TEST(Benchmark, AnOutputThatCannotBeWrittenKeepsTheRecordsAndSaysWhere) {
  const InProcessSim sim(fast_sim(sim::Dialect::kVllm));
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.token_counting = TokenCounting::kEstimate;
  spec.outputs.requests_csv = "/dev/full";
  NetworkDiscovery discovery;
  CancellationToken cancel;
  const BenchmarkResult result = run_benchmark(resolve(spec, discovery, quiet), cancel, quiet);
  EXPECT_EQ(result.exit_code, kExitNotWritten);
  ASSERT_EQ(result.write_errors.size(), 1u);
  ASSERT_TRUE(result.kept_records.has_value());
  EXPECT_EQ(result.write_errors[0],
            "cannot write /dev/full: No space left on device; the run's 12 records are kept in " +
                result.kept_records->string());
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
  // The JSON result was still written; the kept file holds one request per line.
  EXPECT_EQ(read_json(spec.outputs.json)["requests"].size(), 12u);
  std::ifstream kept(*result.kept_records);
  std::size_t lines = 0;
  for (std::string line; std::getline(kept, line);) {
    EXPECT_FALSE(nlohmann::json::parse(line).is_discarded());
    ++lines;
  }
  EXPECT_EQ(lines, 12u);
  std::filesystem::remove(*result.kept_records);
}

TEST(Benchmark, AResultStreamedToAFullDeviceKeepsTheRecordsInTheTemporaryFolder) {
  const InProcessSim sim(fast_sim(sim::Dialect::kVllm));
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.token_counting = TokenCounting::kEstimate;
  spec.outputs.json = "/dev/full";
  spec.outputs.summary_csv = dir.path() / "summary.csv";
  NetworkDiscovery discovery;
  CancellationToken cancel;
  const BenchmarkResult result = run_benchmark(resolve(spec, discovery, quiet), cancel, quiet);
  EXPECT_EQ(result.exit_code, kExitNotWritten);
  ASSERT_TRUE(result.kept_records.has_value());
  EXPECT_EQ(result.kept_records->parent_path(), std::filesystem::temp_directory_path());
  EXPECT_TRUE(std::filesystem::exists(*result.kept_records));
  EXPECT_TRUE(std::filesystem::exists(spec.outputs.summary_csv.value()));
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
  std::filesystem::remove(*result.kept_records);
}

// Issue 9 B4: counting prompts with /tokenize keeps one connection for every count.
TEST(ControlClient, KeepsOneConnectionForManyRequests) {
  const InProcessSim sim(fast_sim(sim::Dialect::kVllm));
  net::ControlClient client(sim.url(), net::TlsOptions{});
  for (int i = 0; i < 50; ++i) {
    auto request =
        engines::tokenize_request(engines::EngineKind::kVllm, "", "one two three", "llmbench-sim");
    ASSERT_TRUE(request.has_value());
    auto answer = client.request(*request, 5s);
    ASSERT_TRUE(answer.has_value()) << answer.error().message;
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(engines::parse_token_count(answer->status, answer->body).value_or(-1), 4);
  }
  EXPECT_EQ(client.connects(), 1u);
}

// ---- golden output ----
// The terminal summary and the shape of the result JSON of one fixed run, compared with
// files under tests/data/golden. Numbers are volatile (timings, the port) and become "{n}";
// everything else — labels, columns, units, field names and types — must match exactly.
// LLMBENCH_UPDATE_GOLDEN=1 rewrites the files (review the diff before committing it).

// Numbers are placeholders and runs of spaces one space. Lines about the client's own load (a busy
// test machine may make it client-bound) are left out.
std::string numbers_as_placeholders(const std::string& text) {
  static const std::regex number(R"(\b\d+(\.\d+)?(e[+-]?\d+)?)");  // not p99, E2E
  std::istringstream lines(text);
  std::string kept;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("client-bound") == std::string::npos) kept += line + "\n";
  }
  // Columns are right-aligned: how wide a number is moves the spaces before it.
  static const std::regex spaces(" +");
  return std::regex_replace(std::regex_replace(kept, number, "{n}"), spaces, " ");
}

// Every key path of `j` with its JSON type, one per line; arrays by their first element.
void shape_of(const nlohmann::json& j, const std::string& path, std::string& out) {
  if (j.is_object()) {
    out += path + ": object\n";
    for (const auto& [key, value] : j.items()) shape_of(value, path + "." + key, out);
  } else if (j.is_array()) {
    out += path + ": array\n";
    // Lists of values (warnings, token arrivals) may be empty or not from run to run.
    if (!j.empty() && j.front().is_structured()) shape_of(j.front(), path + "[]", out);
  } else {
    out +=
        path + ": " + (j.is_number() ? std::string("number") : std::string(j.type_name())) + "\n";
  }
}

void expect_golden(const std::string& name, const std::string& actual) {
  const std::filesystem::path path = std::filesystem::path(LLMBENCH_TEST_DATA) / "golden" / name;
  if (const char* update = std::getenv("LLMBENCH_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path;
  const std::string expected((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(actual, expected) << "golden " << path
                              << " differs; LLMBENCH_UPDATE_GOLDEN=1 rewrites it";
}

TEST(Golden, TerminalSummaryAndResultShapeOfAClosedLoopRun) {
  const InProcessSim sim(fast_sim(sim::Dialect::kVllm));
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.slos = *metrics::parse_slos("ttft:p99<=10s");
  NetworkDiscovery discovery;
  CancellationToken cancel;
  const BenchmarkResult result = run_benchmark(resolve(spec, discovery, quiet), cancel, quiet);
  ASSERT_EQ(result.exit_code, kExitOk);
  std::ostringstream table;
  report::print_summary(table, result.report);
  expect_golden("closed_loop_summary.txt", numbers_as_placeholders(table.str()));
  std::string shape;
  shape_of(read_json(spec.outputs.json), "", shape);
  expect_golden("closed_loop_result_shape.txt", shape);
}

// The report of the same kind of run (docs/reports.md): its Markdown, written by
// `run --markdown`, and its CSV; `run --html` writes the page beside them.
TEST(Golden, MarkdownAndCsvReportOfAClosedLoopRun) {
  const InProcessSim sim(fast_sim(sim::Dialect::kVllm));
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.slos = *metrics::parse_slos("ttft:p99<=10s");
  spec.outputs.markdown = dir.path() / "report.md";
  spec.outputs.html = dir.path() / "report.html";
  NetworkDiscovery discovery;
  CancellationToken cancel;
  const BenchmarkResult result = run_benchmark(resolve(spec, discovery, quiet), cancel, quiet);
  ASSERT_EQ(result.exit_code, kExitOk);
  EXPECT_TRUE(std::filesystem::exists(*spec.outputs.html));
  // A few prompts beside the engine's outputs: the simulator's text, cut to the bound.
  const nlohmann::json samples = read_json(spec.outputs.json)["workload"]["samples"];
  ASSERT_EQ(samples.size(), 3u);
  for (const auto& sample : samples) {
    EXPECT_FALSE(sample["prompt"].get<std::string>().empty());
    EXPECT_FALSE(sample["output"].get<std::string>().empty());
    EXPECT_LE(sample["output"].get<std::string>().size(), report::RunReport::kSampleBytes);
  }
  std::ifstream in(*spec.outputs.markdown, std::ios::binary);
  const std::string markdown((std::istreambuf_iterator<char>(in)), {});
  expect_golden("closed_loop_report.md", numbers_as_placeholders(markdown));
  const metrics::ReportModel model = result_report(spec.outputs.json);
  expect_golden("closed_loop_report.csv", numbers_as_placeholders(report::render_csv(model)));
}

TEST(Golden, TerminalSummaryOfANonStreamedRun) {
  const InProcessSim sim(fast_sim(sim::Dialect::kTgi));
  const TempDir dir;
  RunSpec spec = small_spec(sim.url(), dir.path());
  spec.stream = false;
  NetworkDiscovery discovery;
  CancellationToken cancel;
  const BenchmarkResult result = run_benchmark(resolve(spec, discovery, quiet), cancel, quiet);
  ASSERT_EQ(result.exit_code, kExitOk);
  std::ostringstream table;
  report::print_summary(table, result.report);
  expect_golden("no_stream_summary.txt", numbers_as_placeholders(table.str()));
}

TEST(Cancellation, ACallbackRegisteredAfterTheCancelRunsAtOnce) {
  CancellationToken token;
  int calls = 0;
  {
    const auto registration = token.on_cancel([&calls] { ++calls; });
    token.cancel();
    token.cancel();  // once only
  }
  EXPECT_EQ(calls, 1);
  const auto late = token.on_cancel([&calls] { ++calls; });
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(token.cancelled());
}

TEST(Cancellation, NestedRegistrationsAllRunAndAnEndedOneDoesNot) {
  CancellationToken token;
  int outer = 0;
  int inner = 0;
  int ended = 0;
  const auto outer_registration = token.on_cancel([&outer] { ++outer; });
  {
    const auto gone = token.on_cancel([&ended] { ++ended; });
  }
  const auto inner_registration = token.on_cancel([&inner] { ++inner; });
  token.cancel();
  EXPECT_EQ(outer, 1);
  EXPECT_EQ(inner, 1);
  EXPECT_EQ(ended, 0);
}

}  // namespace
}  // namespace llmbench::app
