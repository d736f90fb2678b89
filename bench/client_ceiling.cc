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

#include "engines/openai.h"
#include "runner/runner.h"
#include "workload/workload.h"

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace llmbench;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string chunk(const std::string& payload) {
  return fmt::format("{:x}\r\n{}\r\n", payload.size(), payload);
}

std::string streamed_response(int frames) {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body;
  for (int i = 0; i < frames; ++i) {
    body += fmt::format(
        "data: {{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
        "\"choices\":[{{\"index\":0,\"text\":\" "
        "tok{}\",\"logprobs\":null,\"finish_reason\":{}}}]}}\n\n",
        i % 10, i + 1 == frames ? "\"length\"" : "null");
    if (body.size() > 16000) {  // servers flush in chunks of a few KB
      out += chunk(body);
      body.clear();
    }
  }
  body += fmt::format(
      "data: {{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
      "\"choices\":[],\"usage\":{{\"prompt_tokens\":16,\"completion_tokens\":{},\"total_tokens\":{}"
      "}}}}\n\n"
      "data: [DONE]\n\n",
      frames, frames + 16);
  out += chunk(body);
  out += "0\r\n\r\n";
  return out;
}

std::string plain_response(int tokens) {
  std::string text;
  for (int i = 0; i < tokens; ++i) text += " tok";
  const std::string body = fmt::format(
      "{{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{{\"index\":0,\"text\":\"{}\",\"logprobs\":null,\"finish_reason\":\"length\"}}]"
      ","
      "\"usage\":{{\"prompt_tokens\":16,\"completion_tokens\":{},\"total_tokens\":{}}}}}",
      text, tokens, tokens + 16);
  return fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
      body.size(), body);
}

// Answers every request on a connection with the same bytes, as soon as its head and body
// have arrived.
asio::awaitable<void> serve(tcp::socket socket, const std::string& response) {
  std::string buffer;
  char scratch[16384];
  for (;;) {
    std::size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(scratch), kTuple);
      if (ec) co_return;
      buffer.append(scratch, n);
    }
    std::size_t length = 0;
    if (auto at = buffer.find("Content-Length: "); at != std::string::npos && at < head_end) {
      length = std::strtoul(buffer.c_str() + at + 16, nullptr, 10);
    }
    while (buffer.size() < head_end + 4 + length) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(scratch), kTuple);
      if (ec) co_return;
      buffer.append(scratch, n);
    }
    buffer.erase(0, head_end + 4 + length);
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(response), kTuple);
    if (ec) co_return;
  }
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, const std::string& response) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) co_return;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), response), asio::detached);
  }
}

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
  asio::io_context server_io{1};
  tcp::acceptor acceptor(server_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::co_spawn(server_io, accept(acceptor, response), asio::detached);
  std::thread server([&] { server_io.run(); });

  runner::RunOptions options;
  options.url =
      *net::parse_url(fmt::format("http://127.0.0.1:{}", acceptor.local_endpoint().port()));
  options.concurrency = concurrency;
  options.requests = requests;
  options.threads = 1;  // the ceiling of ONE client thread
  engines::OpenAiEngine engine(engines::OpenAiOptions{});
  workload::SyntheticOptions wo;
  wo.model = "m";
  wo.prompt_tokens = 16;
  wo.max_tokens = stream ? 1000 : 8;
  wo.stream = stream;
  workload::SyntheticWorkload workload(wo);
  CountingSink sink;
  SteadyClockSource clock;
  runner::Runner runner(options, engine, workload, sink, clock);
  const auto times = runner.run();
  server_io.stop();
  server.join();
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
  const std::string streamed = streamed_response(1000);
  const std::string plain = plain_response(8);

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
