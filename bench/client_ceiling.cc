// Client ceiling: how fast llmbench's client can go when the server costs nothing.
//
// A canned-response server (pre-rendered bytes, one write per request) runs on its own
// thread; the real runner, transport, SSE decoder and OpenAI adapter run on ONE client
// thread against it. Two scenarios:
//   streamed:     1000 SSE frames per response  -> tokens/s
//   non-streamed: 8 tokens in one JSON body     -> requests/s
// Each is repeated and the median reported, since this machine is shared and noisy.

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "canned_server.h"
#include "engines/openai.h"
#include "runner/runner.h"
#include "workload/workload.h"

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace llmbench;

namespace {

struct Measurement {
  double seconds;
  std::uint64_t requests;
  std::uint64_t token_events;
  std::uint64_t failed;
};

class CountingSink final : public RecordSink {
 public:
  void consume(RequestRecord&& r) override {
    ++requests;
    events += r.events.size();
    if (!r.ok()) ++failed;
  }
  std::uint64_t requests = 0, events = 0, failed = 0;
};

Measurement measure(const std::string& response, bool stream, std::uint64_t requests,
                    int concurrency) {
  bench::CannedServer server(response);

  runner::RunOptions options;
  options.url = *net::parse_url(server.url());
  options.concurrency = concurrency;
  options.requests = requests;
  options.threads = 1;  // the ceiling of ONE client thread
  engines::OpenAiEngine engine(engines::OpenAiOptions{});
  workload::SyntheticOptions wo;
  wo.model = "m";
  wo.prompt_tokens = workload::fixed_length(16);
  wo.max_tokens = workload::fixed_length(stream ? 1000 : 8);
  wo.stream = stream;
  workload::SyntheticWorkload workload(wo, workload::estimated_calibration());
  CountingSink sink;
  SteadyClockSource clock;
  runner::Runner runner(options, engine, workload, sink, clock);
  const auto times = runner.run();
  const double seconds = to_seconds(times->finished - times->started);
  return {seconds, sink.requests, sink.events, sink.failed};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
  const std::string streamed = bench::streamed_response(1000);
  const std::string plain = bench::plain_response(8);

  std::vector<double> tokens_per_s, stream_req_per_s, req_per_s;
  for (int i = 0; i < repeats; ++i) {
    const Measurement s = measure(streamed, true, 2000, 16);
    const Measurement p = measure(plain, false, 100000, 32);
    if (s.failed || p.failed) {
      fmt::print(stderr, "failures: streamed {}, non-streamed {}\n", s.failed, p.failed);
      return 1;
    }
    tokens_per_s.push_back(static_cast<double>(s.token_events) / s.seconds);
    stream_req_per_s.push_back(static_cast<double>(s.requests) / s.seconds);
    req_per_s.push_back(static_cast<double>(p.requests) / p.seconds);
    fmt::print("run {}: streamed {:>10.0f} tokens/s ({:.0f} req/s) | non-streamed {:>8.0f} req/s\n",
               i + 1, tokens_per_s.back(), stream_req_per_s.back(), req_per_s.back());
  }
  fmt::print("\nclient ceiling, one client thread, median of {} runs:\n", repeats);
  fmt::print("  streamed (1000 frames/response):   {:>10.0f} tokens/s   (target >= 1,000,000)\n",
             median(tokens_per_s));
  fmt::print("  non-streamed (8 tokens/response):  {:>10.0f} requests/s (target >= 20,000)\n",
             median(req_per_s));
  return 0;
}
