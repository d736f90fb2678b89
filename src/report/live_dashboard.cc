#include "report/live_dashboard.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace llmbench::report {

namespace {

constexpr std::string_view kAbsent = "—";
constexpr std::string_view kDot = " · ";
constexpr std::size_t kMaxBar = 30;

std::string ms(const std::optional<double>& seconds) {
  return seconds ? fmt::format("{:.1f} ms", *seconds * 1e3) : std::string(kAbsent);
}

std::string per_second(const std::optional<double>& v, std::string_view unit, int decimals) {
  return v ? fmt::format("{:.{}f} {}", *v, decimals, unit) : fmt::format("{} {}", kAbsent, unit);
}

std::string percent(const std::optional<double>& v) {
  return v ? fmt::format("{:.0f}%", *v) : std::string(kAbsent);
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += kDot;
    out += p;
  }
  return out;
}

// "run 4/9 · vllm · r2 · level 3/8 · concurrency 16", empty for a plain run.
std::string position(const metrics::LiveSnapshot& s) {
  std::vector<std::string> parts;
  if (s.run) {
    parts.push_back(fmt::format("run {}/{}", s.run->index + 1, s.run->count));
    if (!s.run->engine.empty()) parts.push_back(s.run->engine);
    if (s.run->repetition) parts.push_back(fmt::format("r{}", *s.run->repetition));
  }
  if (s.level) {
    const metrics::LiveLevel& l = *s.level;
    parts.push_back(fmt::format("level {}/{}", l.index + 1,
                                l.count ? std::to_string(*l.count) : std::string("?")));
    if (l.concurrency) {
      parts.push_back(fmt::format("concurrency {}", *l.concurrency));
    } else if (l.rate) {
      parts.push_back(fmt::format("rate {:.2f} req/s", *l.rate));
    } else if (!l.kind.empty()) {
      parts.push_back(l.kind);
    }
  }
  return join(parts);
}

struct Progress {
  std::optional<double> fraction;  // 0..1, when a total is known
  std::string figures;             // "120/500 requests · 24%" or "0:12/1:00"
  std::optional<double> eta;       // s
};

Progress progress(const metrics::LiveSnapshot& s) {
  Progress p;
  if (s.total_requests && *s.total_requests > 0) {
    const double total = static_cast<double>(*s.total_requests);
    const double done = static_cast<double>(std::min(s.done, *s.total_requests));
    p.fraction = done / total;
    p.figures =
        fmt::format("{}/{} requests{}{:.0f}%", s.done, *s.total_requests, kDot, *p.fraction * 100);
    // From the pace so far; nothing to go on before the first request finished.
    if (s.done >= *s.total_requests) {
      p.eta = 0;
    } else if (s.done > 0) {
      p.eta = s.elapsed * (total - done) / done;
    }
  } else if (s.planned_duration && *s.planned_duration > 0) {
    p.fraction = std::clamp(s.elapsed / *s.planned_duration, 0.0, 1.0);
    p.figures = fmt::format("{}/{}", clock_text(s.elapsed), clock_text(*s.planned_duration));
    p.eta = std::max(0.0, *s.planned_duration - s.elapsed);
  } else {
    p.figures = fmt::format("{} requests{}{} elapsed", s.done, kDot, clock_text(s.elapsed));
  }
  return p;
}

std::string eta_text(const Progress& p) {
  if (!p.fraction) return {};
  return "ETA " + (p.eta ? clock_text(*p.eta) : std::string(kAbsent));
}

std::string errors_text(const metrics::LiveSnapshot& s) {
  if (s.errors.empty()) return "errors: none";
  std::vector<std::string> parts;
  parts.reserve(s.errors.size());
  for (const auto& [category, count] : s.errors) {
    parts.push_back(fmt::format("{} {}", category, count));
  }
  return "errors: " + join(parts);
}

std::string latency_text(const metrics::LiveSnapshot& s) {
  return fmt::format("TTFT p50 {} p99 {}{}ITL p50 {} p99 {}", ms(s.ttft_p50), ms(s.ttft_p99), kDot,
                     ms(s.itl_p50), ms(s.itl_p99));
}

std::string rates_text(const metrics::LiveSnapshot& s) {
  return join(
      {per_second(s.request_rate, "req/s", 1), per_second(s.output_token_rate, "tok/s out", 0)});
}

std::string lag_text(const metrics::LiveSnapshot& s) {
  return s.open_loop ? "schedule lag p99 " + ms(s.schedule_lag_p99) : std::string();
}

}  // namespace

std::string clock_text(double seconds) {
  const auto whole =
      static_cast<std::int64_t>(std::isfinite(seconds) ? std::max(0.0, std::round(seconds)) : 0);
  const std::int64_t h = whole / 3600;
  const std::int64_t m = whole / 60 % 60;
  const std::int64_t sec = whole % 60;
  if (h > 0) return fmt::format("{}:{:02}:{:02}", h, m, sec);
  return fmt::format("{}:{:02}", m, sec);
}

std::size_t display_columns(std::string_view text) {
  return static_cast<std::size_t>(std::ranges::count_if(
      text, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string cut_to_width(std::string_view text, std::size_t width) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool starts = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts && seen++ == width) return std::string(text.substr(0, i));
  }
  return std::string(text);
}

std::vector<std::string> dashboard_lines(const metrics::LiveSnapshot& s, std::size_t width) {
  width = std::max<std::size_t>(width, 1);
  std::vector<std::string> lines;
  if (std::string where = position(s); !where.empty()) lines.push_back(std::move(where));

  const Progress p = progress(s);
  std::string figures = join({p.figures, eta_text(p)});
  if (p.fraction) {
    // The bar takes what the figures leave, up to kMaxBar; none when under 5 columns fit.
    const std::size_t used = display_columns(figures) + 3;  // "[", "]", " "
    const std::size_t room = width > used ? std::min(kMaxBar, width - used) : 0;
    if (room >= 5) {
      const auto filled =
          static_cast<std::size_t>(std::floor(*p.fraction * static_cast<double>(room)));
      figures = "[" + std::string(filled, '#') + std::string(room - filled, '.') + "] " + figures;
    }
  }
  lines.push_back(std::move(figures));
  lines.push_back(join({fmt::format("done {}", s.done), fmt::format("failed {}", s.failed),
                        fmt::format("in flight {}", s.in_flight), rates_text(s)}));
  lines.push_back(latency_text(s));
  lines.push_back(errors_text(s));
  lines.push_back(join({lag_text(s), "client CPU " + percent(s.client_cpu_percent)}));
  for (std::string& line : lines) line = cut_to_width(line, width);
  return lines;
}

std::string progress_line(const metrics::LiveSnapshot& s) {
  const Progress p = progress(s);
  std::vector<std::string> parts{
      position(s),
      p.figures,
      p.fraction ? fmt::format("{} elapsed", clock_text(s.elapsed)) : std::string(),
      eta_text(p),
      fmt::format("failed {}", s.failed),
      fmt::format("in flight {}", s.in_flight),
      rates_text(s),
      latency_text(s),
      errors_text(s),
      lag_text(s),
      "client CPU " + percent(s.client_cpu_percent)};
  return join(parts);
}

}  // namespace llmbench::report
