#pragma once
// The run's RecordSink. Worker threads hand each finished record to a bounded lock-free
// queue (Boost.Lockfree); one lower-priority drain thread derives the request's figures,
// folds them into the level's and the run's aggregators, and appends the request to the
// spill file (and the per-request CSV). Formatting never runs on a measuring thread, and
// memory stays bounded however long the run.

#include <atomic>
#include <boost/lockfree/queue.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>

#include "app/observer.h"
#include "core/record.h"
#include "metrics/live.h"
#include "metrics/stability.h"
#include "metrics/summary.h"
#include "report/output_file.h"
#include "report/report.h"

namespace llmbench::app {

class ResultSink final : public RecordSink, public RunProgress {
 public:
  // Records waiting for the drain thread, at most; a worker that finds the queue full
  // waits (back-pressure) rather than letting memory grow.
  static constexpr std::size_t kQueueCapacity = 16'384;

  // The spill file is created in `spill_dir` under a unique name starting with `spill_stem`
  // (O_EXCL: nothing existing is overwritten); the per-request CSV goes to `csv` as
  // report::OutputFile writes it (atomically over a regular file, in place to a device).
  // `level_series`: each level keeps its own time series too (sweeps, concurrency steps);
  // otherwise only the run's is kept, since a single level's summary is the run's.
  ResultSink(std::filesystem::path spill_dir, std::string spill_stem,
             std::optional<std::filesystem::path> csv, metrics::AggregatorOptions options,
             report::RequestDetail detail, bool level_series);
  ~ResultSink() override;
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;

  // Opens the output files and starts the drain thread; throws Failure when a file cannot
  // be written.
  void open();

  // Runner side (any worker thread).
  void begin(TimePoint origin) override;
  void started() override;
  void consume(RequestRecord&& record) override;

  // For the live view (snapshot()), from the thread running the use case: how long or how
  // many requests the whole run is planned for (nullopt: not known in advance), and the level
  // about to start (before its begin()).
  void set_plan(std::optional<std::uint64_t> total_requests,
                std::optional<double> planned_duration);
  void set_level(std::optional<metrics::LiveLevel> level, bool open_loop);

  // --until-stable, for the level about to run: the drain thread folds the level's records
  // into a StabilityWatch and reads it about every `every`; the first stable reading is
  // handed to `on_stable` (on the drain thread). stop_watching() before what on_stable
  // touches is gone: after it returns, on_stable is not running and will not run.
  void watch_stability(const metrics::StabilityTarget& target, Duration every,
                       std::function<void(const metrics::StabilityReading&)> on_stable);
  void stop_watching();

  // Waits until every record handed in so far was processed; the level's summary.
  metrics::RunSummary end_level();
  // After the last level: the summary over all levels; closes the files (the CSV is moved
  // into place). A write error is kept for spill_error() / csv_error(), never thrown.
  metrics::RunSummary finish_run();

  // The spill file (one JSON line per request), valid once open() returned. Its owner
  // removes it (or keeps it when a result could not be written).
  [[nodiscard]] const std::filesystem::path& spill_path() const { return spill_path_; }
  // After finish_run(): up to kSampledOutputs (request id, first bytes of its output).
  static constexpr std::size_t kSampledOutputs = 3;
  [[nodiscard]] const std::vector<std::pair<std::uint64_t, std::string>>& output_samples() const {
    return output_samples_;
  }
  // Lines written to the spill file (0 with RequestDetail::kNone).
  [[nodiscard]] std::uint64_t spilled() const { return spilled_; }
  // After finish_run(): why the spill file or the CSV could not be written, if so.
  [[nodiscard]] const std::optional<std::string>& spill_error() const { return spill_error_; }
  [[nodiscard]] const std::optional<std::string>& csv_error() const { return csv_error_; }

  [[nodiscard]] TimePoint origin() const { return origin_; }
  // From the first send to the last end of the measured requests (warm-up and cool-down
  // apart): of the level last ended (after end_level()), of the run (after finish_run());
  // nullopt when none was measured. The span the monitors' figures are summarised over.
  struct Span {
    TimePoint first_send, last_end;
  };
  [[nodiscard]] const std::optional<Span>& level_span() const { return level_span_out_; }
  [[nodiscard]] const std::optional<Span>& run_span() const { return run_span_; }
  [[nodiscard]] std::uint64_t done() const override {
    return done_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t failed() const override {
    return failed_.load(std::memory_order_relaxed);
  }
  // Any thread: the counts now, with the window figures the drain thread last published
  // (at most kPublishEvery old).
  [[nodiscard]] metrics::LiveSnapshot snapshot() const override;

  // How often the drain thread refreshes the live figures (and samples the process's CPU).
  static constexpr std::chrono::milliseconds kPublishEvery{250};

 private:
  void wait_idle();
  void stop_thread();
  void drain();  // the drain thread

  std::filesystem::path spill_dir_;
  std::string spill_stem_;
  std::filesystem::path spill_path_;
  std::optional<std::filesystem::path> csv_path_;
  metrics::AggregatorOptions options_;
  metrics::AggregatorOptions level_options_;
  report::RequestDetail detail_;
  std::unique_ptr<report::DescriptorBuf> spill_buf_;
  std::unique_ptr<std::ostream> spill_;
  std::unique_ptr<report::OutputFile> csv_;
  std::uint64_t spilled_ = 0;  // drain thread until finish_run()
  // The first successful measured requests' ids and output samples (drain thread until
  // finish_run()), for the report's workload samples.
  std::vector<std::pair<std::uint64_t, std::string>> output_samples_;
  std::optional<std::string> spill_error_, csv_error_;
  // Drain thread until end_level() / finish_run() (which wait for it to be idle).
  std::optional<Span> level_span_, run_span_, level_span_out_;
  TimePoint origin_{};

  std::mutex mutex_;  // guards stopping_, the aggregators' replacement, idle_ waits
  std::condition_variable wake_;
  std::condition_variable idle_;
  // Records handed in and not yet processed; owned by the queue until popped.
  boost::lockfree::queue<RequestRecord*> queue_{kQueueCapacity};
  std::atomic<std::uint64_t> pushed_{0}, processed_{0};
  bool stopping_ = false;
  std::optional<metrics::Aggregator> run_;
  std::optional<metrics::Aggregator> level_;
  std::thread thread_;

  std::mutex watch_mutex_;  // guards the four below: set by the caller, used by the drain thread
  std::optional<metrics::StabilityWatch> watch_;
  std::function<void(const metrics::StabilityReading&)> on_stable_;
  Duration watch_every_{};
  std::chrono::steady_clock::time_point next_check_{};

  // The live view. The drain thread adds every record to live_ and, every kPublishEvery,
  // fills published_ from it; set_plan()/set_level() write the plan fields; snapshot() copies
  // published_. All under live_mutex_, which no worker thread ever takes.
  void publish(std::chrono::steady_clock::time_point now);  // drain thread, live_mutex_ held
  mutable std::mutex live_mutex_;
  std::optional<metrics::LiveWindows> live_;
  metrics::LiveSnapshot published_;
  std::chrono::steady_clock::time_point next_publish_{};
  // The process's CPU seconds and the steady clock at the last publish (CPU % between them).
  double cpu_seconds_ = -1;
  std::chrono::steady_clock::time_point cpu_at_{};

  std::atomic<std::uint64_t> started_{0};  // requests about to be sent (started())
  std::atomic<std::uint64_t> done_{0};     // records handed in
  std::atomic<std::uint64_t> failed_{0};   // of those, not ok()
};

}  // namespace llmbench::app
