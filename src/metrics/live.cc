#include "metrics/live.h"

#include <cmath>

namespace llmbench::metrics {

LiveWindows::LiveWindows(TimePoint origin, double window)
    : origin_(origin), window_(window > 0 ? window : 1) {}

std::int64_t LiveWindows::index_of(TimePoint t) const {
  // Open loop: a request may be sent a little before the schedule's zero (the workers' lead),
  // which belongs to the first window.
  const double since = std::max(0.0, to_seconds(t - origin_));
  return static_cast<std::int64_t>(std::floor(since / window_));
}

LiveWindows::Window* LiveWindows::at(TimePoint t) {
  const std::int64_t index = index_of(t);
  if (index + kKept <= newest_) return nullptr;
  if (index > newest_) {
    newest_ = index;
    // Memory stays constant: windows too old to be the last completed one go.
    while (!windows_.empty() && windows_.begin()->first + kKept <= newest_) {
      windows_.erase(windows_.begin());
    }
  }
  return &windows_[index];
}

void LiveWindows::add(const RequestRecord& record, const RequestMetrics& metrics) {
  if (!record.ok()) {
    ++errors_[record.error->category];
    if (record.sent && metrics.schedule_lag) {
      if (Window* w = at(record.t_send)) w->lag.add(*metrics.schedule_lag);
    }
    return;
  }
  if (Window* w = at(record.t_end)) ++w->completed;
  if (metrics.schedule_lag) {
    if (Window* w = at(record.t_send)) w->lag.add(*metrics.schedule_lag);
  }
  for (const TokenEvent& e : record.events) {
    if (Window* w = at(e.arrival)) w->output_tokens += e.tokens;
  }
  if (metrics.ttft && record.has_first_token()) {
    if (Window* w = at(record.t_first())) w->ttft.add(*metrics.ttft);
  }
  // metrics.itl holds one gap per pair of consecutive arrivals; otherwise (a shape this view
  // does not know) the gaps go to the window the request ended in.
  const bool by_arrival = metrics.itl.size() + 1 == record.events.size();
  for (std::size_t i = 0; i < metrics.itl.size(); ++i) {
    if (Window* w = at(by_arrival ? record.events[i + 1].arrival : record.t_end)) {
      w->itl.add(metrics.itl[i]);
    }
  }
}

void LiveWindows::fill(LiveSnapshot& s, TimePoint now) const {
  s.window = window_;
  s.errors.clear();
  for (const ErrorCategory category : kAllErrorCategories) {
    if (const auto it = errors_.find(category); it != errors_.end()) {
      s.errors.emplace_back(std::string(to_string(category)), it->second);
    }
  }
  const std::int64_t last = index_of(now) - 1;  // the window before the one in progress
  if (now < origin_ || last < 0) return;
  const auto it = windows_.find(last);
  // A window with nothing in it was measured all the same: no completions is a rate of 0.
  static const Window kEmpty;
  const Window& w = it == windows_.end() ? kEmpty : it->second;
  s.request_rate = static_cast<double>(w.completed) / window_;
  s.output_token_rate = static_cast<double>(w.output_tokens) / window_;
  auto quantiles = [](const WindowHistogram& h, std::optional<double>& p50,
                      std::optional<double>& p99) {
    if (h.count() == 0) return;
    p50 = h.quantile(0.5);
    p99 = h.quantile(0.99);
  };
  quantiles(w.ttft, s.ttft_p50, s.ttft_p99);
  quantiles(w.itl, s.itl_p50, s.itl_p99);
  if (s.open_loop && w.lag.count() > 0) s.schedule_lag_p99 = w.lag.quantile(0.99);
}

}  // namespace llmbench::metrics
