// The engines' /metrics pages as the simulator serves them, read back with plain string
// parsing (no monitor/ code, so that a scraper is checked against a second reading): that the
// histograms count what the simulator did, that the gauges follow its state while streams
// run, and each engine's number formats.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sim/served_metrics.h"
#include "sim/sim_server.h"
#include "sim/test_support.h"

namespace llmbench::sim {
namespace {

using test_support::connect_to;
using test_support::Server;

using std::chrono::milliseconds;
using std::chrono::steady_clock;

void send_all(int fd, const std::string& bytes) {
  if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
    throw std::runtime_error("short write");
}

// Everything until the simulator closes (each request here says Connection: close).
std::string read_to_eof(int fd, milliseconds timeout = milliseconds(10'000)) {
  std::string out;
  const auto deadline = steady_clock::now() + timeout;
  char buffer[65536];
  while (steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

// Opens a connection and sends one streamed /v1/completions request for `max_tokens` tokens
// (the prompt "hi" is 2 tokens as the simulator counts them).
int start_completion(std::uint16_t port, int max_tokens, bool stream = true) {
  const std::string body = R"({"model":"llmbench-sim","prompt":"hi","max_tokens":)" +
                           std::to_string(max_tokens) + (stream ? R"(,"stream":true})" : "}");
  const int fd = connect_to(port);
  if (fd < 0) throw std::runtime_error("cannot connect to the simulator");
  send_all(fd,
           "POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
           "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
  return fd;
}

// `count` concurrent completions, each read to its end.
void run_completions(std::uint16_t port, int count, int max_tokens, bool stream = true) {
  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) fds.push_back(start_completion(port, max_tokens, stream));
  for (const int fd : fds) {
    const std::string response = read_to_eof(fd);
    ::close(fd);
    ASSERT_EQ(response.rfind("HTTP/1.1 200", 0), 0U) << response.substr(0, 300);
  }
}

struct Response {
  std::string head;
  std::string body;
};

Response get(std::uint16_t port, const std::string& path) {
  const int fd = connect_to(port);
  if (fd < 0) throw std::runtime_error("cannot connect to the simulator");
  send_all(fd, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string raw = read_to_eof(fd);
  ::close(fd);
  const std::size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) throw std::runtime_error("no HTTP head: " + raw);
  return {raw.substr(0, end + 2), raw.substr(end + 4)};
}

std::string scrape(std::uint16_t port) {
  Response r = get(port, "/metrics");
  if (r.head.rfind("HTTP/1.1 200", 0) != 0) throw std::runtime_error("scrape: " + r.head);
  return std::move(r.body);
}

// The value of the sample written exactly as `series` (name and labels), NaN when absent.
double value_of(const std::string& page, const std::string& series) {
  const std::string key = series + " ";
  for (std::size_t at = 0; at < page.size();) {
    const std::size_t eol = std::min(page.find('\n', at), page.size());
    if (page.compare(at, key.size(), key) == 0)
      return std::stod(page.substr(at + key.size(), eol - at - key.size()));
    at = eol + 1;
  }
  return std::nan("");
}

bool contains(const std::string& page, const std::string& text) {
  return page.find(text) != std::string::npos;
}

// Checks histogram `name` (its `_count` and `_sum` carry `labels`): the buckets cumulative and
// non-decreasing, the last one +Inf equal to `_count`, and `_count` == `expected_count`.
// Returns the mean (`_sum` / `_count`), in seconds for a time.
double check_histogram(const std::string& page, const std::string& name, const std::string& labels,
                       double expected_count) {
  const double count = value_of(page, name + "_count" + labels);
  EXPECT_EQ(count, expected_count) << name << "\n" << page;
  std::vector<std::pair<std::string, double>> buckets;
  const std::string prefix = name + "_bucket{";
  for (std::size_t at = 0; at < page.size();) {
    const std::size_t eol = std::min(page.find('\n', at), page.size());
    const std::string line = page.substr(at, eol - at);
    at = eol + 1;
    if (line.rfind(prefix, 0) != 0) continue;
    const std::size_t le = line.find("le=\"");
    const std::size_t le_end = line.find('"', le + 4);
    const std::size_t space = line.rfind(' ');
    if (le == std::string::npos || le_end == std::string::npos || space == std::string::npos) {
      ADD_FAILURE() << "bad bucket line: " << line;
      return 0;
    }
    buckets.emplace_back(line.substr(le + 4, le_end - le - 4), std::stod(line.substr(space + 1)));
  }
  EXPECT_GE(buckets.size(), 2U) << name;
  if (buckets.empty()) return 0;
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_LE(buckets[i - 1].second, buckets[i].second) << name << " le=" << buckets[i].first;
    if (buckets[i].first != "+Inf") {
      EXPECT_LT(std::stod(buckets[i - 1].first), std::stod(buckets[i].first)) << name;
    }
  }
  EXPECT_EQ(buckets.back().first, "+Inf") << name;
  EXPECT_EQ(buckets.back().second, count) << name;
  return value_of(page, name + "_sum" + labels) / count;
}

SimOptions script(Dialect dialect) {
  SimOptions o;
  o.dialect = dialect;
  o.ttft = milliseconds(50);
  o.itl = milliseconds(5);
  return o;
}

constexpr int kRequests = 6;
constexpr int kTokens = 8;
constexpr double kPromptTokens = 2;  // "hi": BOS and one word

const std::string kVllmLabels = R"({engine="0",model_name="llmbench-sim"})";
const std::string kSglangLabels = R"({model_name="llmbench-sim"})";

TEST(SimMetrics, NumberFormatsAreTheExporters) {
  EXPECT_EQ(python_float(12), "12.0");
  EXPECT_EQ(python_float(0), "0.0");
  EXPECT_EQ(python_float(0.41), "0.41");
  EXPECT_EQ(python_float(51234), "51234.0");
  EXPECT_EQ(python_float(8128902), "8.128902e+06");
  EXPECT_EQ(python_float(1740823012.5), "1.7408230125e+09");
  EXPECT_EQ(python_float(1e-05), "1e-05");
  EXPECT_EQ(python_float(2560), "2560.0");
  EXPECT_EQ(rust_float(0.0001 * 1.5), "0.00015000000000000001");
  EXPECT_EQ(rust_float(3), "3");
  EXPECT_EQ(rust_float(1e-07), "0.0000001");
}

TEST(SimMetrics, VllmCountsWhatTheSimulatorDid) {
  const Server server(script(Dialect::kVllm));
  run_completions(server.port(), kRequests, kTokens);
  const std::string page = scrape(server.port());
  const double ttft =
      check_histogram(page, "vllm:time_to_first_token_seconds", kVllmLabels, kRequests);
  EXPECT_GE(ttft, 0.045);
  EXPECT_LE(ttft, 0.080);
  // One observation per gap between the frames of a request.
  const double itl = check_histogram(page, "vllm:inter_token_latency_seconds", kVllmLabels,
                                     kRequests * (kTokens - 1));
  EXPECT_GE(itl, 0.003);
  EXPECT_LE(itl, 0.030);
  const double e2e =
      check_histogram(page, "vllm:e2e_request_latency_seconds", kVllmLabels, kRequests);
  EXPECT_GE(e2e, 0.045 + 0.004 * (kTokens - 1));
  check_histogram(page, "vllm:request_queue_time_seconds", kVllmLabels, kRequests);
  EXPECT_EQ(value_of(page, "vllm:generation_tokens_total" + kVllmLabels),
            static_cast<double>(server.counters().tokens));
  EXPECT_EQ(value_of(page, "vllm:generation_tokens_total" + kVllmLabels), kRequests * kTokens);
  EXPECT_EQ(value_of(page, "vllm:prompt_tokens_total" + kVllmLabels), kRequests * kPromptTokens);
  EXPECT_EQ(value_of(page, "vllm:prefix_cache_queries_total" + kVllmLabels),
            kRequests * kPromptTokens);
  EXPECT_EQ(value_of(page, "vllm:prefix_cache_hits_total" + kVllmLabels), 0);
  EXPECT_EQ(value_of(page, "vllm:num_preemptions_total" + kVllmLabels), 0);
  EXPECT_EQ(value_of(page, R"(vllm:request_success_total{engine="0",finished_reason="length",)"
                           R"(model_name="llmbench-sim"})"),
            kRequests);
  EXPECT_EQ(value_of(page, R"(vllm:request_success_total{engine="0",finished_reason="stop",)"
                           R"(model_name="llmbench-sim"})"),
            0);
  EXPECT_EQ(value_of(page, "vllm:num_requests_running" + kVllmLabels), 0);
  EXPECT_EQ(value_of(page, "vllm:num_requests_waiting" + kVllmLabels), 0);
  EXPECT_EQ(value_of(page, "vllm:kv_cache_usage_perc" + kVllmLabels), 0);
  // prometheus_client's shape: HELP and TYPE with the `_total` name, a `_created` series.
  EXPECT_TRUE(contains(page, "# TYPE vllm:generation_tokens_total counter\n")) << page;
  EXPECT_TRUE(contains(page, "\nvllm:generation_tokens_created" + kVllmLabels + " ")) << page;
  EXPECT_TRUE(contains(page, R"(vllm:time_to_first_token_seconds_bucket{engine="0",le="0.04",)"
                             R"(model_name="llmbench-sim"})"))
      << page;
  EXPECT_EQ(server.counters().scrapes, 1U);
}

TEST(SimMetrics, SglangCountsWhatTheSimulatorDid) {
  const Server server(script(Dialect::kSglang));
  run_completions(server.port(), kRequests, kTokens);
  const std::string page = scrape(server.port());
  const double ttft =
      check_histogram(page, "sglang:time_to_first_token_seconds", kSglangLabels, kRequests);
  EXPECT_GE(ttft, 0.045);
  EXPECT_LE(ttft, 0.080);
  const double itl = check_histogram(page, "sglang:inter_token_latency_seconds", kSglangLabels,
                                     kRequests * (kTokens - 1));
  EXPECT_GE(itl, 0.003);
  EXPECT_LE(itl, 0.030);
  check_histogram(page, "sglang:e2e_request_latency_seconds", kSglangLabels, kRequests);
  EXPECT_EQ(value_of(page, "sglang:generation_tokens_total" + kSglangLabels),
            static_cast<double>(server.counters().tokens));
  EXPECT_EQ(value_of(page, "sglang:generation_tokens_total" + kSglangLabels), kRequests * kTokens);
  EXPECT_EQ(value_of(page, "sglang:prompt_tokens_total" + kSglangLabels),
            kRequests * kPromptTokens);
  EXPECT_EQ(value_of(page, "sglang:num_requests_total" + kSglangLabels), kRequests);
  EXPECT_EQ(value_of(page, "sglang:cache_hit_rate" + kSglangLabels), 0);
  EXPECT_EQ(value_of(page, "sglang:token_usage" + kSglangLabels), 0);
  EXPECT_FALSE(contains(page, "_created")) << "multiprocess mode writes none";
  EXPECT_TRUE(contains(page, "# HELP sglang:token_usage The token usage.\n")) << page;
}

TEST(SimMetrics, TgiCountsWhatTheSimulatorDid) {
  const Server server(script(Dialect::kTgi));
  run_completions(server.port(), kRequests, kTokens);
  const std::string page = scrape(server.port());
  const double e2e = check_histogram(page, "tgi_request_duration", "", kRequests);
  EXPECT_GE(e2e, 0.045 + 0.004 * (kTokens - 1));
  EXPECT_LE(e2e, 0.250);
  check_histogram(page, "tgi_request_queue_duration", "", kRequests);
  const double per_token =
      check_histogram(page, "tgi_request_mean_time_per_token_duration", "", kRequests);
  EXPECT_GE(per_token, (0.045 + 0.004 * (kTokens - 1)) / kTokens);
  check_histogram(page, "tgi_request_generated_tokens", "", kRequests);
  EXPECT_EQ(value_of(page, "tgi_request_generated_tokens_sum"),
            static_cast<double>(server.counters().tokens));
  EXPECT_EQ(value_of(page, "tgi_request_generated_tokens_sum"), kRequests * kTokens);
  EXPECT_EQ(value_of(page, "tgi_request_count"), kRequests);
  EXPECT_EQ(value_of(page, "tgi_request_success"), kRequests);
  EXPECT_EQ(value_of(page, "tgi_queue_size"), 0);
  EXPECT_EQ(value_of(page, "tgi_batch_current_size"), 0);
  // metrics-exporter-prometheus: no `_total`, 35 duration buckets and +Inf, no TTFT.
  EXPECT_FALSE(contains(page, "_total")) << page;
  EXPECT_FALSE(contains(page, "first_token")) << page;
  EXPECT_TRUE(contains(page, "tgi_request_duration_bucket{le=\"0.00015000000000000001\"} "));
  std::size_t buckets = 0;
  for (std::size_t at = 0;
       (at = page.find("tgi_request_queue_duration_bucket{", at)) != std::string::npos; ++at) {
    ++buckets;
  }
  EXPECT_EQ(buckets, 36U);
}

TEST(SimMetrics, LlamaCppCountsWhatTheSimulatorDid) {
  const Server server(script(Dialect::kLlamaCpp));
  run_completions(server.port(), kRequests, kTokens);
  const std::string page = scrape(server.port());
  EXPECT_EQ(value_of(page, "llamacpp:tokens_predicted_total"),
            static_cast<double>(server.counters().tokens));
  EXPECT_EQ(value_of(page, "llamacpp:tokens_predicted_total"), kRequests * kTokens);
  EXPECT_EQ(value_of(page, "llamacpp:prompt_tokens_total"), kRequests * kPromptTokens);
  // The prompt is timed from the slot to the first token: the script's TTFT each.
  const double prompt_seconds = value_of(page, "llamacpp:prompt_seconds_total");
  EXPECT_GE(prompt_seconds, kRequests * 0.045);
  EXPECT_LE(prompt_seconds, kRequests * 0.080);
  EXPECT_GE(value_of(page, "llamacpp:tokens_predicted_seconds_total"),
            kRequests * 0.004 * (kTokens - 1));
  EXPECT_EQ(value_of(page, "llamacpp:n_decode_total"), kRequests * kTokens);
  EXPECT_EQ(value_of(page, "llamacpp:requests_processing"), 0);
  EXPECT_EQ(value_of(page, "llamacpp:requests_deferred"), 0);
  EXPECT_FALSE(contains(page, "_bucket")) << "llama-server has no histograms";
  EXPECT_FALSE(contains(page, "kv_cache")) << "removed from current builds";
}

// Tokens in frames of two: vLLM observes one interval a frame, SGLang two of half of it.
TEST(SimMetrics, MultiTokenFramesAreObservedAsEachEngineDoes) {
  constexpr int kFramesOfTwo = kTokens / 2;
  for (const Dialect dialect : {Dialect::kVllm, Dialect::kSglang}) {
    SimOptions o = script(dialect);
    o.tokens_per_chunk = 2;
    const Server server(o);
    run_completions(server.port(), 2, kTokens);
    const std::string page = scrape(server.port());
    if (dialect == Dialect::kVllm) {
      const double itl = check_histogram(page, "vllm:inter_token_latency_seconds", kVllmLabels,
                                         2 * (kFramesOfTwo - 1));
      EXPECT_GE(itl, 2 * 0.003);
    } else {
      const double itl = check_histogram(page, "sglang:inter_token_latency_seconds", kSglangLabels,
                                         2 * (kTokens - 2));
      EXPECT_GE(itl, 0.003);
      EXPECT_LE(itl, 0.030);
    }
  }
}

TEST(SimMetrics, NonStreamedRequestsAreCountedAtTheirScheduledTokens) {
  const Server server(script(Dialect::kVllm));
  run_completions(server.port(), 2, kTokens, /*stream=*/false);
  const std::string page = scrape(server.port());
  const double ttft = check_histogram(page, "vllm:time_to_first_token_seconds", kVllmLabels, 2);
  EXPECT_GE(ttft, 0.045);
  EXPECT_LE(ttft, 0.080);
  check_histogram(page, "vllm:inter_token_latency_seconds", kVllmLabels, 2 * (kTokens - 1));
  EXPECT_EQ(value_of(page, "vllm:generation_tokens_total" + kVllmLabels), 2 * kTokens);
  EXPECT_EQ(value_of(page, "vllm:kv_cache_usage_perc" + kVllmLabels), 0);
}

// The gauges of one engine, as written with its labels.
struct Gauges {
  Dialect dialect;
  std::string running, waiting, kv;  // kv empty: the engine has no KV gauge
};

class SimMetricsGauges : public ::testing::TestWithParam<Gauges> {};

// With two slots, six streams: two run, four wait, their prompts and tokens hold KV; when
// they are done, nothing.
TEST_P(SimMetricsGauges, FollowTheSlotsAndTheKvCache) {
  const Gauges& gauges = GetParam();
  SimOptions o = script(gauges.dialect);
  o.max_batch = 2;
  o.kv_cache_tokens = 1000;
  constexpr int kLongTokens = 30;  // ~200 ms a request: the first two stream that long
  const Server server(o);
  std::vector<int> fds;
  fds.reserve(kRequests);
  for (int i = 0; i < kRequests; ++i) fds.push_back(start_completion(server.port(), kLongTokens));

  bool seen = false;
  std::string page;
  const auto deadline = steady_clock::now() + milliseconds(3000);
  while (!seen && steady_clock::now() < deadline) {
    page = scrape(server.port());
    seen = value_of(page, gauges.running) == 2 && value_of(page, gauges.waiting) == 4;
    if (!seen) std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_TRUE(seen) << page;
  if (!gauges.kv.empty()) {
    // Two prompts of two tokens, and at most all of the two streams' tokens.
    const double kv = value_of(page, gauges.kv);
    EXPECT_GE(kv, 2 * kPromptTokens / 1000) << page;
    EXPECT_LE(kv, 2 * (kPromptTokens + kLongTokens) / 1000) << page;
  }
  for (const int fd : fds) {
    const std::string response = read_to_eof(fd);
    ::close(fd);
    EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0U) << response.substr(0, 200);
  }
  page = scrape(server.port());
  EXPECT_EQ(value_of(page, gauges.running), 0) << page;
  EXPECT_EQ(value_of(page, gauges.waiting), 0) << page;
  if (!gauges.kv.empty()) {
    EXPECT_EQ(value_of(page, gauges.kv), 0) << page;
  }
  EXPECT_EQ(server.counters().tokens, std::uint64_t{kRequests} * kLongTokens);
}

INSTANTIATE_TEST_SUITE_P(
    Engines, SimMetricsGauges,
    ::testing::Values(Gauges{Dialect::kVllm, "vllm:num_requests_running" + kVllmLabels,
                             "vllm:num_requests_waiting" + kVllmLabels,
                             "vllm:kv_cache_usage_perc" + kVllmLabels},
                      Gauges{Dialect::kSglang, "sglang:num_running_reqs" + kSglangLabels,
                             "sglang:num_queue_reqs" + kSglangLabels,
                             "sglang:token_usage" + kSglangLabels},
                      Gauges{Dialect::kTgi, "tgi_batch_current_size", "tgi_queue_size", ""},
                      Gauges{Dialect::kLlamaCpp, "llamacpp:requests_processing",
                             "llamacpp:requests_deferred", ""}),
    [](const ::testing::TestParamInfo<Gauges>& param) {
      return std::string(to_string(param.param.dialect));
    });

// llama-server's two throughput gauges cover the time since the previous scrape.
TEST(SimMetrics, LlamaCppThroughputGaugesResetOnScrape) {
  const Server server(script(Dialect::kLlamaCpp));
  run_completions(server.port(), 2, kTokens);
  const std::string first = scrape(server.port());
  // 8 tokens a request, decoded over its 7 gaps of 5 ms (at most: a late write is slower).
  const double predicted = value_of(first, "llamacpp:predicted_tokens_seconds");
  EXPECT_GT(predicted, 50);
  EXPECT_LE(predicted, kTokens / (0.004 * (kTokens - 1)));
  EXPECT_GT(value_of(first, "llamacpp:prompt_tokens_seconds"), 0);

  const std::string second = scrape(server.port());
  EXPECT_EQ(value_of(second, "llamacpp:predicted_tokens_seconds"), 0) << second;
  EXPECT_EQ(value_of(second, "llamacpp:prompt_tokens_seconds"), 0) << second;
  EXPECT_EQ(value_of(second, "llamacpp:tokens_predicted_total"), 2 * kTokens) << "cumulative";

  run_completions(server.port(), 1, kTokens);
  const std::string third = scrape(server.port());
  EXPECT_GT(value_of(third, "llamacpp:predicted_tokens_seconds"), 50);
  EXPECT_EQ(value_of(third, "llamacpp:tokens_predicted_total"), 3 * kTokens);
}

TEST(SimMetrics, GenericOpenAiAndOllamaHaveNoMetrics) {
  for (const Dialect dialect : {Dialect::kOpenAi, Dialect::kOllama}) {
    const Server server(script(dialect));
    const Response r = get(server.port(), "/metrics");
    EXPECT_EQ(r.head.rfind("HTTP/1.1 404", 0), 0U) << to_string(dialect) << "\n" << r.head;
    EXPECT_EQ(server.counters().scrapes, 0U);
    // The simulator's own report stays available on a route of its own.
    const Response own = get(server.port(), "/sim/metrics");
    EXPECT_EQ(own.head.rfind("HTTP/1.1 200", 0), 0U) << own.head;
    EXPECT_TRUE(contains(own.body, "\nllmbench_sim_requests_total 0\n")) << own.body;
  }
}

TEST(SimMetrics, OllamaPsShowsTheModelInVram) {
  const Server server(script(Dialect::kOllama));
  const Response r = get(server.port(), "/api/ps");
  EXPECT_EQ(r.head.rfind("HTTP/1.1 200", 0), 0U) << r.head;
  EXPECT_TRUE(contains(r.body, R"("size":2019393189)")) << r.body;
  EXPECT_TRUE(contains(r.body, R"("size_vram":2019393189)")) << r.body;
}

TEST(SimMetrics, PagesHaveThePrometheusContentType) {
  const Server server(script(Dialect::kVllm));
  const Response r = get(server.port(), "/metrics");
  EXPECT_TRUE(contains(r.head, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
      << r.head;
}

}  // namespace
}  // namespace llmbench::sim
