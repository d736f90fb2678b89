#include "monitor/engine_metrics.h"

#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "../../tests/support/fixtures.h"

namespace llmbench::monitor {
namespace {

using llmbench::testing::capture_body;
using llmbench::testing::read_test_file;
using Buckets = std::vector<std::pair<double, double>>;

constexpr double kInf = std::numeric_limits<double>::infinity();

Exposition parse_text(std::string_view text) {
  auto parsed = parse_exposition(text);
  if (!parsed) {
    ADD_FAILURE() << parsed.error().message;
    return {};
  }
  return std::move(*parsed);
}

Exposition fixture(const std::string& path) {
  std::string text = read_test_file(path);
  if (text.rfind("HTTP/", 0) == 0) text = capture_body(text);
  return parse_text(text);
}

void expect_value(const std::optional<SourcedValue>& v, double value, std::string_view family) {
  ASSERT_TRUE(v) << family << " absent";
  EXPECT_DOUBLE_EQ(v->value, value) << family;
  EXPECT_EQ(v->family, family);
}

TEST(MetricsDialect, ForTheEngineNamesOfEngines) {
  EXPECT_EQ(metrics_dialect_for("vllm"), MetricsDialect::kVllm);
  EXPECT_EQ(metrics_dialect_for("tgi"), MetricsDialect::kTgi);
  EXPECT_EQ(metrics_dialect_for("sglang"), MetricsDialect::kSglang);
  EXPECT_EQ(metrics_dialect_for("llamacpp"), MetricsDialect::kLlamaCpp);
  EXPECT_EQ(metrics_dialect_for("llama.cpp"), MetricsDialect::kLlamaCpp);
  EXPECT_EQ(metrics_dialect_for("ollama"), std::nullopt);  // no /metrics
  EXPECT_EQ(metrics_dialect_for("openai"), std::nullopt);
  EXPECT_EQ(metrics_dialect_for(""), std::nullopt);
  for (const auto d : {MetricsDialect::kVllm, MetricsDialect::kTgi, MetricsDialect::kSglang,
                       MetricsDialect::kLlamaCpp}) {
    EXPECT_EQ(metrics_dialect_for(to_string(d)), d);
  }
}

TEST(MetricsDialect, GuessedFromTheFamilies) {
  EXPECT_EQ(guess_dialect(fixture("fixtures/vllm/metrics_sample.prom")), MetricsDialect::kVllm);
  EXPECT_EQ(guess_dialect(fixture("fixtures/vllm/metrics_sample_v0_8.prom")),
            MetricsDialect::kVllm);
  EXPECT_EQ(guess_dialect(fixture("fixtures/sglang/metrics_sample.prom")), MetricsDialect::kSglang);
  EXPECT_EQ(guess_dialect(fixture("fixtures/llamacpp/metrics_sample.prom")),
            MetricsDialect::kLlamaCpp);
  EXPECT_EQ(guess_dialect(fixture("fixtures/llamacpp-captured/metrics.txt")),
            MetricsDialect::kLlamaCpp);
  EXPECT_EQ(guess_dialect(fixture("fixtures/tgi/metrics_sample.prom")), MetricsDialect::kTgi);
  EXPECT_EQ(guess_dialect(parse_text("process_cpu_seconds_total 1\nup 1\n")), std::nullopt);
  EXPECT_EQ(guess_dialect(Exposition{}), std::nullopt);
  // The prefix most families carry wins over a stray one.
  EXPECT_EQ(guess_dialect(parse_text("vllm:x 1\nsglang:a 1\nsglang:b 1\n")),
            MetricsDialect::kSglang);
}

TEST(Normalize, Vllm) {
  const EngineMetrics m =
      normalize(fixture("fixtures/vllm/metrics_sample.prom"), MetricsDialect::kVllm);
  expect_value(m.requests_running, 12, "vllm:num_requests_running");
  expect_value(m.requests_waiting, 3, "vllm:num_requests_waiting");
  expect_value(m.kv_cache_usage, 0.41, "vllm:kv_cache_usage_perc");
  expect_value(m.batch_size, 12, "vllm:num_requests_running");
  expect_value(m.generation_tokens, 51234, "vllm:generation_tokens_total");  // not _created
  ASSERT_TRUE(m.ttft);
  EXPECT_EQ(m.ttft->family, "vllm:time_to_first_token_seconds");
  EXPECT_EQ(m.ttft->buckets.buckets, (Buckets{{0.04, 81}, {0.06, 110}, {kInf, 120}}));
  EXPECT_DOUBLE_EQ(m.ttft->buckets.sum, 5.31);
  EXPECT_DOUBLE_EQ(m.ttft->buckets.count, 120);
  // What the excerpt does not expose is absent, never 0.
  EXPECT_FALSE(m.prompt_tokens);
  EXPECT_FALSE(m.prefix_cache_queries);
  EXPECT_FALSE(m.prefix_cache_hit_rate);
  EXPECT_FALSE(m.requests_finished);
  EXPECT_FALSE(m.itl);
  EXPECT_FALSE(m.e2e);
  EXPECT_FALSE(m.queue_time);
}

TEST(Normalize, VllmBefore09GivesTheSameFiguresFromTheOldNames) {
  const EngineMetrics now =
      normalize(fixture("fixtures/vllm/metrics_sample.prom"), MetricsDialect::kVllm);
  const EngineMetrics old =
      normalize(fixture("fixtures/vllm/metrics_sample_v0_8.prom"), MetricsDialect::kVllm);
  for (const NormalizedName& n : normalized_gauge_and_counter_names()) {
    const auto& a = figure(now, n.name);
    const auto& b = figure(old, n.name);
    if (!a) continue;
    SCOPED_TRACE(n.name);
    ASSERT_TRUE(b);
    EXPECT_EQ(a->value, b->value);
  }
  expect_value(old.kv_cache_usage, 0.41, "vllm:gpu_cache_usage_perc");
  expect_value(old.prefix_cache_queries, 20480, "vllm:gpu_prefix_cache_queries_total");
  expect_value(old.prefix_cache_hits, 5120, "vllm:gpu_prefix_cache_hits_total");
  expect_value(old.requests_finished, 120, "vllm:request_success_total");  // every reason
  ASSERT_TRUE(old.ttft);
  EXPECT_EQ(old.ttft->buckets.buckets, now.ttft->buckets.buckets);
  ASSERT_TRUE(old.itl);
  EXPECT_EQ(old.itl->family, "vllm:time_per_output_token_seconds");
  EXPECT_EQ(old.itl->buckets.buckets, (Buckets{{0.01, 40000}, {0.025, 50000}, {kInf, 51114}}));
  EXPECT_DOUBLE_EQ(old.itl->buckets.sum, 498.2);
}

TEST(Normalize, TheNewestNameWinsWhileBothAreExposed) {
  // vLLM 0.9 and 0.10 expose the deprecated names beside the new ones.
  const EngineMetrics m = normalize(parse_text("# TYPE vllm:gpu_cache_usage_perc gauge\n"
                                               "vllm:gpu_cache_usage_perc 0.4\n"
                                               "# TYPE vllm:kv_cache_usage_perc gauge\n"
                                               "vllm:kv_cache_usage_perc 0.5\n"
                                               "# TYPE vllm:time_per_output_token_seconds "
                                               "histogram\n"
                                               "vllm:time_per_output_token_seconds_bucket"
                                               "{le=\"+Inf\"} 1\n"
                                               "# TYPE vllm:inter_token_latency_seconds "
                                               "histogram\n"
                                               "vllm:inter_token_latency_seconds_bucket"
                                               "{le=\"+Inf\"} 2\n"),
                                    MetricsDialect::kVllm);
  expect_value(m.kv_cache_usage, 0.5, "vllm:kv_cache_usage_perc");
  ASSERT_TRUE(m.itl);
  EXPECT_EQ(m.itl->family, "vllm:inter_token_latency_seconds");
  EXPECT_EQ(m.itl->buckets.count, 2);
}

TEST(Normalize, VllmDataParallelEnginesAddUpAndFractionsAverage) {
  const EngineMetrics m =
      normalize(parse_text("# TYPE vllm:num_requests_running gauge\n"
                           "vllm:num_requests_running{engine=\"0\",model_name=\"m\"} 5\n"
                           "vllm:num_requests_running{engine=\"1\",model_name=\"m\"} 7\n"
                           "# TYPE vllm:kv_cache_usage_perc gauge\n"
                           "vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"m\"} 0.4\n"
                           "vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"m\"} 0.6\n"
                           "# TYPE vllm:time_to_first_token_seconds histogram\n"
                           "vllm:time_to_first_token_seconds_bucket{engine=\"0\",le=\"0.1\"} 1\n"
                           "vllm:time_to_first_token_seconds_bucket{engine=\"0\",le=\"+Inf\"} 2\n"
                           "vllm:time_to_first_token_seconds_bucket{engine=\"1\",le=\"0.1\"} 3\n"
                           "vllm:time_to_first_token_seconds_bucket{engine=\"1\",le=\"+Inf\"} 4\n"),
                MetricsDialect::kVllm);
  expect_value(m.requests_running, 12, "vllm:num_requests_running");
  expect_value(m.kv_cache_usage, 0.5, "vllm:kv_cache_usage_perc");
  ASSERT_TRUE(m.ttft);
  EXPECT_EQ(m.ttft->buckets.buckets, (Buckets{{0.1, 4}, {kInf, 6}}));
}

TEST(Normalize, Sglang) {
  const EngineMetrics m =
      normalize(fixture("fixtures/sglang/metrics_sample.prom"), MetricsDialect::kSglang);
  expect_value(m.requests_running, 8, "sglang:num_running_reqs");
  expect_value(m.requests_waiting, 0, "sglang:num_queue_reqs");  // exposed as 0: present
  expect_value(m.kv_cache_usage, 0.27, "sglang:token_usage");
  expect_value(m.generation_tokens, 9120, "sglang:generation_tokens_total");
  ASSERT_TRUE(m.itl);
  EXPECT_EQ(m.itl->family, "sglang:inter_token_latency_seconds");
  EXPECT_EQ(m.itl->buckets.buckets, (Buckets{{0.01, 8800}, {kInf, 9100}}));
  EXPECT_DOUBLE_EQ(m.itl->buckets.sum, 78.4);
  EXPECT_FALSE(m.ttft);
  EXPECT_FALSE(m.queue_time);
}

TEST(Normalize, SglangOlderNamesAndModelLabel) {
  const EngineMetrics m = normalize(
      parse_text("# TYPE sglang:num_running_reqs gauge\n"
                 "sglang:num_running_reqs{name=\"m\"} 2\n"
                 "# TYPE sglang:cache_hit_rate gauge\n"
                 "sglang:cache_hit_rate{name=\"m\"} 0.75\n"
                 "# TYPE sglang:num_requests_total counter\n"
                 "sglang:num_requests_total{name=\"m\"} 31\n"
                 "# TYPE sglang:time_per_output_token_seconds histogram\n"
                 "sglang:time_per_output_token_seconds_bucket{name=\"m\",le=\"0.02\"} 3\n"
                 "sglang:time_per_output_token_seconds_bucket{name=\"m\",le=\"+Inf\"} 4\n"),
      MetricsDialect::kSglang);
  expect_value(m.requests_running, 2, "sglang:num_running_reqs");
  expect_value(m.prefix_cache_hit_rate, 0.75, "sglang:cache_hit_rate");
  expect_value(m.requests_finished, 31, "sglang:num_requests_total");
  ASSERT_TRUE(m.itl);
  EXPECT_EQ(m.itl->family, "sglang:time_per_output_token_seconds");
  EXPECT_EQ(m.itl->buckets.buckets, (Buckets{{0.02, 3}, {kInf, 4}}));
}

TEST(Normalize, LlamaCpp) {
  const EngineMetrics m =
      normalize(fixture("fixtures/llamacpp/metrics_sample.prom"), MetricsDialect::kLlamaCpp);
  expect_value(m.requests_running, 4, "llamacpp:requests_processing");
  expect_value(m.requests_waiting, 2, "llamacpp:requests_deferred");
  expect_value(m.prompt_tokens, 5120, "llamacpp:prompt_tokens_total");
  expect_value(m.generation_tokens, 20480, "llamacpp:tokens_predicted_total");
  EXPECT_FALSE(m.kv_cache_usage);  // removed in May 2025
  EXPECT_FALSE(m.ttft);
  EXPECT_FALSE(m.itl);
}

TEST(Normalize, LlamaCppCapturedFromB4747StillHasKvCacheUsage) {
  const EngineMetrics m =
      normalize(fixture("fixtures/llamacpp-captured/metrics.txt"), MetricsDialect::kLlamaCpp);
  expect_value(m.kv_cache_usage, 0.0307617, "llamacpp:kv_cache_usage_ratio");
  expect_value(m.prompt_tokens, 88, "llamacpp:prompt_tokens_total");
  expect_value(m.generation_tokens, 116, "llamacpp:tokens_predicted_total");
  expect_value(m.requests_running, 0, "llamacpp:requests_processing");
  expect_value(m.requests_waiting, 0, "llamacpp:requests_deferred");
}

TEST(Normalize, Tgi) {
  const EngineMetrics m =
      normalize(fixture("fixtures/tgi/metrics_sample.prom"), MetricsDialect::kTgi);
  expect_value(m.requests_running, 7, "tgi_batch_current_size");
  expect_value(m.batch_size, 7, "tgi_batch_current_size");
  expect_value(m.requests_waiting, 5, "tgi_queue_size");
  expect_value(m.requests_finished, 40, "tgi_request_success");
  expect_value(m.prompt_tokens, 4200, "tgi_request_input_length");
  expect_value(m.generation_tokens, 2560, "tgi_request_generated_tokens");
  ASSERT_TRUE(m.e2e);
  EXPECT_EQ(m.e2e->family, "tgi_request_duration");
  EXPECT_EQ(m.e2e->buckets.buckets.size(), 36U);  // 35 geometric bounds and +Inf
  EXPECT_DOUBLE_EQ(m.e2e->buckets.count, 40);
  // Rank 20 lies halfway through (0.0001 × 1.5^18, 0.0001 × 1.5^19], which holds 20 of 40.
  EXPECT_NEAR(*histogram_quantile(m.e2e->buckets, 0.5), 0.18473648500442503, 1e-12);
  ASSERT_TRUE(m.queue_time);
  EXPECT_EQ(m.queue_time->family, "tgi_request_queue_duration");
  EXPECT_NEAR(*histogram_quantile(m.queue_time->buckets, 0.25), 0.000075, 1e-15);
  // TGI has no TTFT, no ITL histogram and no KV-cache gauge.
  EXPECT_FALSE(m.ttft);
  EXPECT_FALSE(m.itl);
  EXPECT_FALSE(m.kv_cache_usage);
  EXPECT_FALSE(m.preemptions);
}

TEST(Normalize, AnotherEnginesScrapeGivesNothing) {
  const EngineMetrics m =
      normalize(fixture("fixtures/vllm/metrics_sample.prom"), MetricsDialect::kTgi);
  for (const NormalizedName& n : normalized_gauge_and_counter_names()) {
    EXPECT_FALSE(figure(m, n.name)) << n.name;
  }
  EXPECT_FALSE(m.ttft);
}

TEST(NormalizedNames, CoverEveryFigureOnceWithAUnit) {
  const auto& names = normalized_gauge_and_counter_names();
  ASSERT_EQ(names.size(), 11U);
  EXPECT_EQ(names.front().name, "requests_running");
  const std::set<std::string_view> units = {"requests", "fraction", "tokens", "count"};
  std::set<std::string_view> seen;
  EngineMetrics m;
  double v = 1;
  for (const NormalizedName& n : names) {
    EXPECT_TRUE(seen.insert(n.name).second) << n.name;
    EXPECT_EQ(units.count(n.unit), 1U) << n.name << ": " << n.unit;
  }
  // Each name reads its own field: fill them through the struct and read back by name.
  m.requests_running = SourcedValue{v++, "a"};
  m.requests_waiting = SourcedValue{v++, "b"};
  m.kv_cache_usage = SourcedValue{v++, "c"};
  m.batch_size = SourcedValue{v++, "d"};
  m.prefix_cache_hit_rate = SourcedValue{v++, "e"};
  m.prefix_cache_queries = SourcedValue{v++, "f"};
  m.prefix_cache_hits = SourcedValue{v++, "g"};
  m.preemptions = SourcedValue{v++, "h"};
  m.prompt_tokens = SourcedValue{v++, "i"};
  m.generation_tokens = SourcedValue{v++, "j"};
  m.requests_finished = SourcedValue{v++, "k"};
  const char* const order[] = {"requests_running",  "requests_waiting",      "kv_cache_usage",
                               "batch_size",        "prefix_cache_hit_rate", "prefix_cache_queries",
                               "prefix_cache_hits", "preemptions",           "prompt_tokens",
                               "generation_tokens", "requests_finished"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(names[i].name, order[i]);
    ASSERT_TRUE(figure(m, order[i]));
    EXPECT_EQ(figure(m, order[i])->value, static_cast<double>(i + 1)) << order[i];
  }
  EXPECT_FALSE(figure(m, "no_such_figure"));
}

TEST(NormalizedNames, CountersAreMarked) {
  for (const NormalizedName& n : normalized_gauge_and_counter_names()) {
    const bool counter = n.name == "prefix_cache_queries" || n.name == "prefix_cache_hits" ||
                         n.name == "preemptions" || n.name == "prompt_tokens" ||
                         n.name == "generation_tokens" || n.name == "requests_finished";
    EXPECT_EQ(n.counter, counter) << n.name;
  }
}

TEST(MetricsDialect, Names) {
  EXPECT_EQ(to_string(MetricsDialect::kVllm), "vllm");
  EXPECT_EQ(to_string(MetricsDialect::kTgi), "tgi");
  EXPECT_EQ(to_string(MetricsDialect::kSglang), "sglang");
  EXPECT_EQ(to_string(MetricsDialect::kLlamaCpp), "llamacpp");
}

}  // namespace
}  // namespace llmbench::monitor
