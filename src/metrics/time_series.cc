#include "metrics/time_series.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "metrics/distribution.h"

namespace llmbench::metrics {

namespace {

constexpr std::uint32_t kBits = WindowHistogram::kPrecisionBits;
constexpr std::uint32_t kHalf = 1U << (kBits - 1);
constexpr std::uint16_t kFull = std::numeric_limits<std::uint16_t>::max();

std::uint16_t index_of(std::uint64_t ns) {
  if (ns < (std::uint64_t{1} << kBits)) return static_cast<std::uint16_t>(ns);
  const auto width = static_cast<std::uint32_t>(std::bit_width(ns));
  const std::uint32_t shift = width - kBits;                 // ≥ 1: keeps the top kBits bits
  const auto top = static_cast<std::uint32_t>(ns >> shift);  // in [2^(kBits−1), 2^kBits)
  // At most 32 + 58 · 16 + 15 for 9e18 ns: fits 16 bits.
  return static_cast<std::uint16_t>((1U << kBits) + (shift - 1) * kHalf + (top - kHalf));
}

double midpoint(std::uint16_t index) {  // ns
  if (index < (1U << kBits)) return static_cast<double>(index);
  const std::uint32_t above = index - (1U << kBits);
  const std::uint32_t shift = above / kHalf + 1;
  const std::uint64_t top = (above % kHalf) + kHalf;
  const double low = std::ldexp(static_cast<double>(top), static_cast<int>(shift));
  const double width = std::ldexp(1.0, static_cast<int>(shift));
  return low + (width - 1) / 2;
}

}  // namespace

WindowHistogram::WindowHistogram(const WindowHistogram& other)
    : entries_(other.size_ > 0 ? std::make_unique<Entry[]>(other.size_) : nullptr),
      size_(other.size_),
      capacity_(other.size_),
      count_(other.count_),
      min_(other.min_),
      max_(other.max_) {
  if (size_ > 0) std::memcpy(entries_.get(), other.entries_.get(), size_ * sizeof(Entry));
}

WindowHistogram& WindowHistogram::operator=(const WindowHistogram& other) {
  if (this != &other) *this = WindowHistogram(other);
  return *this;
}

void WindowHistogram::insert(std::uint32_t at, std::uint16_t index) {
  if (size_ == capacity_) {
    // Fixed small steps: a window's few hundred bytes carry at most 28 bytes of slack. A
    // window touches at most ~1,000 buckets, so the copying stays cheap.
    const std::uint32_t grown = capacity_ + 8;
    auto bigger = std::make_unique<Entry[]>(grown);
    if (size_ > 0) std::memcpy(bigger.get(), entries_.get(), size_ * sizeof(Entry));
    entries_ = std::move(bigger);
    capacity_ = grown;
  }
  Entry* e = entries_.get();
  std::memmove(e + at + 1, e + at, (size_ - at) * sizeof(Entry));
  e[at] = Entry{index, 0};
  ++size_;
}

void WindowHistogram::add(double seconds) {
  if (!std::isfinite(seconds)) return;
  seconds = std::max(seconds, 0.0);
  const double ns = std::min(seconds * 1e9, 9.0e18);
  const std::uint16_t index = index_of(static_cast<std::uint64_t>(std::llround(ns)));
  // The last entry with an index ≤ `index`: where a bucket's count continues.
  Entry* e = entries_.get();
  auto* after = std::upper_bound(
      e, e + size_, index, [](std::uint16_t i, const Entry& entry) { return i < entry.index; });
  auto at = static_cast<std::uint32_t>(after - e);
  if (at == 0 || e[at - 1].index != index || e[at - 1].count == kFull) {
    insert(at, index);
  } else {
    --at;
  }
  ++entries_[at].count;
  if (count_ == 0) {
    min_ = max_ = seconds;
  } else {
    min_ = std::min(min_, seconds);
    max_ = std::max(max_, seconds);
  }
  ++count_;
}

double WindowHistogram::value_at_rank(std::uint64_t rank) const {
  // The smallest and largest are known exactly.
  if (rank == 0) return min_ * 1e9;
  if (rank + 1 >= count_) return max_ * 1e9;
  for (std::uint32_t i = 0; i < size_; ++i) {
    const std::uint64_t n = entries_[i].count;
    if (rank < n) return midpoint(entries_[i].index);
    rank -= n;
  }
  return size_ > 0 ? midpoint(entries_[size_ - 1].index) : 0;
}

double WindowHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const double ns = type7_quantile(count_, q, [this](std::uint64_t r) { return value_at_rank(r); });
  return std::clamp(ns / 1e9, min_, max_);
}

TimeSeries::TimeSeries() : TimeSeries(1) {}

TimeSeries::TimeSeries(double window, std::size_t max_windows)
    : window_(window > 0 ? window : 1),
      max_windows_(std::max<std::size_t>(1, max_windows)),
      windows_(std::make_shared<Windows>()) {}

TimeWindow& TimeSeries::at(std::size_t index) {
  if (index >= max_windows_) {
    ++beyond_;
    scratch_ = TimeWindow{};
    return scratch_;
  }
  // Copy on write: a summary handed out earlier keeps the windows as they were.
  if (windows_.use_count() > 1) windows_ = std::make_shared<Windows>(*windows_);
  Windows& w = *windows_;
  while (w.size() <= index) {
    TimeWindow added;
    added.start = static_cast<double>(w.size()) * window_;
    w.push_back(std::move(added));
  }
  return w[index];
}

std::optional<std::string> series_cut_warning(const TimeSeries& series) {
  if (series.beyond() == 0) return std::nullopt;
  return fmt::format(
      "time series: the run outlasted its {} windows of {:g} s; what happened after {:g} s is "
      "not in time_series (the summary counts it all)",
      series.max_windows(), series.window(),
      static_cast<double>(series.max_windows()) * series.window());
}

}  // namespace llmbench::metrics
