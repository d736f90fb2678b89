#include "report/live_dashboard.h"

#include <gtest/gtest.h>

#include <string>

#include "report/report.h"

namespace llmbench::report {
namespace {

metrics::LiveSnapshot busy() {
  metrics::LiveSnapshot s;
  s.elapsed = 12;
  s.done = 120;
  s.failed = 3;
  s.in_flight = 16;
  s.total_requests = 480;
  s.request_rate = 10.04;
  s.output_token_rate = 456.2;
  s.ttft_p50 = 0.0451;
  s.ttft_p99 = 0.0802;
  s.itl_p50 = 0.010;
  s.itl_p99 = 0.0121;
  s.errors = {{"timeout_total", 2}, {"http_5xx", 1}};
  s.client_cpu_percent = 12.4;
  s.level = metrics::LiveLevel{2, 8, "concurrency", 16, std::nullopt};
  s.run = metrics::LiveRunPosition{3, 9, "vllm", 2};
  return s;
}

std::string all(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST(LiveDashboard, EveryFigureWithRoomToSpare) {
  const std::string text = all(dashboard_lines(busy(), 200));
  EXPECT_NE(text.find("run 4/9 · vllm · r2 · level 3/8 · concurrency 16"), std::string::npos)
      << text;
  EXPECT_NE(text.find("120/480 requests · 25%"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA 0:36"), std::string::npos) << text;  // 12 s for 120, 360 to go
  EXPECT_NE(text.find("in flight 16"), std::string::npos) << text;
  EXPECT_NE(text.find("10.0 req/s"), std::string::npos) << text;
  EXPECT_NE(text.find("456 tok/s out"), std::string::npos) << text;
  EXPECT_NE(text.find("TTFT p50 45.1 ms p99 80.2 ms · ITL p50 10.0 ms p99 12.1 ms"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("errors: timeout_total 2 · http_5xx 1"), std::string::npos) << text;
  EXPECT_NE(text.find("client CPU 12%"), std::string::npos) << text;
  EXPECT_EQ(text.find("schedule lag"), std::string::npos) << text;  // closed loop
  EXPECT_NE(text.find("[#######......................."), std::string::npos) << text;
}

TEST(LiveDashboard, NoLineIsWiderThanTheTerminal) {
  for (std::size_t width = 0; width <= 120; ++width) {
    for (const std::string& line : dashboard_lines(busy(), width)) {
      EXPECT_LE(display_columns(line), std::max<std::size_t>(width, 1)) << width << ": " << line;
      // Cut on a character boundary: never half a "·".
      EXPECT_EQ(cut_to_width(line, 1000), line);
      if (!line.empty()) {
        EXPECT_NE(static_cast<unsigned char>(line.back()), 0xC2) << line;
      }
    }
  }
}

TEST(LiveDashboard, AbsentFiguresAreDashesNotZeros) {
  metrics::LiveSnapshot s;
  s.elapsed = 0.4;
  s.open_loop = true;
  const std::string text = all(dashboard_lines(s, 200));
  EXPECT_NE(text.find("— req/s"), std::string::npos) << text;
  EXPECT_NE(text.find("— tok/s out"), std::string::npos) << text;
  EXPECT_NE(text.find("TTFT p50 — p99 —"), std::string::npos) << text;
  EXPECT_NE(text.find("schedule lag p99 —"), std::string::npos) << text;
  EXPECT_NE(text.find("client CPU —"), std::string::npos) << text;
  EXPECT_NE(text.find("errors: none"), std::string::npos) << text;
  // No total and no planned length: a count and the elapsed time, no bar, no ETA.
  EXPECT_NE(text.find("0 requests · 0:00 elapsed"), std::string::npos) << text;
  EXPECT_EQ(text.find("ETA"), std::string::npos) << text;
  EXPECT_EQ(text.find('['), std::string::npos) << text;
}

TEST(LiveDashboard, EtaBeforeAnyRequestFinishedIsUnknown) {
  metrics::LiveSnapshot s;
  s.elapsed = 3;
  s.total_requests = 100;
  const std::string text = all(dashboard_lines(s, 200));
  EXPECT_NE(text.find("0/100 requests · 0%"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA —"), std::string::npos) << text;
}

TEST(LiveDashboard, PlannedDurationBarAndEta) {
  metrics::LiveSnapshot s;
  s.elapsed = 75;
  s.planned_duration = 300;
  s.done = 40;
  const std::string text = all(dashboard_lines(s, 200));
  EXPECT_NE(text.find("1:15/5:00 · ETA 3:45"), std::string::npos) << text;
  s.elapsed = 4000;  // past the plan: the in-flight requests are finishing
  const std::string late = all(dashboard_lines(s, 200));
  EXPECT_NE(late.find("ETA 0:00"), std::string::npos) << late;
  EXPECT_NE(late.find("[##############################]"), std::string::npos) << late;
}

TEST(LiveDashboard, SweepLevelsBeforeTheirCountIsKnown) {
  metrics::LiveSnapshot s;
  s.level = metrics::LiveLevel{0, std::nullopt, "synchronous", 1, std::nullopt};
  EXPECT_EQ(dashboard_lines(s, 200).front(), "level 1/? · concurrency 1");
  s.level = metrics::LiveLevel{4, 12, "rate", std::nullopt, 2.5};
  EXPECT_EQ(dashboard_lines(s, 200).front(), "level 5/12 · rate 2.50 req/s");
}

TEST(LiveDashboard, PlainLine) {
  const std::string line = progress_line(busy());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("run 4/9 · vllm · r2 · level 3/8 · concurrency 16 · 120/480 requests"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("0:12 elapsed · ETA 0:36"), std::string::npos) << line;
  EXPECT_NE(line.find("TTFT p50 45.1 ms"), std::string::npos) << line;
}

TEST(LiveDashboard, ClockText) {
  EXPECT_EQ(clock_text(0), "0:00");
  EXPECT_EQ(clock_text(59.6), "1:00");
  EXPECT_EQ(clock_text(3725), "1:02:05");
  EXPECT_EQ(clock_text(-3), "0:00");
}

TEST(OllamaVerboseBlock, EngineAndClientFiguresSayWhich) {
  metrics::OllamaFigures f;
  using metrics::FigureSource;
  f.total_duration = metrics::SourcedValue{1.234, FigureSource::kEngine};
  f.prompt_eval_count = metrics::SourcedValue{26, FigureSource::kEngine};
  f.prompt_eval_duration = metrics::SourcedValue{0.040, FigureSource::kClient};
  f.prompt_eval_rate = metrics::SourcedValue{650, FigureSource::kClient};
  f.eval_count = metrics::SourcedValue{99.5, FigureSource::kClient};
  EXPECT_EQ(ollama_verbose_block(f),
            "total duration:       1.234s            engine\n"
            "load duration:        —\n"
            "prompt eval count:    26 token(s)       engine\n"
            "prompt eval duration: 40ms              client-measured\n"
            "prompt eval rate:     650.00 tokens/s   client-measured\n"
            "eval count:           99.5 token(s)     client-measured\n"
            "eval duration:        —\n"
            "eval rate:            —\n");
}

TEST(OllamaVerboseBlock, GoDurations) {
  EXPECT_EQ(go_duration(1.234), "1.234s");
  EXPECT_EQ(go_duration(1.1), "1.1s");
  EXPECT_EQ(go_duration(0.0123), "12.3ms");
  EXPECT_EQ(go_duration(0.040), "40ms");
  EXPECT_EQ(go_duration(0.000850), "850µs");
  EXPECT_EQ(go_duration(0), "0ns");
}

}  // namespace
}  // namespace llmbench::report
