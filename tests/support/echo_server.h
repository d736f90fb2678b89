#pragma once
// A hostile OpenAI-compatible server for the secrets test: it echoes every request — request
// line and every header, as received — back into what it answers, the way a misconfigured
// proxy or a debugging endpoint does. One thread, plain sockets, one request per connection
// (every answer says Connection: close).
//
//   GET /v1/models  → 200, one model "m"
//   other GET       → 200 {}
//   POST, by mode:
//     kErrorJson    → 401 {"error":{"message":"echo: <request>"}}
//     kErrorText    → 400 text/plain, the request head verbatim
//     kOk           → 200: an SSE stream (when the body asks for "stream":true) or one JSON
//                     completion, whose text and finish_reason are the request head

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace llmbench::testing {

class EchoServer {
 public:
  enum class Mode { kErrorJson, kErrorText, kOk };

  explicit EchoServer(Mode mode) : mode_(mode) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      throw std::runtime_error("echo server: cannot listen");
    }
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_mode(Mode mode) { mode_ = mode; }

  // Every request head received so far (request line and headers).
  [[nodiscard]] std::vector<std::string> heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      timeval limit{5, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      handle(fd);
      ::close(fd);
    }
  }

  void handle(int fd) {
    std::string in;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      in.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string head = in.substr(0, head_end);
    std::size_t content_length = 0;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (const auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
      content_length = std::stoul(head.substr(at + 17));
    }
    while (in.size() < head_end + 4 + content_length) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      in.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string body = in.substr(head_end + 4);
    {
      std::lock_guard lock(mutex_);
      heads_.push_back(head);
    }
    using Json = nlohmann::json;
    if (head.rfind("GET ", 0) == 0) {
      const bool models = head.find(" /v1/models") != std::string::npos;
      send_all(fd,
               answer(200, "application/json",
                      models ? R"({"object":"list","data":[{"id":"m","object":"model"}]})" : "{}"));
      return;
    }
    switch (mode_.load()) {
      case Mode::kErrorJson:
        send_all(fd,
                 answer(401, "application/json",
                        Json{{"error", {{"message", "echo: " + head}, {"type", "auth"}}}}.dump()));
        return;
      case Mode::kErrorText:
        send_all(fd, answer(400, "text/plain", head));
        return;
      case Mode::kOk:
        break;
    }
    const Json choice_text = {{"index", 0},
                              {"text", head},
                              {"delta", {{"content", head}}},
                              {"message", {{"role", "assistant"}, {"content", head}}}};
    const Json usage = {{"prompt_tokens", 5}, {"completion_tokens", 2}, {"total_tokens", 7}};
    if (body.find("\"stream\":true") != std::string::npos) {
      Json first = {{"id", "x"}, {"object", "chat.completion.chunk"}, {"choices", {choice_text}}};
      first["choices"][0]["finish_reason"] = nullptr;
      Json last = first;
      last["choices"][0]["finish_reason"] = "echo " + head;
      last["usage"] = usage;
      const std::string sse =
          "data: " + first.dump() + "\n\ndata: " + last.dump() + "\n\ndata: [DONE]\n\n";
      send_all(fd, answer(200, "text/event-stream", sse));
    } else {
      Json done = {{"id", "x"}, {"object", "chat.completion"}, {"choices", {choice_text}}};
      done["choices"][0]["finish_reason"] = "echo " + head;
      done["usage"] = usage;
      send_all(fd, answer(200, "application/json", done.dump()));
    }
  }

  static std::string answer(int status, const std::string& type, const std::string& body) {
    return "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Error") +
           "\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }

  static void send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  std::atomic<Mode> mode_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

}  // namespace llmbench::testing
