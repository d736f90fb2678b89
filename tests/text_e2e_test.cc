// End-to-end: the real binary against a scripted server that sends what a broken or hostile
// engine sends — bytes that are not UTF-8 in token frames, finish reasons and error bodies,
// SSE with lone-CR line ends, token counts outside sense. The run completes and its result is
// valid JSON holding valid text (before, one invalid byte aborted the process at the end and
// the whole run was lost).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"
#include "support/run_llmbench.h"

namespace llmbench {
namespace {

using nlohmann::json;

std::string chunked(const std::string& body) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  return size + body + "\r\n0\r\n\r\n";
}

std::string sse_response(const std::string& events) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
         "Connection: close\r\n\r\n" +
         chunked(events);
}

std::string plain_response(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " Whatever\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// A loopback HTTP server answering one request per connection, in order: POSTs to
// /v1/completions get the scripted responses in turn (cycling), anything else a 404.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> responses) : responses_(std::move(responses)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 64) != 0) {
      throw std::runtime_error("cannot listen");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int completions() const { return completions_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) continue;
      handle(conn);
      ::close(conn);
    }
  }

  // Reads one request (head and Content-Length body) within 5 s, answers, returns.
  void handle(int conn) {
    std::string in;
    std::size_t body_at = std::string::npos, need = 0;
    char buffer[4096];
    while (!stop_) {
      if (body_at == std::string::npos) {
        body_at = in.find("\r\n\r\n");
        if (body_at != std::string::npos) {
          body_at += 4;
          const std::size_t cl = in.find("Content-Length: ");
          need = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
        }
      }
      if (body_at != std::string::npos && in.size() >= body_at + need) break;
      pollfd p{conn, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      const ssize_t n = ::read(conn, buffer, sizeof buffer);
      if (n <= 0) return;
      in.append(buffer, static_cast<std::size_t>(n));
    }
    std::string out;
    if (in.starts_with("POST /v1/completions ")) {
      out = responses_[static_cast<std::size_t>(completions_++) % responses_.size()];
    } else {
      out =
          "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
          "Connection: close\r\n\r\n{}";
    }
    std::size_t sent = 0;
    while (sent < out.size()) {
      const ssize_t n = ::send(conn, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  std::vector<std::string> responses_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> completions_{0};
  std::thread thread_;
};

const std::string kFffd = "\xEF\xBF\xBD";

TEST(HostileText, ARunAgainstAServerSendingInvalidUtf8CompletesWithAValidResult) {
  const std::vector<std::string> responses = {
      // A byte-fallback "€" split over two frames, and a finish reason with a stray byte.
      sse_response("data: {\"choices\":[{\"text\":\"\xE2\x82\"}]}\n\n"
                   "data: {\"choices\":[{\"text\":\"\xAC\"}]}\n\n"
                   "data: {\"choices\":[{\"text\":\"\",\"finish_reason\":\"le\xFFngth\"}]}\n\n"
                   "data: [DONE]\n\n"),
      // Lone-CR line ends, which the SSE specification allows.
      sse_response("data: {\"choices\":[{\"text\":\"a\"}]}\r\rdata: {\"choices\":[{\"text\":"
                   "\"b\",\"finish_reason\":\"stop\"}]}\r\rdata: [DONE]\r\r"),
      // An error body that is not UTF-8.
      plain_response(500, "bad \xC3\x28 state!"),
      // A token count outside sense.
      sse_response("data: {\"choices\":[{\"text\":\"a\",\"finish_reason\":\"stop\"}],"
                   "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":-5}}\n\n"
                   "data: [DONE]\n\n"),
  };
  ScriptedServer server(responses);
  const testing::RunOutcome r = testing::run(
      server.url(), {"--engine", "openai", "--model", "m", "--api", "openai-completions",
                     "--requests", "8", "--concurrency", "1", "--max-tokens", "4", "--timeout",
                     "10s", "--token-counting", "estimate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.result.is_object()) << "no result written: " << r.err;
  const json& requests = r.result["requests"];
  ASSERT_EQ(requests.size(), 8u);
  std::uint64_t invalid = 0;
  int ok = 0, http_5xx = 0, protocol = 0;
  for (const json& q : requests) {
    invalid += q["invalid_utf8_bytes"].get<std::uint64_t>();
    if (q["error"].is_null()) {
      ++ok;
      continue;
    }
    const std::string category = q["error"]["category"];
    const std::string message = q["error"]["message"];
    if (category == "http_5xx") {
      ++http_5xx;
      EXPECT_EQ(message, "HTTP 500: bad " + kFffd + "( state!");
    } else if (category == "protocol") {
      ++protocol;
      EXPECT_NE(message.find("usage.completion_tokens = -5"), std::string::npos) << message;
    } else {
      ADD_FAILURE() << category << ": " << message;
    }
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(http_5xx, 2);
  EXPECT_EQ(protocol, 2);
  // Per round: 2 + 1 bytes of the split "€", 1 in the finish reason, 1 in the error body.
  EXPECT_EQ(invalid, 2u * 5u);
  EXPECT_EQ(r.result["summary"]["invalid_utf8_bytes"], invalid);
  bool saw_reason = false;
  for (const json& q : requests) {
    if (q["finish_reason"] == "le" + kFffd + "ngth") saw_reason = true;
  }
  EXPECT_TRUE(saw_reason);
  EXPECT_EQ(server.completions(), 8);
}

}  // namespace
}  // namespace llmbench
