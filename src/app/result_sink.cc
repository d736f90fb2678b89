#include "app/result_sink.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "app/outcome.h"

namespace llmbench::app {

ResultSink::ResultSink(std::filesystem::path spill_dir, std::string spill_stem,
                       std::optional<std::filesystem::path> csv, metrics::AggregatorOptions options,
                       report::RequestDetail detail, bool level_series)
    : spill_dir_(std::move(spill_dir)),
      spill_stem_(std::move(spill_stem)),
      csv_path_(std::move(csv)),
      options_(std::move(options)),
      level_options_(options_),
      detail_(detail) {
  level_options_.time_series = level_series;
}

ResultSink::~ResultSink() {
  stop_thread();
  RequestRecord* left = nullptr;
  while (queue_.pop(left)) delete left;  // only after a failed run
}

void ResultSink::open() {
  auto spill = report::create_exclusive(spill_dir_, spill_stem_ + ".requests", ".partial.jsonl");
  if (!spill) throw Failure{kExitUsage, "cannot keep the run's records: " + spill.error().message};
  spill_path_ = spill->path;
  spill_buf_ = std::make_unique<report::DescriptorBuf>(spill->fd, true);
  spill_ = std::make_unique<std::ostream>(spill_buf_.get());
  if (csv_path_) {
    auto csv = report::OutputFile::open(*csv_path_);
    if (!csv) throw Failure{kExitUsage, "--csv: " + csv.error().message};
    csv_ = std::move(*csv);
    csv_->stream() << report::requests_csv_header();
  }
  thread_ = std::thread([this] { drain(); });
}

namespace {

// User + system CPU time of the whole process so far, in seconds.
double process_cpu_seconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

void ResultSink::begin(TimePoint origin) {
  std::lock_guard lock(mutex_);
  if (!run_) {
    origin_ = origin;
    run_.emplace(origin, options_);
    std::lock_guard live(live_mutex_);
    live_.emplace(origin, options_.window);
  }
  level_.emplace(origin, level_options_);
}

void ResultSink::started() { started_.fetch_add(1, std::memory_order_relaxed); }

void ResultSink::set_plan(std::optional<std::uint64_t> total_requests,
                          std::optional<double> planned_duration) {
  std::lock_guard lock(live_mutex_);
  published_.total_requests = total_requests;
  published_.planned_duration = planned_duration;
}

void ResultSink::set_level(std::optional<metrics::LiveLevel> level, bool open_loop) {
  std::lock_guard lock(live_mutex_);
  published_.level = std::move(level);
  published_.open_loop = open_loop;
  // The previous level's lag (or its absence) does not describe this one.
  published_.schedule_lag_p99.reset();
}

metrics::LiveSnapshot ResultSink::snapshot() const {
  metrics::LiveSnapshot s;
  {
    std::lock_guard lock(live_mutex_);
    s = published_;
    if (live_) s.elapsed = std::max(0.0, to_seconds(std::chrono::steady_clock::now() - origin_));
  }
  // done before started: a request counted done is always counted started already, so the
  // difference never goes below 0.
  s.done = done_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  const std::uint64_t started = started_.load(std::memory_order_relaxed);
  s.in_flight = started > s.done ? started - s.done : 0;
  return s;
}

void ResultSink::publish(std::chrono::steady_clock::time_point now) {
  if (!live_) return;
  metrics::LiveSnapshot s;
  s.total_requests = published_.total_requests;
  s.planned_duration = published_.planned_duration;
  s.level = published_.level;
  s.open_loop = published_.open_loop;
  live_->fill(s, now);
  const double cpu = process_cpu_seconds();
  const double wall = to_seconds(now - cpu_at_);
  if (cpu_seconds_ >= 0 && cpu >= 0 && wall > 0) {
    s.client_cpu_percent = std::max(0.0, (cpu - cpu_seconds_) / wall * 100);
  } else {
    s.client_cpu_percent = published_.client_cpu_percent;
  }
  cpu_seconds_ = cpu;
  cpu_at_ = now;
  published_ = std::move(s);
}

void ResultSink::consume(RequestRecord&& record) {
  if (!record.ok()) failed_.fetch_add(1, std::memory_order_relaxed);
  done_.fetch_add(1, std::memory_order_relaxed);
  // A measuring thread never takes a lock here and never wakes the drain thread (it polls).
  // Only when the drain thread is a whole queue behind does it wait for room.
  auto* node = new RequestRecord(std::move(record));
  while (!queue_.bounded_push(node)) std::this_thread::sleep_for(std::chrono::microseconds(50));
  pushed_.fetch_add(1, std::memory_order_release);
}

void ResultSink::watch_stability(const metrics::StabilityTarget& target, Duration every,
                                 std::function<void(const metrics::StabilityReading&)> on_stable) {
  std::lock_guard lock(watch_mutex_);
  watch_.emplace(target);
  on_stable_ = std::move(on_stable);
  watch_every_ = every;
  next_check_ = std::chrono::steady_clock::now() + every;
}

void ResultSink::stop_watching() {
  std::lock_guard lock(watch_mutex_);
  watch_.reset();
  on_stable_ = nullptr;
}

metrics::RunSummary ResultSink::end_level() {
  wait_idle();
  level_span_out_ = std::exchange(level_span_, std::nullopt);
  return level_ ? level_->finish() : metrics::RunSummary{};
}

metrics::RunSummary ResultSink::finish_run() {
  wait_idle();
  metrics::RunSummary summary = run_ ? run_->finish() : metrics::RunSummary{};
  stop_thread();
  if (spill_buf_) {
    spill_->flush();
    if (const int error = spill_buf_->close(); error != 0) {
      spill_error_ =
          "cannot write the run's records to " + spill_path_.string() + ": " + std::strerror(error);
    }
  }
  if (csv_) {
    if (auto committed = csv_->commit(); !committed) csv_error_ = committed.error().message;
    csv_.reset();
  }
  return summary;
}

void ResultSink::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] {
    return processed_.load(std::memory_order_acquire) == pushed_.load(std::memory_order_acquire);
  });
}

void ResultSink::stop_thread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ResultSink::drain() {
  // Bookkeeping yields to measuring: this thread runs at a lower priority than the workers
  // (raising one's own nice value is always allowed).
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  ::setpriority(PRIO_PROCESS, tid, ::getpriority(PRIO_PROCESS, tid) + 5);
  std::vector<RequestRecord> batch;
  std::string lines;
  std::string rows;
  for (;;) {
    RequestRecord* popped = nullptr;
    while (batch.size() < 4096 && queue_.pop(popped)) {
      batch.push_back(std::move(*popped));
      delete popped;
    }
    // The window figures change with time as well as with records: refreshed even when
    // nothing arrived.
    if (const auto now = std::chrono::steady_clock::now(); now >= next_publish_) {
      std::lock_guard live(live_mutex_);
      publish(now);
      next_publish_ = now + kPublishEvery;
    }
    if (batch.empty()) {
      std::unique_lock lock(mutex_);
      if (stopping_ && queue_.empty()) return;
      wake_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_; });
      continue;
    }
    lines.clear();
    rows.clear();
    std::unique_lock watching(watch_mutex_);
    if (!watch_) watching.unlock();
    for (const RequestRecord& r : batch) {
      const metrics::RequestMetrics m = metrics::derive(r, options_.forced_length);
      if (watching) watch_->add(r, m);
      {
        // Per record, so a reader of snapshot() never waits for a whole batch.
        std::lock_guard live(live_mutex_);
        if (live_) live_->add(r, m);
      }
      // No lock: begin() replaces the level aggregator only after end_level() saw every
      // record of the previous level processed, so never during a batch.
      run_->add(r, m);
      level_->add(r, m);
      if (r.phase == Phase::kMeasure && r.t_send != TimePoint{}) {
        for (std::optional<Span>* span : {&level_span_, &run_span_}) {
          if (!*span) {
            *span = Span{r.t_send, r.t_end};
          } else {
            (*span)->first_send = std::min((*span)->first_send, r.t_send);
            (*span)->last_end = std::max((*span)->last_end, r.t_end);
          }
        }
      }
      if (r.ok() && r.phase == Phase::kMeasure && output_samples_.size() < kSampledOutputs) {
        output_samples_.emplace_back(r.id, r.output_sample);
      }
      if (detail_ != report::RequestDetail::kNone) {
        lines += report::record_json_line(r, m, origin_, detail_);
        lines += '\n';
      }
      if (csv_path_) rows += report::requests_csv_row(r, m);
    }
    if (watching && on_stable_ && std::chrono::steady_clock::now() >= next_check_) {
      next_check_ = std::chrono::steady_clock::now() + watch_every_;
      const metrics::StabilityReading reading = watch_->reading();
      if (reading.stable) {
        on_stable_(reading);
        on_stable_ = nullptr;  // once per level
      }
    }
    if (watching) watching.unlock();
    *spill_ << lines;
    if (detail_ != report::RequestDetail::kNone && *spill_) spilled_ += batch.size();
    if (csv_) csv_->stream() << rows;
    spill_->flush();  // a crash loses at most the batch in hand
    {
      std::lock_guard lock(mutex_);
      processed_.fetch_add(batch.size(), std::memory_order_release);
    }
    batch.clear();
    idle_.notify_all();
  }
}

}  // namespace llmbench::app
