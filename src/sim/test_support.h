#pragma once
// What the simulator's tests share (test code only): a simulator on its own thread, and a raw
// loopback connection to it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <utility>

#include "sim/sim_server.h"

namespace llmbench::sim::test_support {

// A simulator on its own thread for the object's lifetime.
class Server {
 public:
  explicit Server(SimOptions options) : server_(io_, std::move(options)) {
    auto port = server_.start();
    if (!port) throw std::runtime_error("simulator did not start");
    port_ = *port;
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Server() {
    server_.stop();
    io_.stop();
    thread_.join();
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] SimCounters counters() const { return server_.counters(); }

 private:
  boost::asio::io_context io_{1};
  SimServer server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A TCP connection to 127.0.0.1:port, or -1 when none could be made.
inline int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace llmbench::sim::test_support
