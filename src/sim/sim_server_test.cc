// The simulator's faults (--fault) and its own resource bounds, on raw sockets: the bytes
// each fault puts on the wire, the picking of faults by their rates, and that a request for
// millions of tokens takes no memory per token. (tests/fault_test.cc runs llmbench against
// each fault end to end.)

#include "sim/sim_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "sim/test_support.h"

namespace llmbench::sim {
namespace {

using test_support::connect_to;
using test_support::Server;

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

SimOptions fast(Fault fault = Fault::kNone) {
  SimOptions o;
  o.ttft = milliseconds(1);
  o.itl = milliseconds(1);
  o.fault = fault;
  return o;
}

// A connected socket, or -1 (refused).
void send_generation(int fd, const std::string& body, bool close = false) {
  const std::string request = std::string("POST /v1/completions HTTP/1.1\r\nHost: x\r\n") +
                              (close ? "Connection: close\r\n" : "") +
                              "Content-Type: application/json\r\n"
                              "Content-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
}

std::string completion(int max_tokens, bool stream = true) {
  return R"({"model":"llmbench-sim","prompt":"hi","max_tokens":)" + std::to_string(max_tokens) +
         (stream ? R"(,"stream":true})" : "}");
}

struct Read {
  std::string bytes;
  int error = 0;     // errno of the read that ended it (ECONNRESET), 0 at EOF or the limit
  bool eof = false;  // the peer closed (FIN)
};

// Reads until EOF, an error, `limit` bytes, `until` appears or `timeout` passes.
Read read_all(int fd, std::size_t limit = 1 << 20, std::string_view until = {},
              milliseconds timeout = milliseconds(5000)) {
  Read r;
  const auto deadline = steady_clock::now() + timeout;
  char buffer[65536];
  while (r.bytes.size() < limit && steady_clock::now() < deadline) {
    if (!until.empty() && r.bytes.find(until) != std::string::npos) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) {
      r.eof = true;
      break;
    }
    if (n < 0) {
      r.error = errno;
      break;
    }
    r.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  return r;
}

// The chunk payloads of a chunked body (after the head), as far as they are complete.
std::vector<std::string> chunks(const std::string& raw) {
  std::vector<std::string> out;
  std::size_t at = raw.find("\r\n\r\n");
  if (at == std::string::npos) return out;
  at += 4;
  for (;;) {
    const std::size_t eol = raw.find("\r\n", at);
    if (eol == std::string::npos) return out;
    const std::size_t size = std::stoul(raw.substr(at, eol - at), nullptr, 16);
    if (size == 0 || eol + 2 + size + 2 > raw.size()) return out;
    out.push_back(raw.substr(eol + 2, size));
    at = eol + 2 + size + 2;
  }
}

// Resident memory of this process now, in bytes.
std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

TEST(SimFaults, NamesRatesAndAliases) {
  EXPECT_EQ(*parse_fault("reset"), Fault::kResetMidStream);
  EXPECT_EQ(*parse_fault("stall"), Fault::kStallMidStream);
  EXPECT_EQ(*parse_fault("429"), Fault::kRateLimit);
  EXPECT_EQ(*parse_fault("503"), Fault::kUnavailable);
  EXPECT_EQ(*parse_fault("malformed-frame"), Fault::kMalformedFrame);
  for (std::size_t k = 0; k < kFaultKinds; ++k) {
    const auto fault = static_cast<Fault>(k);
    EXPECT_EQ(*parse_fault(to_string(fault)), fault) << to_string(fault);
  }
  auto f = parse_fault_rate("reset-mid-stream:0.25", 1);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fault, Fault::kResetMidStream);
  EXPECT_DOUBLE_EQ(f->rate, 0.25);
  EXPECT_DOUBLE_EQ(parse_fault_rate("keepalive-flood", 0.5)->rate, 0.5);
  for (const char* bad : {"reset:", "reset:1.5", "reset:-0.1", "reset:nan", "reset:0.5x"}) {
    auto e = parse_fault_rate(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_NE(e.error().message.find("[0, 1]"), std::string::npos) << e.error().message;
  }
  auto unknown = parse_fault("resett");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("listener-down"), std::string::npos);
}

// Regression (issue 10, class 4): one request for 1e9 tokens took 3-5 GB (the whole schedule
// was drawn up front, 8 bytes a token). Above kMaxTokensLimit it is refused.
TEST(SimBounds, MaxTokensAboveTheLimitIsRefused) {
  const Server server(fast());
  const int fd = connect_to(server.port());
  ASSERT_GE(fd, 0);
  send_generation(fd, completion(1'000'000'000));
  const Read r = read_all(fd, 1 << 16, "}}");
  ::close(fd);
  EXPECT_EQ(r.bytes.rfind("HTTP/1.1 400", 0), 0u) << r.bytes;
  EXPECT_NE(r.bytes.find("max_tokens 1000000000 is above the simulator's limit of 10000000"),
            std::string::npos)
      << r.bytes;
}

// Regression (issue 10, class 4): a stream of kMaxTokensLimit tokens draws its schedule as
// the tokens come due: its memory does not grow with max_tokens (80 MB before, here).
TEST(SimBounds, LongStreamTakesNoMemoryPerToken) {
  const Server server(fast());
  const std::size_t before = resident_bytes();
  const int fd = connect_to(server.port());
  ASSERT_GE(fd, 0);
  send_generation(fd, completion(static_cast<int>(kMaxTokensLimit)));
  const Read r = read_all(fd, 1 << 20, "\"text\":\" brown\"");
  ASSERT_NE(r.bytes.find("\"text\":\" brown\""), std::string::npos) << r.bytes.substr(0, 400);
  const std::size_t during = resident_bytes();  // the stream is alive
  ::close(fd);
  EXPECT_LT(during, before + std::size_t{32} * 1024 * 1024)
      << "before " << before << " B, during " << during << " B";
}

TEST(SimFaults, ResetBeforeHeadersSendsNoByte) {
  const Server server(fast(Fault::kResetBeforeHeaders));
  const int fd = connect_to(server.port());
  send_generation(fd, completion(4));
  const Read r = read_all(fd);
  ::close(fd);
  EXPECT_TRUE(r.bytes.empty()) << r.bytes;
  EXPECT_EQ(r.error, ECONNRESET);
  EXPECT_EQ(server.counters().faults_by_kind[static_cast<std::size_t>(Fault::kResetBeforeHeaders)],
            1u);
}

TEST(SimFaults, ResetMidStreamIsAnRstAfterHalfTheTokens) {
  const Server server(fast(Fault::kResetMidStream));
  const int fd = connect_to(server.port());
  send_generation(fd, completion(8));
  const Read r = read_all(fd);
  ::close(fd);
  EXPECT_EQ(r.error, ECONNRESET);
  EXPECT_EQ(chunks(r.bytes).size(), 4u) << r.bytes;
}

TEST(SimFaults, TruncatedChunkEndsInsideAChunk) {
  const Server server(fast(Fault::kTruncatedChunk));
  const int fd = connect_to(server.port());
  send_generation(fd, completion(8));
  const Read r = read_all(fd);
  ::close(fd);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(chunks(r.bytes).size(), 4u);
  // What follows the complete chunks is a size line announcing more than is there.
  const std::size_t last = r.bytes.rfind("\r\ndata: ");
  ASSERT_NE(last, std::string::npos);
  const std::size_t size_line = r.bytes.rfind("\r\n", last - 1);
  const std::size_t announced =
      std::stoul(r.bytes.substr(size_line + 2, last - size_line - 2), nullptr, 16);
  EXPECT_LT(r.bytes.size() - (last + 2), announced) << r.bytes;
}

TEST(SimFaults, InvalidUtf8SplitsACharacterOverFramesThenSendsFF) {
  const Server server(fast(Fault::kInvalidUtf8));
  const int fd = connect_to(server.port());
  send_generation(fd, completion(8));
  const Read r = read_all(fd, 1 << 20, "[DONE]");
  ::close(fd);
  const auto c = chunks(r.bytes);
  ASSERT_EQ(c.size(), 9u) << r.bytes;  // 8 tokens, [DONE]
  EXPECT_NE(c[4].find("\"text\":\"\xE2\x82\""), std::string::npos) << c[4];
  EXPECT_NE(c[5].find("\"text\":\"\xAC\""), std::string::npos) << c[5];
  EXPECT_NE(c[6].find("\"text\":\"\xFF\""), std::string::npos) << c[6];
  EXPECT_NE(c[7].find("\"text\":\" lazy\""), std::string::npos) << c[7];
}

TEST(SimFaults, OversizedFrameIsStreamedNotHeld) {
  const Server server(fast(Fault::kOversizedFrame));
  const std::size_t before = resident_bytes();
  const int fd = connect_to(server.port());
  send_generation(fd, completion(4));
  std::size_t total = 0;
  std::string tail;
  const auto deadline = steady_clock::now() + seconds(60);
  char buffer[65536];
  while (steady_clock::now() < deadline) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
    tail.append(buffer, static_cast<std::size_t>(n));
    if (tail.size() > 4096) tail.erase(0, tail.size() - 4096);
    if (tail.find("[DONE]") != std::string::npos) break;
  }
  const std::size_t after = resident_bytes();
  ::close(fd);
  EXPECT_GT(total, kOversizedFrameBytes);
  EXPECT_NE(tail.find("[DONE]"), std::string::npos) << "the stream goes on after the frame";
  EXPECT_LT(after, before + kOversizedFrameBytes / 2);
}

TEST(SimFaults, WrongContentTypeIsAnHtmlPage) {
  const Server server(fast(Fault::kWrongContentType));
  const int fd = connect_to(server.port());
  send_generation(fd, completion(4));
  const Read r = read_all(fd, 1 << 16, "</html>");
  ::close(fd);
  EXPECT_EQ(r.bytes.rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_NE(r.bytes.find("Content-Type: text/html"), std::string::npos) << r.bytes;
  EXPECT_EQ(r.bytes.find("data:"), std::string::npos);
}

TEST(SimFaults, KeepAliveFloodNeverSendsAToken) {
  const Server server(fast(Fault::kKeepAliveFlood));
  const int fd = connect_to(server.port());
  send_generation(fd, completion(4));
  const Read r = read_all(fd, std::size_t{4} << 20);
  ::close(fd);
  EXPECT_GE(r.bytes.size(), std::size_t{4} << 20) << "as fast as the reader takes them";
  EXPECT_EQ(r.bytes.find("data:"), std::string::npos);
  EXPECT_NE(r.bytes.find(": keep-alive\n"), std::string::npos);
}

TEST(SimFaults, StallBeforeFirstTokenSendsTheHeadOnly) {
  const Server server(fast(Fault::kStallBeforeFirstToken));
  const int fd = connect_to(server.port());
  send_generation(fd, completion(4));
  const Read r = read_all(fd, 1 << 16, {}, milliseconds(500));
  ::close(fd);
  EXPECT_NE(r.bytes.find("\r\n\r\n"), std::string::npos);
  EXPECT_TRUE(chunks(r.bytes).empty()) << r.bytes;
  EXPECT_FALSE(r.eof);
}

TEST(SimFaults, SlowHeadersDribbleTheHead) {
  const Server server(fast(Fault::kSlowHeaders));
  const int fd = connect_to(server.port());
  const auto sent = steady_clock::now();
  send_generation(fd, completion(2));
  const Read first = read_all(fd, 1, {}, seconds(5));
  const auto first_byte = steady_clock::now();
  const Read rest = read_all(fd, 1 << 16, "[DONE]", seconds(20));
  const auto done = steady_clock::now();
  ::close(fd);
  EXPECT_LT(first_byte - sent, seconds(1)) << "the first byte comes at once";
  // ~130 bytes of head at 25 ms each.
  EXPECT_GT(done - first_byte, seconds(2));
  EXPECT_NE(rest.bytes.find("[DONE]"), std::string::npos) << "then the stream runs normally";
  EXPECT_EQ(first.bytes.substr(0, 1), "H");
}

TEST(SimFaults, ListenerDownRefusesConnectionsThenAcceptsAgain) {
  SimOptions o = fast(Fault::kListenerDown);
  o.fault_rate = 1;
  o.listener_down = milliseconds(300);
  const Server server(o);
  const int fd = connect_to(server.port());
  send_generation(fd, completion(2));
  const Read r = read_all(fd);
  ::close(fd);
  EXPECT_EQ(r.error, ECONNRESET);
  EXPECT_EQ(connect_to(server.port()), -1) << "refused while down";
  std::this_thread::sleep_for(milliseconds(600));
  const int again = connect_to(server.port());
  EXPECT_GE(again, 0) << "the listener came back";
  if (again >= 0) ::close(again);
}

TEST(SimFaults, RatesPickEachFaultItsShareDeterministically) {
  const auto run = [] {
    SimOptions o = fast();
    o.seed = 7;
    o.faults = {{Fault::kRateLimit, 0.3}, {Fault::kUnavailable, 0.2}};
    const Server server(o);
    for (int i = 0; i < 200; ++i) {
      const int fd = connect_to(server.port());
      send_generation(fd, completion(1), /*close=*/true);
      read_all(fd);
      ::close(fd);
    }
    return server.counters();
  };
  const SimCounters a = run();
  const SimCounters b = run();
  const auto count = [](const SimCounters& c, Fault f) {
    return c.faults_by_kind[static_cast<std::size_t>(f)];
  };
  EXPECT_NEAR(static_cast<double>(count(a, Fault::kRateLimit)), 60, 20);
  EXPECT_NEAR(static_cast<double>(count(a, Fault::kUnavailable)), 40, 17);
  EXPECT_EQ(a.faults, count(a, Fault::kRateLimit) + count(a, Fault::kUnavailable));
  EXPECT_EQ(count(a, Fault::kRateLimit), count(b, Fault::kRateLimit)) << "same seed, same picks";
  EXPECT_EQ(count(a, Fault::kUnavailable), count(b, Fault::kUnavailable));
}

}  // namespace
}  // namespace llmbench::sim
