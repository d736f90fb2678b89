#pragma once
// A canned-response HTTP server for the benchmark programs: every request on a connection
// gets the same pre-rendered bytes, in one write, as soon as its head and body arrived. It
// costs next to nothing, so what a benchmark measures is llmbench's client.

#include <fmt/format.h>

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

namespace llmbench::bench {

namespace asio = boost::asio;
using asio::ip::tcp;

inline constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

inline std::string chunk(const std::string& payload) {
  return fmt::format("{:x}\r\n{}\r\n", payload.size(), payload);
}

inline std::string streamed_response(int frames) {
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

inline std::string plain_response(int tokens) {
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
inline asio::awaitable<void> serve(tcp::socket socket, const std::string& response) {
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

inline asio::awaitable<void> accept(tcp::acceptor& acceptor, const std::string& response) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) co_return;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), response), asio::detached);
  }
}

// The server on its own thread, on a free loopback port, for the object's lifetime.
class CannedServer {
 public:
  explicit CannedServer(std::string response) : response_(std::move(response)) {
    asio::co_spawn(io_, accept(acceptor_, response_), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~CannedServer() {
    io_.stop();
    thread_.join();
  }
  [[nodiscard]] std::string url() const {
    return fmt::format("http://127.0.0.1:{}", acceptor_.local_endpoint().port());
  }

 private:
  std::string response_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::thread thread_;
};

}  // namespace llmbench::bench
