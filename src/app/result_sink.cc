#include "app/result_sink.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "app/outcome.h"

namespace llmbench::app {

ResultSink::ResultSink(std::filesystem::path spill, std::optional<std::filesystem::path> csv,
                       metrics::AggregatorOptions options, report::RequestDetail detail,
                       bool level_series)
    : spill_path_(std::move(spill)),
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
  std::error_code ec;
  if (spill_path_.has_parent_path()) {
    std::filesystem::create_directories(spill_path_.parent_path(), ec);
  }
  spill_.open(spill_path_, std::ios::binary | std::ios::trunc);
  if (!spill_) throw Failure{kExitUsage, "cannot write " + spill_path_.string()};
  if (csv_path_) {
    if (csv_path_->has_parent_path()) {
      std::filesystem::create_directories(csv_path_->parent_path(), ec);
    }
    csv_.open(csv_tmp(), std::ios::binary | std::ios::trunc);
    if (!csv_) throw Failure{kExitUsage, "cannot write " + csv_path_->string()};
    csv_ << report::requests_csv_header();
  }
  thread_ = std::thread([this] { drain(); });
}

void ResultSink::begin(TimePoint origin) {
  std::lock_guard lock(mutex_);
  if (!run_) {
    origin_ = origin;
    run_.emplace(origin, options_);
  }
  level_.emplace(origin, level_options_);
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

metrics::RunSummary ResultSink::end_level() {
  wait_idle();
  return level_ ? level_->finish() : metrics::RunSummary{};
}

metrics::RunSummary ResultSink::finish_run() {
  wait_idle();
  metrics::RunSummary summary = run_ ? run_->finish() : metrics::RunSummary{};
  stop_thread();
  spill_.close();
  if (csv_path_) {
    csv_.close();
    std::error_code ec;
    std::filesystem::rename(csv_tmp(), *csv_path_, ec);
    if (ec) {
      throw Failure{kExitUsage, "cannot write " + csv_path_->string() + ": " + ec.message()};
    }
  }
  return summary;
}

std::filesystem::path ResultSink::csv_tmp() const {
  return csv_path_->string() + ".tmp." + std::to_string(::getpid());
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
    if (batch.empty()) {
      std::unique_lock lock(mutex_);
      if (stopping_ && queue_.empty()) return;
      wake_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_; });
      continue;
    }
    lines.clear();
    rows.clear();
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

}  // namespace llmbench::app
