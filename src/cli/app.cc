#include "cli/app.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/workload_setup.h"
#include "engines/openai.h"
#include "engines/registry.h"
#include "metrics/summary.h"
#include "metrics/sweep.h"
#include "report/report.h"
#include "runner/discovery.h"
#include "runner/runner.h"
#include "workload/workload.h"

#ifndef LLMBENCH_VERSION
#define LLMBENCH_VERSION "0.0.0"
#endif
#ifndef LLMBENCH_GIT_SHA
#define LLMBENCH_GIT_SHA "unknown"
#endif

namespace llmbench::cli {

namespace asio = boost::asio;

struct SignalBridge::Impl {
  asio::io_context io;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  std::atomic<bool> fired{false};
  std::thread thread;
};

SignalBridge::SignalBridge(std::function<void()> on_signal) : impl_(std::make_unique<Impl>()) {
  impl_->signals.async_wait(
      [this, on_signal = std::move(on_signal)](const boost::system::error_code& ec, int) {
        if (ec) return;
        impl_->fired = true;
        on_signal();
      });
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

SignalBridge::~SignalBridge() {
  impl_->io.stop();
  impl_->thread.join();
}

bool SignalBridge::fired() const { return impl_->fired.load(); }

std::string iso8601_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string hostname() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
  return buffer;
}

std::string timestamp_for_files() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return stamp;
}

std::string default_output_path(std::string_view engine) {
  return fmt::format("results/{}-{}.json", timestamp_for_files(), engine);
}

namespace {

// Receives records from the worker threads and hands them to one background thread, which
// derives each request's figures, folds them into the level's and the run's aggregators and
// appends the request to the spill file (and the CSV). Workers only move a record into a
// queue, so formatting never runs on a measuring thread, and memory stays bounded however
// long the run.
class ResultSink final : public RecordSink {
 public:
  ResultSink(std::filesystem::path spill, std::optional<std::filesystem::path> csv,
             metrics::AggregatorOptions options, report::RequestDetail detail)
      : spill_path_(std::move(spill)),
        csv_path_(std::move(csv)),
        options_(std::move(options)),
        detail_(detail) {}

  ~ResultSink() override {
    stop_thread();
    for (Node* n = head_.exchange(nullptr); n != nullptr;) {  // only after a failed run
      Node* next = n->next;
      delete n;
      n = next;
    }
  }

  // Opens the output files; throws CommandError when they cannot be written.
  void open() {
    std::error_code ec;
    if (spill_path_.has_parent_path()) {
      std::filesystem::create_directories(spill_path_.parent_path(), ec);
    }
    spill_.open(spill_path_, std::ios::binary | std::ios::trunc);
    if (!spill_) throw CommandError{kExitUsage, "cannot write " + spill_path_.string()};
    if (csv_path_) {
      if (csv_path_->has_parent_path())
        std::filesystem::create_directories(csv_path_->parent_path(), ec);
      csv_.open(csv_tmp(), std::ios::binary | std::ios::trunc);
      if (!csv_) throw CommandError{kExitUsage, "cannot write " + csv_path_->string()};
      csv_ << report::requests_csv_header();
    }
    thread_ = std::thread([this] { drain(); });
  }

  void begin(TimePoint origin) override {
    std::lock_guard lock(mutex_);
    if (!run_) {
      origin_ = origin;
      run_.emplace(origin, options_);
    }
    level_.emplace(origin, options_);
  }

  void consume(RequestRecord&& record) override {
    if (!record.ok()) failed_.fetch_add(1, std::memory_order_relaxed);
    done_.fetch_add(1, std::memory_order_relaxed);
    // Lock-free push: a measuring thread never waits for the (lower-priority) drain thread,
    // and never wakes it: the drain thread polls.
    auto* node = new Node{std::move(record), head_.load(std::memory_order_relaxed)};
    while (!head_.compare_exchange_weak(node->next, node, std::memory_order_release,
                                        std::memory_order_relaxed)) {
    }
    pushed_.fetch_add(1, std::memory_order_release);
  }

  // Waits until every record handed in so far was processed; the level's summary.
  metrics::RunSummary end_level() {
    wait_idle();
    return level_ ? level_->finish() : metrics::RunSummary{};
  }

  // After the last level: the summary over all levels; closes the files.
  metrics::RunSummary finish_run() {
    wait_idle();
    metrics::RunSummary summary = run_ ? run_->finish() : metrics::RunSummary{};
    stop_thread();
    spill_.close();
    if (csv_path_) {
      csv_.close();
      std::error_code ec;
      std::filesystem::rename(csv_tmp(), *csv_path_, ec);
      if (ec)
        throw CommandError{kExitUsage, "cannot write " + csv_path_->string() + ": " + ec.message()};
    }
    return summary;
  }

  [[nodiscard]] TimePoint origin() const { return origin_; }
  [[nodiscard]] std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  std::filesystem::path csv_tmp() const {
    return csv_path_->string() + ".tmp." + std::to_string(::getpid());
  }

  struct Node {
    RequestRecord record;
    Node* next;
  };

  // Until every record pushed so far was processed.
  void wait_idle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] {
      return processed_.load(std::memory_order_acquire) == pushed_.load(std::memory_order_acquire);
    });
  }

  void stop_thread() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  void drain() {
    // Bookkeeping yields to measuring: this thread runs at a lower priority than the
    // workers (raising one's own nice value is always allowed).
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    ::setpriority(PRIO_PROCESS, tid, ::getpriority(PRIO_PROCESS, tid) + 5);
    std::vector<RequestRecord> batch;
    std::string lines;
    for (;;) {
      Node* list = head_.exchange(nullptr, std::memory_order_acquire);
      if (list == nullptr) {
        std::unique_lock lock(mutex_);
        if (stopping_ && head_.load(std::memory_order_acquire) == nullptr) return;
        wake_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_; });
        continue;
      }
      // The stack holds the newest first: reverse into finishing order.
      while (list != nullptr) {
        Node* next = list->next;
        batch.push_back(std::move(list->record));
        delete list;
        list = next;
      }
      std::reverse(batch.begin(), batch.end());
      lines.clear();
      std::string rows;
      for (const RequestRecord& r : batch) {
        const metrics::RequestMetrics m = metrics::derive(r, options_.forced_length);
        // No lock: begin() replaces the level aggregator only after end_level() saw every
        // record of the previous level processed, so never during a batch.
        run_->add(r, m);
        level_->add(r, m);
        if (detail_ != report::RequestDetail::kNone) {
          lines += report::record_json_line(r, m, origin_, detail_);
          lines += '\n';
        }
        if (csv_path_) rows += report::requests_csv_row(r, m);
      }
      spill_ << lines;
      if (csv_path_) csv_ << rows;
      spill_.flush();  // a crash loses at most the batch in hand
      {
        std::lock_guard lock(mutex_);
        processed_.fetch_add(batch.size(), std::memory_order_release);
      }
      batch.clear();
      idle_.notify_all();
    }
  }

  std::filesystem::path spill_path_;
  std::optional<std::filesystem::path> csv_path_;
  metrics::AggregatorOptions options_;
  report::RequestDetail detail_;
  std::ofstream spill_;
  std::ofstream csv_;
  TimePoint origin_{};

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::atomic<Node*> head_{nullptr};  // records handed in, newest first
  std::atomic<std::uint64_t> pushed_{0}, processed_{0};
  bool stopping_ = false;
  std::optional<metrics::Aggregator> run_;
  std::optional<metrics::Aggregator> level_;
  std::thread thread_;

  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> failed_{0};
};

// The live "N requests done" line on stderr, redrawn twice a second until stop() or
// destruction (so an exception cannot leave the thread running).
class ProgressLine {
 public:
  ProgressLine(bool enabled, const ResultSink& sink) {
    if (!enabled) return;
    thread_ = std::thread([this, &sink] {
      std::unique_lock lock(mutex_);
      while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; })) {
        std::cerr << fmt::format("\r{} requests done, {} failed   ", sink.done(), sink.failed())
                  << std::flush;
      }
      std::cerr << "\r" << std::string(60, ' ') << "\r" << std::flush;
    });
  }
  ~ProgressLine() { stop(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Removes the spill file however the command ends; the result has copied it by then.
struct RemoveOnExit {
  std::filesystem::path path;
  ~RemoveOnExit() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

Duration seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

// One load level to execute.
struct LevelPlan {
  std::string kind;                // synchronous | throughput | rate | concurrency | run
  std::optional<double> rate;      // open loop at this constant rate
  std::optional<int> concurrency;  // closed loop with this many users
  bool scheduled = false;          // open loop from the job's arrival process or trace
};

}  // namespace

ResolvedEngine resolve_engine(const std::string& url_text, const std::string& requested,
                              bool tls_verify) {
  auto url = net::parse_url(url_text);
  if (!url) throw CommandError{kExitUsage, "--url: " + url.error().message};
  auto kind = engines::parse_engine_kind(requested);
  if (!kind) throw CommandError{kExitUsage, "--engine: " + kind.error().message};
  net::TlsOptions tls;
  tls.verify = tls_verify;
  if (*kind != engines::EngineKind::kAuto) {
    if (auto reachable = net::probe_reachable(*url, std::chrono::seconds(5), tls); !reachable) {
      throw CommandError{kExitUnreachable, reachable.error().message};
    }
    return {requested, std::nullopt};
  }
  auto info = runner::discover_engine(*url, tls, std::chrono::seconds(5));
  if (!info) throw CommandError{kExitUnreachable, info.error().message};
  return {info->engine, *info};
}

bool forces_exact_length(std::string_view engine) {
  return engine == "vllm" || engine == "llamacpp" || engine == "sglang";
}

int run_benchmark(const BenchmarkJob& job) {
  const ResolvedRunSpec& spec = job.spec;
  auto url = net::parse_url(spec.url);
  if (!url) throw CommandError{kExitUsage, url.error().message};
  net::TlsOptions tls;
  tls.verify = spec.tls_verify;

  auto kind = engines::parse_engine_kind(spec.engine);
  if (!kind) throw CommandError{kExitUsage, kind.error().message};
  auto api = engines::parse_api_choice(spec.api);
  if (!api) throw CommandError{kExitUsage, "--api: " + api.error().message};
  engines::EngineOptions engine_options;
  engine_options.kind = *kind;
  engine_options.route = api->route;
  engine_options.base_path = api->route == engines::RouteFamily::kOpenAi
                                 ? url->base_path
                                 : engines::strip_v1_suffix(url->base_path);
  engine_options.api_key = job.api_key;
  engine_options.keep_alive = job.keep_alive;
  engine_options.headers = job.headers;
  const auto engine = engines::make_engine(engine_options);

  // Prompts are made, counted and corrected before any clock starts.
  std::uint64_t requests_to_verify = spec.requests.value_or(0);
  if (spec.load_mode == "open_loop" && spec.rate && spec.duration && !spec.requests) {
    requests_to_verify = static_cast<std::uint64_t>(*spec.rate * *spec.duration * 1.2) + 16;
  }
  if (spec.load_mode == "concurrency_steps" && spec.requests) {
    requests_to_verify = *spec.requests * spec.concurrency_levels.size();
  }
  BuiltWorkload built = build_workload(job, *engine, api->api, requests_to_verify);
  const workload::Workload& workload = *built.workload;

  const bool forced = spec.ignore_eos && forces_exact_length(spec.engine);
  metrics::AggregatorOptions aggregation;
  aggregation.forced_length = forced;
  aggregation.slos = job.slos;
  aggregation.window = spec.window;
  const std::filesystem::path spill =
      job.output_json.string() + ".requests.partial." + std::to_string(::getpid());
  const RemoveOnExit remove_spill{spill};
  ResultSink sink(spill, job.requests_csv, aggregation, job.request_detail);
  sink.open();

  report::RunReport report;
  report.context.tool_version = LLMBENCH_VERSION;
  report.context.git_sha = LLMBENCH_GIT_SHA;
  report.context.host = hostname();
  report.context.started_at = iso8601_now();
  report.context.command_line = job.command_line;
  report.context.clock_resolution = measure_clock_resolution();
  report.context.cpu_count = static_cast<int>(std::thread::hardware_concurrency());
  report.spec = spec;
  report.engine = job.engine_info;
  report.workload = built.info;

  // Ctrl-C stops the level in progress and every level after it.
  std::mutex current_mutex;
  runner::Runner* current = nullptr;
  std::atomic<bool> interrupted{false};
  SignalBridge signals([&] {
    interrupted = true;
    std::lock_guard lock(current_mutex);
    if (current) current->cancel();
  });

  // Live progress on stderr, only for a terminal.
  ProgressLine progress(job.progress && !job.quiet && isatty(STDERR_FILENO), sink);

  const bool open_loop = spec.load_mode == "open_loop";
  SteadyClockSource clock;
  std::uint64_t next_id = 0;
  std::string stop_reason = "completed";

  auto run_level = [&](const LevelPlan& plan) -> report::LevelReport {
    runner::RunOptions options;
    options.url = *url;
    options.threads = spec.threads;
    options.timeouts = job.timeouts;
    options.tls = tls;
    options.warmup = job.warmup;
    options.cooldown = job.cooldown;
    options.retry = job.retry;
    options.error_limit = job.error_limit;
    options.level = static_cast<std::uint32_t>(report.levels.size());
    options.first_id = next_id;
    options.seed = workload::mix_seed(spec.seed, options.level);
    std::vector<double> offsets;
    if (plan.rate || plan.scheduled) {
      if (plan.scheduled && !job.trace.empty()) {
        for (const double t : job.trace) {
          if (spec.requests && offsets.size() >= *spec.requests) break;
          if (spec.duration && t >= *spec.duration) break;
          offsets.push_back(t);
        }
      } else {
        workload::ArrivalOptions arrival = job.arrival.value_or(workload::ArrivalOptions{});
        if (plan.rate) arrival.rates = {workload::RatePoint{0, *plan.rate}};
        arrival.seed = workload::mix_seed(spec.seed, 1000 + options.level);
        auto schedule = workload::build_schedule(arrival, spec.requests, spec.duration);
        if (!schedule) throw CommandError{kExitUsage, schedule.error().message};
        offsets = std::move(*schedule);
      }
      options.schedule.reserve(offsets.size());
      for (const double t : offsets) options.schedule.push_back(seconds(t));
      if (spec.duration) options.duration = seconds(*spec.duration);
    } else {
      options.concurrency = plan.concurrency.value_or(spec.concurrency);
      options.threads = std::min(spec.threads, options.concurrency);
      options.requests = spec.requests;
      if (spec.duration) options.duration = seconds(*spec.duration);
    }
    runner::Runner runner(options, *engine, workload, sink, clock);
    {
      std::lock_guard lock(current_mutex);
      current = &runner;
    }
    if (interrupted) runner.cancel();
    auto times = runner.run();
    {
      std::lock_guard lock(current_mutex);
      current = nullptr;
    }
    if (!times) throw CommandError{kExitUnreachable, times.error().message};
    report::LevelReport level;
    level.index = options.level;
    level.kind = plan.kind;
    level.offered_rate = plan.rate;
    if (!plan.rate && !plan.scheduled) level.concurrency = options.concurrency;
    level.stop_reason =
        interrupted ? "interrupted" : std::string(runner::to_string(times->stop_reason));
    level.summary = sink.end_level();
    level.summary.client =
        metrics::assess_client(times->worker_cpu, times->process_cpu, level.summary.schedule_lag,
                               plan.rate || plan.scheduled);
    next_id += times->requests_started;
    if (level.stop_reason != "completed") stop_reason = level.stop_reason;
    return level;
  };

  std::vector<LevelPlan> plans;
  if (spec.load_mode == "sweep") {
    plans = {{"synchronous", std::nullopt, 1, false},
             {"throughput", std::nullopt, spec.concurrency, false}};
  } else if (spec.load_mode == "concurrency_steps") {
    for (const int c : spec.concurrency_levels)
      plans.push_back({"concurrency", std::nullopt, c, false});
  } else if (open_loop) {
    // A constant rate, or the job's rate schedule / trace as it stands.
    const bool as_given = !job.trace.empty() || !spec.rate;
    plans.push_back({"run", as_given ? std::nullopt : spec.rate, std::nullopt, true});
  } else {
    plans.push_back({"run", std::nullopt, spec.concurrency, false});
  }
  for (std::size_t i = 0; i < plans.size() && stop_reason == "completed"; ++i) {
    report.levels.push_back(run_level(plans[i]));
    if (spec.load_mode == "sweep" && i == 1) {
      const double low = report.levels[0].summary.completion_rate;
      const double high = report.levels[1].summary.completion_rate;
      for (const double rate : metrics::sweep_rates(low, high, spec.sweep_steps)) {
        plans.push_back({"rate", rate, std::nullopt, false});
      }
    }
  }
  progress.stop();

  report.origin = sink.origin();
  report.interrupted = interrupted || stop_reason == "interrupted";
  report.stop_reason = report.interrupted ? "interrupted" : stop_reason;
  report.summary = sink.finish_run();
  report.requests_jsonl = spill;
  // The whole run's client health: the worst of its levels.
  for (const report::LevelReport& level : report.levels) {
    metrics::ClientHealth& all = report.summary.client;
    const metrics::ClientHealth& one = level.summary.client;
    all.worker_cpu.resize(std::max(all.worker_cpu.size(), one.worker_cpu.size()), 0);
    for (std::size_t w = 0; w < one.worker_cpu.size(); ++w) {
      all.worker_cpu[w] = std::max(all.worker_cpu[w], one.worker_cpu[w]);
    }
    all.process_cpu = std::max(all.process_cpu, one.process_cpu);
    if (one.client_bound && !all.client_bound) {
      all.client_bound = true;
      all.reason = one.reason;
    }
  }
  if (spec.load_mode == "sweep") {
    std::vector<metrics::LevelOutcome> levels;
    for (const report::LevelReport& level : report.levels) {
      levels.push_back({level.offered_rate, &level.summary});
    }
    report.sweep = metrics::analyze_sweep(levels);
  }
  if (report.levels.size() == 1 && spec.load_mode != "sweep" &&
      spec.load_mode != "concurrency_steps") {
    report.levels.clear();  // a single run: its summary is the run's
  }

  if (!forces_exact_length(spec.engine)) {
    report.warnings.push_back(spec.engine +
                              " cannot be told to ignore end-of-sequence: output "
                              "lengths are whatever it generated (see output_tokens per request)");
  }
  for (const std::string& warning : built.info.warnings) report.warnings.push_back(warning);
  if (report.summary.prompt_length_mismatch_rate &&
      *report.summary.prompt_length_mismatch_rate > 0) {
    report.warnings.push_back(fmt::format(
        "{:.1f}% of prompts were not their target length by the engine's count (most common "
        "difference {:+d} tokens{})",
        *report.summary.prompt_length_mismatch_rate * 100, report.summary.prompt_length_offset,
        spec.api == "openai-chat" || spec.api == "native-chat" ? ": the chat template's own tokens"
                                                               : ""));
  }
  if (report.summary.client.client_bound) {
    report.warnings.push_back("client-bound: " + report.summary.client.reason);
  }
  if (report.stop_reason == "max_error_rate" && job.error_limit) {
    report.warnings.push_back(fmt::format(
        "stopped early: more than {:.0f}% of the last {} requests failed (--max-error-rate)",
        job.error_limit->max_rate * 100, job.error_limit->window));
  }
  if (report.summary.requests > 0 && report.summary.failed == report.summary.requests) {
    report.warnings.push_back("every request failed; see the errors above and in the result file");
  }

  if (!job.quiet) report::print_summary(std::cout, report);

  if (auto written = report::write_json(report, job.output_json); !written) {
    throw CommandError{kExitUsage, written.error().message};
  }
  if (!job.quiet) std::cout << "wrote " << job.output_json.string() << "\n";
  if (job.requests_csv && !job.quiet) std::cout << "wrote " << job.requests_csv->string() << "\n";
  if (job.summary_csv) {
    if (auto written = report::write_file_atomically(*job.summary_csv, report::summary_csv(report));
        !written) {
      throw CommandError{kExitUsage, written.error().message};
    }
    if (!job.quiet) std::cout << "wrote " << job.summary_csv->string() << "\n";
  }
  std::cout << std::flush;
  if (report.interrupted) return kExitInterrupted;
  return report.stop_reason == "max_error_rate" ? kExitCheckFailed : kExitOk;
}

}  // namespace llmbench::cli
