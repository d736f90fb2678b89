#include "monitor/prometheus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "../../tests/support/fixtures.h"

namespace llmbench::monitor {
namespace {

using llmbench::testing::capture_body;
using llmbench::testing::read_test_file;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Everything a parse yields, as text, so that two parses compare exactly (values in hex, NaN
// equal to NaN) and a difference shows where it is.
std::string describe(const Expected<Exposition>& parsed) {
  if (!parsed) return "error: " + parsed.error().message;
  std::ostringstream out;
  out << std::hexfloat;
  for (const MetricFamily& f : parsed->families) {
    out << "family " << f.name << ' ' << to_string(f.type) << " help=" << f.help
        << " unit=" << f.unit << '\n';
    for (const MetricSample& s : f.samples) {
      out << "  " << s.name << '{';
      for (const Label& l : s.labels) out << l.name << '=' << l.value << ',';
      out << "} " << s.value;
      if (s.timestamp) out << " @" << *s.timestamp;
      out << '\n';
    }
  }
  for (const std::string& w : parsed->warnings) out << "warning " << w << '\n';
  return out.str();
}

Expected<Exposition> parse_split(std::string_view text, std::size_t cut,
                                 ExpositionLimits limits = {}) {
  ExpositionParser parser(limits);
  parser.feed(text.substr(0, cut));
  parser.feed(text.substr(cut));
  return parser.finish();
}

Expected<Exposition> parse_bytewise(std::string_view text, ExpositionLimits limits = {}) {
  ExpositionParser parser(limits);
  for (const char c : text) parser.feed(std::string_view(&c, 1));
  return parser.finish();
}

// Parses `text` whole, in two pieces at every cut, and a byte at a time; all must agree.
Expected<Exposition> parse_every_way(std::string_view text, ExpositionLimits limits = {}) {
  auto whole = parse_exposition(text, limits);
  const std::string expected = describe(whole);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    const std::string split = describe(parse_split(text, cut, limits));
    if (split != expected) {
      ADD_FAILURE() << "split at byte " << cut << " gives\n" << split << "instead of\n" << expected;
      break;
    }
  }
  EXPECT_EQ(describe(parse_bytewise(text, limits)), expected) << "fed a byte at a time";
  return whole;
}

// The error every way of feeding `text` gives; it must contain `part`.
void expect_error(std::string_view text, std::string_view part, ExpositionLimits limits = {}) {
  const auto parsed = parse_every_way(text, limits);
  ASSERT_FALSE(parsed) << "accepted:\n" << describe(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kProtocol);
  EXPECT_NE(parsed.error().message.find(part), std::string::npos) << parsed.error().message;
}

Exposition parse_ok(std::string_view text) {
  auto parsed = parse_every_way(text);
  if (!parsed) {
    ADD_FAILURE() << parsed.error().message;
    return {};
  }
  return std::move(*parsed);
}

const char* const kFixtures[] = {
    "fixtures/vllm/metrics_sample.prom",   "fixtures/vllm/metrics_sample_v0_8.prom",
    "fixtures/sglang/metrics_sample.prom", "fixtures/llamacpp/metrics_sample.prom",
    "fixtures/tgi/metrics_sample.prom",    "fixtures/llamacpp-captured/metrics.txt",
};

std::string fixture_text(const std::string& path) {
  std::string text = read_test_file(path);
  return text.rfind("HTTP/", 0) == 0 ? capture_body(text) : text;
}

TEST(Prometheus, EveryFixtureParsesTheSameHoweverItIsCut) {
  for (const char* path : kFixtures) {
    SCOPED_TRACE(path);
    const std::string text = fixture_text(path);
    const auto parsed = parse_every_way(text);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_FALSE(parsed->families.empty());
    EXPECT_TRUE(parsed->warnings.empty()) << parsed->warnings.front();
    std::size_t samples = 0;
    for (const MetricFamily& f : parsed->families) {
      samples += f.samples.size();
      EXPECT_NE(f.type, MetricType::kUntyped) << f.name;  // every fixture types its families
    }
    EXPECT_GT(samples, 0U);
  }
}

TEST(Prometheus, ReadsTheVllmFixture) {
  const Exposition e = parse_ok(fixture_text("fixtures/vllm/metrics_sample.prom"));
  ASSERT_EQ(e.families.size(), 5U);
  const MetricFamily& running = e.families[0];
  EXPECT_EQ(running.name, "vllm:num_requests_running");
  EXPECT_EQ(running.type, MetricType::kGauge);
  EXPECT_EQ(running.help, "Number of requests in model execution batches.");
  ASSERT_EQ(running.samples.size(), 1U);
  EXPECT_EQ(running.samples[0].value, 12.0);
  EXPECT_EQ(
      running.samples[0].labels,
      (std::vector<Label>{{"engine", "0"}, {"model_name", "meta-llama/Llama-3.1-8B-Instruct"}}));
  EXPECT_EQ(running.samples[0].label("engine"), "0");
  EXPECT_EQ(running.samples[0].label("le"), std::nullopt);

  // "# TYPE vllm:generation_tokens_total counter" (0.0.4): the family is the base name and
  // holds the _created sample too.
  const MetricFamily* tokens = e.find("vllm:generation_tokens_total");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens, e.find("vllm:generation_tokens"));
  EXPECT_EQ(tokens->name, "vllm:generation_tokens");
  EXPECT_EQ(tokens->type, MetricType::kCounter);
  ASSERT_EQ(tokens->samples.size(), 2U);
  EXPECT_EQ(tokens->samples[0].name, "vllm:generation_tokens_total");
  EXPECT_EQ(tokens->samples[1].name, "vllm:generation_tokens_created");
  EXPECT_EQ(tokens->samples[1].value, 1.7408230e+09);

  const MetricFamily* ttft = e.find("vllm:time_to_first_token_seconds");
  ASSERT_NE(ttft, nullptr);
  EXPECT_EQ(ttft->type, MetricType::kHistogram);
  EXPECT_EQ(ttft->samples.size(), 5U);
  EXPECT_EQ(ttft->samples[2].label("le"), "+Inf");
  EXPECT_EQ(e.find("vllm:time_to_first_token_seconds_bucket"), nullptr);
  EXPECT_EQ(e.find("vllm:absent"), nullptr);
}

TEST(Prometheus, ReadsOpenMetricsText) {
  const Exposition e = parse_ok(
      "# TYPE requests counter\n"
      "# UNIT requests requests\n"
      "# HELP requests Requests \\\\ served.\\nSecond line.\n"
      "requests_total{route=\"/a\"} 3 1700000000.5\n"
      "requests_created{route=\"/a\"} 1.7e9\n"
      "# TYPE latency_seconds histogram\n"
      "# UNIT latency_seconds seconds\n"
      "latency_seconds_bucket{le=\"0.5\"} 1 # {trace_id=\"abc\"} 0.3 1700000000\n"
      "latency_seconds_bucket{le=\"+Inf\"} 2\n"
      "latency_seconds_sum 1.5\n"
      "latency_seconds_count 2\n"
      "latency_seconds_created 1.7e9\n"
      "# TYPE rpc_durations summary\n"
      "rpc_durations{quantile=\"0.5\"} 0.25\n"
      "rpc_durations{quantile=\"0.99\"} NaN\n"
      "rpc_durations_sum 12\n"
      "rpc_durations_count 40\n"
      "# TYPE build info\n"
      "build_info{version=\"1.2\"} 1\n"
      "# TYPE feature stateset\n"
      "feature{feature=\"a\"} 1\n"
      "feature{feature=\"b\"} 0\n"
      "# TYPE queue_wait gaugehistogram\n"
      "queue_wait_bucket{le=\"1\"} 4\n"
      "queue_wait_bucket{le=\"+Inf\"} 5\n"
      "queue_wait_gcount 5\n"
      "queue_wait_gsum 3.5\n"
      "# TYPE mystery unknown\n"
      "mystery 7\n"
      "# EOF\n");
  ASSERT_EQ(e.families.size(), 7U);
  const MetricFamily& requests = e.families[0];
  EXPECT_EQ(requests.name, "requests");
  EXPECT_EQ(requests.type, MetricType::kCounter);
  EXPECT_EQ(requests.unit, "requests");
  EXPECT_EQ(requests.help, "Requests \\ served.\nSecond line.");
  ASSERT_EQ(requests.samples.size(), 2U);
  EXPECT_EQ(requests.samples[0].timestamp, 1700000000.5);
  EXPECT_EQ(requests.samples[1].timestamp, std::nullopt);
  const MetricFamily& latency = e.families[1];
  EXPECT_EQ(latency.unit, "seconds");
  ASSERT_EQ(latency.samples.size(), 5U);  // the exemplar is not a sample
  EXPECT_EQ(latency.samples[0].value, 1.0);
  EXPECT_EQ(latency.samples[0].timestamp, std::nullopt);
  EXPECT_EQ(e.families[2].type, MetricType::kSummary);
  EXPECT_TRUE(std::isnan(e.families[2].samples[1].value));
  EXPECT_EQ(e.families[3].name, "build");
  EXPECT_EQ(e.families[3].type, MetricType::kInfo);
  EXPECT_EQ(e.families[3].samples[0].name, "build_info");
  EXPECT_EQ(e.families[4].type, MetricType::kStateSet);
  EXPECT_EQ(e.families[4].samples.size(), 2U);
  EXPECT_EQ(e.families[5].type, MetricType::kGaugeHistogram);
  EXPECT_EQ(e.families[5].samples.size(), 4U);
  EXPECT_EQ(e.families[6].type, MetricType::kUntyped);
  EXPECT_TRUE(e.warnings.empty());
}

TEST(Prometheus, ReadsLabelsAndValues) {
  const Exposition e = parse_ok(
      "a{x=\"back\\\\slash \\\"quoted\\\" new\\nline\",u=\"h\xC3\xA9llo\"} 1\n"
      "b{} 2\n"
      "c{x=\"1\",y=\"2\",} 3\n"
      "d { x = \"1\" , y=\"\" } 4 1395066363000\n"
      "e +Inf\n"
      "f -Inf\n"
      "g NaN\n"
      "h 1.5e-3\n"
      "i -2E+2 -17\n"
      "j\t.5\t\n"
      "k inf\n"
      "  l 6\n");
  ASSERT_EQ(e.families.size(), 12U);
  const auto value = [&](std::size_t i) { return e.families[i].samples.at(0).value; };
  EXPECT_EQ(e.families[0].samples[0].labels,
            (std::vector<Label>{{"x", "back\\slash \"quoted\" new\nline"}, {"u", "h\xC3\xA9llo"}}));
  EXPECT_TRUE(e.families[1].samples[0].labels.empty());
  EXPECT_EQ(value(1), 2.0);
  EXPECT_EQ(e.families[2].samples[0].labels.size(), 2U);
  EXPECT_EQ(e.families[3].samples[0].labels, (std::vector<Label>{{"x", "1"}, {"y", ""}}));
  EXPECT_EQ(e.families[3].samples[0].timestamp, 1395066363000.0);
  EXPECT_EQ(value(4), kInf);
  EXPECT_EQ(value(5), -kInf);
  EXPECT_TRUE(std::isnan(value(6)));
  EXPECT_EQ(value(7), 1.5e-3);
  EXPECT_EQ(value(8), -200.0);
  EXPECT_EQ(e.families[8].samples[0].timestamp, -17.0);
  EXPECT_EQ(value(9), 0.5);
  EXPECT_EQ(value(10), kInf);
  EXPECT_EQ(e.families[11].name, "l");
  // Every family here is untyped and named by its sample.
  for (const MetricFamily& f : e.families) EXPECT_EQ(f.type, MetricType::kUntyped);
}

TEST(Prometheus, CrLfReadsAsLf) {
  const std::string lf = fixture_text("fixtures/vllm/metrics_sample.prom");
  std::string crlf;
  for (const char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_EQ(describe(parse_every_way(crlf)), describe(parse_exposition(lf)));
}

TEST(Prometheus, BlankLinesCommentsAndALastLineWithoutNewline) {
  const Exposition e = parse_ok("\n# a comment\n#\n# HELP\n\n  \nx 1\n# TYPE\ny 2");
  ASSERT_EQ(e.families.size(), 2U);
  EXPECT_EQ(e.families[1].samples[0].value, 2.0);
  EXPECT_TRUE(e.warnings.empty());
}

TEST(Prometheus, SamplesOfAFamilyStayTogetherEvenWhenTheFamilyIsKnownLater) {
  const Exposition e = parse_ok(
      "# TYPE x gauge\n"
      "x{a=\"1\"} 1\n"
      "x{a=\"2\"} 2\n"
      "y 3\n"
      "x{a=\"3\"} 4\n");
  ASSERT_EQ(e.families.size(), 2U);
  EXPECT_EQ(e.families[0].samples.size(), 3U);
  ASSERT_EQ(e.warnings.size(), 1U);
  EXPECT_EQ(e.warnings[0], "line 5: a sample of x after its family was closed");
}

TEST(Prometheus, DuplicateAndLateMetadataAreWarnings) {
  const Exposition e = parse_ok(
      "# TYPE x gauge\n"
      "# TYPE x counter\n"
      "# HELP x one\n"
      "# HELP x two\n"
      "x 1\n"
      "y 2\n"
      "# TYPE y gauge\n"
      "# HELP x three\n"
      "# TYPE z nonsense\n"
      "z 3\n");
  ASSERT_EQ(e.families.size(), 3U);
  EXPECT_EQ(e.families[0].type, MetricType::kGauge);
  EXPECT_EQ(e.families[0].help, "one");
  EXPECT_EQ(e.families[1].type, MetricType::kUntyped);
  EXPECT_EQ(e.families[2].type, MetricType::kUntyped);
  EXPECT_EQ(e.families[2].samples.size(), 1U);
  ASSERT_EQ(e.warnings.size(), 5U);
  EXPECT_EQ(e.warnings[0], "line 2: a second # TYPE for x; the first kept");
  EXPECT_EQ(e.warnings[1], "line 4: a second # HELP for x; the first kept");
  EXPECT_EQ(e.warnings[2], "line 7: # TYPE for y after its samples; ignored");
  EXPECT_EQ(e.warnings[3], "line 8: # HELP for x after its family was closed; ignored");
  EXPECT_EQ(e.warnings[4], "line 9: unknown metric type \"nonsense\" for z; read as untyped");
}

TEST(Prometheus, WarningsAreBounded) {
  std::string text = "# TYPE x gauge\nx 1\ny 1\n";
  for (int i = 0; i < 50; ++i) text += "x 1\ny 1\n";
  const auto parsed = parse_exposition(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->warnings.size(), Exposition::kMaxWarnings);
  EXPECT_EQ(parsed->families[0].samples.size(), 51U);
}

// ---- Hostile input: a clear error naming the line, the same however the input is cut ----

TEST(PrometheusErrors, ALineLongerThanTheBound) {
  ExpositionLimits limits;
  limits.max_line_bytes = 16;
  expect_error("x 1\nabcdefghij_klmno 12345\ny 2\n",
               "line 2: 22 bytes, more than the 16 a line may have", limits);
  expect_error("x 1\nabcdefghij_klmno 12345", "line 2: 22 bytes, more than the 16", limits);
  const auto exact = parse_every_way("abcdefghij_kl 12\n", limits);  // 16 bytes: allowed
  EXPECT_TRUE(exact) << exact.error().message;
}

TEST(PrometheusErrors, ABodyOverTheBound) {
  ExpositionLimits limits;
  limits.max_body_bytes = 20;
  expect_error("x 1\ny 2\nz 3\nw 4\nv 5\nu 6\n", "line 6: the body is over the 20 bytes", limits);
  EXPECT_TRUE(parse_every_way("x 1\ny 2\nz 3\nw 4\nv 5\n", limits));  // exactly 20
}

TEST(PrometheusErrors, TooManySamplesOrLabels) {
  ExpositionLimits limits;
  limits.max_samples = 2;
  limits.max_labels_per_sample = 2;
  expect_error("x 1\nx 2\nx 3\n", "line 3: more than the 2 samples a scrape may have", limits);
  EXPECT_TRUE(parse_every_way("x{a=\"1\",b=\"2\"} 1\n", limits));
  expect_error("x{a=\"1\",b=\"2\",c=\"3\"} 1\n",
               "line 1: x has more than the 2 labels a sample may have", limits);
}

TEST(PrometheusErrors, InvalidUtf8) {
  expect_error("x{a=\"\xFF\"} 1\n", "line 1: value of label a of x is not UTF-8");
  expect_error("x{a=\"\xC0\xAF\"} 1\n", "not UTF-8");      // overlong '/'
  expect_error("x{a=\"\xED\xA0\x80\"} 1\n", "not UTF-8");  // a surrogate
  expect_error("y 1\n# HELP x caf\xE9\n", "line 2: help text of x is not UTF-8");
}

TEST(PrometheusErrors, BrokenLabels) {
  expect_error("x{a=\"b} 1\n", "line 1: label value not closed");
  expect_error("x{a=\"b\\q\"} 1\n", "line 1: bad escape \"\\q\" in label a of x");
  expect_error("x{a=\"b\\", "label value not closed");
  expect_error("x{a=\"1\",a=\"2\"} 1\n", "line 1: label a twice in x");
  expect_error("x{a} 1\n", "label a of x has no '='");
  expect_error("x{a=b} 1\n", "value of label a of x not quoted");
  expect_error("x{a=\"1\" b=\"2\"} 1\n", "',' or '}' expected after label a of x");
  expect_error("x{a=\"1\"\n", "labels of x not closed");
  expect_error("x{1=\"1\"} 1\n", "a label name expected in x");
  expect_error("x{,} 1\n", "a label name expected in x");
}

TEST(PrometheusErrors, BrokenValues) {
  expect_error("x{a=\"b\"}\n", "line 1: x has no value");
  expect_error("ok 1\nx\n", "line 2: x has no value");
  expect_error("x abc\n", "line 1: value \"abc\" of x is not a number");
  expect_error("x 1.2.3\n", "value \"1.2.3\" of x is not a number");
  expect_error("x +-1\n", "not a number");
  expect_error("x nan(1)\n", "not a number");
  expect_error("x 1e999\n", "not a number");
  expect_error("x 1 soon\n", "timestamp \"soon\" of x is not a number");
  expect_error("x 1 NaN\n", "timestamp \"NaN\" of x is not a number");
  expect_error("x 1 2 3\n", "unexpected \"3\" after the timestamp of x");
  expect_error("x{a=\"1\"}2\n", "unexpected \"2\" after x");
  expect_error("9x 1\n", "line 1: a metric name expected at \"9x 1\"");
  expect_error("# TYPE 9x gauge\n", "# TYPE for \"9x\", which is no metric name");
}

TEST(PrometheusErrors, DataAfterEof) {
  expect_error("x 1\n# EOF\ny 2\n", "line 3: data after # EOF");
  expect_error("# EOF\n# a comment\n", "line 2: data after # EOF");
  const auto ok = parse_every_way("x 1\n# EOF\n\n");  // a blank line is no data
  EXPECT_TRUE(ok) << ok.error().message;
}

TEST(PrometheusErrors, NulBytes) {
  expect_error(std::string_view("x 1\nx\0 2\n", 9), "line 2: a NUL byte");
  expect_error(std::string_view("# comment \0\n", 12), "line 1: a NUL byte");
  expect_error(std::string_view("x{a=\"\0\"} 1\n", 11), "a NUL byte");
}

TEST(PrometheusErrors, HistogramAndSummarySamplesWithoutTheirLabel) {
  expect_error("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket 2\n",
               "line 3: histogram bucket h_bucket without an le label");
  expect_error("# TYPE h histogram\nh_bucket{le=\"soon\"} 1\n",
               "line 2: le \"soon\" of h_bucket is not a number");
  expect_error("# TYPE s summary\ns 1\n", "line 2: summary sample s without a quantile label");
  // Without a # TYPE, h_bucket is a sample like any other.
  EXPECT_TRUE(parse_every_way("h_bucket 2\n"));
}

TEST(PrometheusErrors, TheFirstErrorStopsTheParser) {
  ExpositionParser parser;
  parser.feed("x 1\ny abc\n");
  parser.feed("z {\n");
  const auto first = parser.finish();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message, "line 2: value \"abc\" of y is not a number");
}

TEST(PrometheusErrors, AMessageQuotesAtMostFortyBytesOfTheInput) {
  const auto parsed = parse_exposition("x " + std::string(100, 'z') + "\xFF\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message,
            "line 1: value \"" + std::string(40, 'z') + "...\" of x is not a number");
}

// ---- Histograms ----

HistogramBuckets buckets(std::vector<std::pair<double, double>> b) {
  HistogramBuckets h;
  h.buckets = std::move(b);
  h.count = h.buckets.empty() ? 0 : h.buckets.back().second;
  return h;
}

TEST(Histogram, OfTheVllmFixture) {
  const Exposition e = parse_ok(fixture_text("fixtures/vllm/metrics_sample.prom"));
  const auto h = histogram_of(*e.find("vllm:time_to_first_token_seconds"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->buckets,
            (std::vector<std::pair<double, double>>{{0.04, 81}, {0.06, 110}, {kInf, 120}}));
  EXPECT_EQ(h->sum, 5.31);
  EXPECT_EQ(h->count, 120);
  EXPECT_FALSE(h->empty());
  EXPECT_EQ(histogram_of(*e.find("vllm:num_requests_running")), std::nullopt);  // a gauge
}

TEST(Histogram, SumsLabelSetsWithTheSameBounds) {
  const Exposition e = parse_ok(
      "# TYPE t histogram\n"
      "t_bucket{engine=\"0\",le=\"1\"} 2\n"
      "t_bucket{engine=\"0\",le=\"+Inf\"} 3\n"
      "t_sum{engine=\"0\"} 2.5\n"
      "t_count{engine=\"0\"} 3\n"
      "t_bucket{le=\"1.0\",engine=\"1\"} 5\n"  // the same bound written otherwise; labels reordered
      "t_bucket{engine=\"1\",le=\"+Inf\"} 9\n"
      "t_sum{engine=\"1\"} 10\n"
      "t_count{engine=\"1\"} 9\n"
      "t_bucket{engine=\"2\",le=\"2\"} 100\n"  // other bounds: left out
      "t_bucket{engine=\"2\",le=\"+Inf\"} 100\n"
      "t_created{engine=\"0\"} 1.7e9\n");
  const auto h = histogram_of(e.families[0]);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->buckets, (std::vector<std::pair<double, double>>{{1, 7}, {kInf, 12}}));
  EXPECT_EQ(h->sum, 12.5);
  EXPECT_EQ(h->count, 12);
}

TEST(Histogram, SortsBucketsAndSuppliesAMissingInfBucket) {
  const Exposition e = parse_ok(
      "# TYPE t histogram\n"
      "t_bucket{le=\"2\"} 4\n"
      "t_bucket{le=\"1\"} 1\n"
      "t_count 6\n"
      "t_sum 7\n");
  const auto h = histogram_of(e.families[0]);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->buckets, (std::vector<std::pair<double, double>>{{1, 1}, {2, 4}, {kInf, 6}}));
  EXPECT_EQ(h->count, 6);
}

TEST(Histogram, NoneWithoutBuckets) {
  const Exposition e = parse_ok("# TYPE t histogram\nt_sum 1\nt_count 1\n# TYPE u histogram\n");
  EXPECT_EQ(histogram_of(e.families[0]), std::nullopt);
  EXPECT_EQ(histogram_of(e.families[1]), std::nullopt);
}

TEST(Histogram, GaugeHistogramsUseGsumAndGcount) {
  const Exposition e = parse_ok(
      "# TYPE q gaugehistogram\nq_bucket{le=\"1\"} 4\nq_bucket{le=\"+Inf\"} 5\n"
      "q_gcount 5\nq_gsum 3.5\n");
  const auto h = histogram_of(e.families[0]);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->sum, 3.5);
  EXPECT_EQ(h->count, 5);
}

TEST(HistogramQuantile, InterpolatesWithinTheBucketHoldingTheRank) {
  const HistogramBuckets h = buckets({{1, 10}, {2, 30}, {4, 40}, {kInf, 40}});
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.5), 1.5);   // rank 20: (1,2], 10 of 20 in
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.25), 1.0);  // rank 10: the top of [0,1]
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.1), 0.4);   // rank 4: [0,1] from 0
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.9), 3.2);   // rank 36: (2,4], 6 of 10 in
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 7.0), 4.0);   // clamped to 1
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, -1.0), 0.0);  // clamped to 0
  EXPECT_EQ(histogram_quantile(h, std::nan("")), std::nullopt);
}

TEST(HistogramQuantile, OfTheVllmFixture) {
  const HistogramBuckets h = buckets({{0.04, 81}, {0.06, 110}, {kInf, 120}});
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.5), 0.04 * 60 / 81);
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.9), 0.04 + 0.02 * 27 / 29);
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.99), 0.06);  // rank 118.8 is in +Inf
}

TEST(HistogramQuantile, ARankInTheInfBucketAnswersTheLargestFiniteBound) {
  EXPECT_EQ(histogram_quantile(buckets({{1, 10}, {5, 12}, {kInf, 20}}), 0.9), 5.0);
}

TEST(HistogramQuantile, EmptyAndSingleBucket) {
  EXPECT_EQ(histogram_quantile(buckets({}), 0.5), std::nullopt);
  EXPECT_EQ(histogram_quantile(buckets({{1, 0}, {kInf, 0}}), 0.5), std::nullopt);
  EXPECT_EQ(histogram_quantile(buckets({{kInf, 9}}), 0.5), std::nullopt);  // no finite bound
  EXPECT_DOUBLE_EQ(*histogram_quantile(buckets({{0.5, 4}, {kInf, 4}}), 0.5), 0.25);
  EXPECT_EQ(histogram_quantile(buckets({{1, 4}, {2, 5}}), 0.5), std::nullopt);  // no +Inf
}

TEST(HistogramQuantile, CountsThatGoDownAreForcedMonotonic) {
  // Prometheus's ensureMonotonic: (2, 8) reads as (2, 10).
  EXPECT_DOUBLE_EQ(*histogram_quantile(buckets({{1, 10}, {2, 8}, {4, 20}, {kInf, 20}}), 0.75), 3.0);
}

TEST(HistogramQuantile, ANonPositiveLowestBoundIsTheAnswer) {
  EXPECT_EQ(histogram_quantile(buckets({{-1, 5}, {1, 10}, {kInf, 10}}), 0.2), -1.0);
  EXPECT_DOUBLE_EQ(*histogram_quantile(buckets({{-1, 5}, {1, 10}, {kInf, 10}}), 0.75), 0.0);
}

TEST(HistogramResolution, IsTheBucketWidthOverItsUpperBound) {
  const HistogramBuckets h = buckets({{1, 10}, {2, 30}, {4, 40}, {kInf, 50}});
  EXPECT_DOUBLE_EQ(*histogram_resolution(h, 0.1), 1.0);   // [0, 1]
  EXPECT_DOUBLE_EQ(*histogram_resolution(h, 0.5), 0.5);   // (1, 2]
  EXPECT_DOUBLE_EQ(*histogram_resolution(h, 0.75), 0.5);  // (2, 4]
  EXPECT_EQ(histogram_resolution(h, 0.99), kInf);         // (4, +Inf]
  EXPECT_EQ(histogram_resolution(buckets({}), 0.5), std::nullopt);
  EXPECT_EQ(histogram_resolution(buckets({{-1, 5}, {kInf, 5}}), 0.5), std::nullopt);
}

TEST(HistogramDelta, SubtractsBucketByBucket) {
  HistogramBuckets earlier = buckets({{1, 10}, {2, 30}, {kInf, 40}});
  earlier.sum = 50;
  HistogramBuckets later = buckets({{1, 12}, {2, 35}, {kInf, 50}});
  later.sum = 65;
  const auto d = histogram_delta(later, earlier);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->buckets, (std::vector<std::pair<double, double>>{{1, 2}, {2, 5}, {kInf, 10}}));
  EXPECT_EQ(d->count, 10);
  EXPECT_EQ(d->sum, 15);
  EXPECT_DOUBLE_EQ(*histogram_quantile(*d, 0.35), 1.5);  // rank 3.5: (1,2], 1.5 of 3 in
}

TEST(HistogramDelta, NoneAfterAResetOrWithOtherBounds) {
  const HistogramBuckets earlier = buckets({{1, 10}, {2, 30}, {kInf, 40}});
  EXPECT_EQ(histogram_delta(buckets({{1, 1}, {2, 2}, {kInf, 3}}), earlier), std::nullopt);
  EXPECT_EQ(histogram_delta(buckets({{1, 11}, {2, 29}, {kInf, 45}}), earlier), std::nullopt);
  HistogramBuckets fewer = buckets({{1, 10}, {2, 30}, {kInf, 40}});
  fewer.count = 39;  // _count went down although the buckets did not
  EXPECT_EQ(histogram_delta(fewer, earlier), std::nullopt);
  EXPECT_EQ(histogram_delta(buckets({{1, 10}, {3, 30}, {kInf, 40}}), earlier), std::nullopt);
  EXPECT_EQ(histogram_delta(buckets({{1, 10}, {kInf, 40}}), earlier), std::nullopt);
  const auto same = histogram_delta(earlier, earlier);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->count, 0);
  EXPECT_EQ(histogram_quantile(*same, 0.5), std::nullopt);  // nothing observed in between
}

// ---- Values of counters and gauges ----

TEST(FamilyValue, SumsSamplesOptionallyByOneLabel) {
  const Exposition e = parse_ok(
      "# TYPE ok_total counter\n"
      "ok_total{reason=\"stop\"} 10\n"
      "ok_total{reason=\"length\"} 5\n"
      "ok_created{reason=\"stop\"} 1.7e9\n"
      "# TYPE running gauge\n"
      "running{engine=\"0\"} 3\n"
      "running{engine=\"1\"} 4\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"+Inf\"} 1\n"
      "# TYPE empty gauge\n"
      "bare_counter_like 7\n");
  EXPECT_EQ(family_value(e, "ok_total"), 15.0);  // _created is a timestamp, not counted
  EXPECT_EQ(family_value(e, "ok"), 15.0);
  EXPECT_EQ(family_value(e, "ok_total", "reason", "stop"), 10.0);
  EXPECT_EQ(family_value(e, "ok_total", "reason", "abort"), std::nullopt);
  EXPECT_EQ(family_value(e, "running"), 7.0);
  EXPECT_EQ(family_value(e, "running", "engine", "1"), 4.0);
  EXPECT_EQ(family_value(e, "h"), std::nullopt);
  EXPECT_EQ(family_value(e, "empty"), std::nullopt);
  EXPECT_EQ(family_value(e, "absent"), std::nullopt);
  EXPECT_EQ(family_value(e, "bare_counter_like"), 7.0);  // untyped
}

// A hostile server's bytes quoted in an error reach a terminal: an escape sequence is shown as
// text, never passed on.
TEST(ExpositionErrors, QuoteControlCharactersAsText) {
  const auto parsed = parse_exposition("x\x1b[2J 1\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message.find('\x1b'), std::string::npos) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("\\x1b[2J"), std::string::npos) << parsed.error().message;
  const auto tab = parse_exposition("x 1 2 3\x07\n");
  ASSERT_FALSE(tab);
  EXPECT_EQ(tab.error().message.find('\x07'), std::string::npos) << tab.error().message;
}

TEST(MetricType, Names) {
  EXPECT_EQ(to_string(MetricType::kUntyped), "untyped");
  EXPECT_EQ(to_string(MetricType::kCounter), "counter");
  EXPECT_EQ(to_string(MetricType::kGauge), "gauge");
  EXPECT_EQ(to_string(MetricType::kHistogram), "histogram");
  EXPECT_EQ(to_string(MetricType::kSummary), "summary");
  EXPECT_EQ(to_string(MetricType::kInfo), "info");
  EXPECT_EQ(to_string(MetricType::kStateSet), "stateset");
  EXPECT_EQ(to_string(MetricType::kGaugeHistogram), "gaugehistogram");
}

}  // namespace
}  // namespace llmbench::monitor
