#pragma once
// The run's time series (METRICS.md, "time series"): fixed-width windows from the run start,
// each with counters and compact per-window TTFT/ITL histograms, in memory that stays small
// for a day-long run: O(1) bytes per window (at most a few hundred for realistic latency
// spreads, never more than 8 KiB per histogram), windows never copied per summary.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace llmbench::metrics {

// Sparse log-linear histogram of non-negative durations (seconds) for one window. Values
// are bucketed in nanoseconds: below 32 ns exactly, above in 16 linear buckets per power of
// two, so a bucket's midpoint is within 1/32 (3.1 %) of every value in it. Only touched
// buckets are stored, 4 bytes each (a day of one-second windows must fit in tens of MB: 32
// buckets per octave needed ~70 MB for the windows alone). Negative values count as 0; NaN
// and ∞ are ignored.
class WindowHistogram {
 public:
  static constexpr int kPrecisionBits = 5;
  WindowHistogram() = default;
  WindowHistogram(const WindowHistogram& other);
  WindowHistogram& operator=(const WindowHistogram& other);
  WindowHistogram(WindowHistogram&&) noexcept = default;
  WindowHistogram& operator=(WindowHistogram&&) noexcept = default;
  ~WindowHistogram() = default;

  void add(double seconds);
  [[nodiscard]] std::uint64_t count() const { return count_; }
  // Type-7 quantile (q in [0, 1]) over bucket midpoints (the exact min and max for the
  // first and last rank), clamped to them; within relative_precision() of the exact type-7
  // quantile. 0 when empty.
  [[nodiscard]] double quantile(double q) const;
  [[nodiscard]] static constexpr double relative_precision() { return 1.0 / 32; }
  // Heap bytes held (the buckets), beside sizeof(WindowHistogram).
  [[nodiscard]] std::size_t heap_bytes() const { return capacity_ * sizeof(Entry); }
  [[nodiscard]] std::size_t buckets() const { return size_; }

 private:
  struct Entry {
    std::uint16_t index;
    std::uint16_t count;  // a full bucket continues in a second entry of the same index
  };
  void insert(std::uint32_t at, std::uint16_t index);
  [[nodiscard]] double value_at_rank(std::uint64_t rank) const;  // ns

  std::unique_ptr<Entry[]> entries_;  // sorted by index
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
  std::uint64_t count_ = 0;
  double min_ = 0, max_ = 0;
};

// One window of the run's time series. Requests are placed by when things happened: a
// request is started in the window of its send, completed/failed in the window of its end
// (these counts and `busy` cover every request, warm-up and cool-down included). Output
// tokens, TTFT and ITL cover the requests the summary counts (measured, successful): a
// request's tokens lie in the windows its arrivals fell in, so that the windows' tokens sum
// to the summary's output_tokens; its TTFT in the window of its first token.
struct TimeWindow {
  double start = 0;                    // s from the run start
  std::uint64_t requests_started = 0;  // sent in this window
  std::uint64_t requests_completed = 0;
  std::uint64_t requests_failed = 0;
  std::int64_t output_tokens = 0;  // tokens that arrived in this window
  double busy = 0;                 // request-seconds in flight within the window
  WindowHistogram ttft;
  WindowHistogram itl;
};

// The windows of a run, shared between copies: copying a TimeSeries (a RunSummary) copies a
// pointer, and the owner that adds to it clones the windows only if a copy is still held.
// Not thread-safe for writing: one thread adds; copies may be read on any thread.
// At most `max_windows` windows are kept (docs/limits.md): what happens later than
// max_windows · window after the run start is left out of the series (counted in
// beyond()), so memory stays bounded whatever the run's length and window.
class TimeSeries {
 public:
  using Windows = std::deque<TimeWindow>;  // a deque: growing never moves the windows
  using const_iterator = Windows::const_iterator;
  static constexpr std::size_t kMaxWindows = 1'000'000;

  TimeSeries();
  explicit TimeSeries(double window, std::size_t max_windows = kMaxWindows);

  [[nodiscard]] double window() const { return window_; }  // s
  [[nodiscard]] std::size_t size() const { return windows_->size(); }
  [[nodiscard]] bool empty() const { return windows_->empty(); }
  [[nodiscard]] const TimeWindow& operator[](std::size_t i) const { return (*windows_)[i]; }
  [[nodiscard]] const_iterator begin() const { return windows_->begin(); }
  [[nodiscard]] const_iterator end() const { return windows_->end(); }

  // Window `index` for writing, created (with those before it) on first use. From
  // max_windows on, a scratch window outside the series (what is added to it is lost).
  TimeWindow& at(std::size_t index);
  // Times at() was asked for a window past max_windows.
  [[nodiscard]] std::uint64_t beyond() const { return beyond_; }
  [[nodiscard]] std::size_t max_windows() const { return max_windows_; }

 private:
  double window_ = 1;
  std::size_t max_windows_ = kMaxWindows;
  std::shared_ptr<Windows> windows_;
  TimeWindow scratch_;
  std::uint64_t beyond_ = 0;
};

// The warning a result carries when the run outlasted the series' windows (nullopt when it
// did not): the series stops short of the run, while the summary counts everything.
std::optional<std::string> series_cut_warning(const TimeSeries& series);

}  // namespace llmbench::metrics
