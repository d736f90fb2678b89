// Engine discovery before a run over real loopback sockets: every probe is bounded by limits
// derived from the run's timeouts, and an engine that cannot be reached, or accepts and never
// answers, ends the detection early with exit 3.

#include "app/engine_discovery.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/outcome.h"
#include "app/resolve.h"

namespace llmbench::app {
namespace {

using namespace std::chrono_literals;

// A listening socket. With `listening` false it is bound but closed, so nobody listens on its
// port; otherwise the kernel completes connections into the backlog and nobody ever reads or
// answers: a blackhole.
class Port {
 public:
  explicit Port(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (listening) {
      EXPECT_EQ(::listen(fd_, 64), 0);
    } else {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Port() {
    if (fd_ >= 0) ::close(fd_);
  }
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;
  [[nodiscard]] net::Url url() const {
    auto url = net::parse_url("http://127.0.0.1:" + std::to_string(port_));
    EXPECT_TRUE(url);
    return *url;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST(ProbeLimits, FollowTheRunsTimeouts) {
  const ProbeLimits defaults = probe_limits(net::Timeouts{});
  EXPECT_EQ(defaults.connect, net::kDefaultConnectTimeout);
  EXPECT_EQ(defaults.answer, kProbeAnswer);
  EXPECT_EQ(defaults.overall, defaults.connect + 3 * defaults.answer);
  net::Timeouts given;
  given.connect = 2s;
  given.first_token = 3s;
  given.total = 20s;
  const ProbeLimits derived = probe_limits(given);
  EXPECT_EQ(derived.connect, 2s);
  EXPECT_EQ(derived.answer, 3s);
  EXPECT_EQ(derived.overall, 11s);
  given.connect = Duration::zero();  // off: the probes still have a bound
  given.first_token = Duration::zero();
  given.total = 1s;
  EXPECT_EQ(probe_limits(given).connect, net::kDefaultConnectTimeout);
  EXPECT_EQ(probe_limits(given).answer, 1s);
}

// Issue 10: nobody listens: exit 3 at once, naming the URL.
TEST(NetworkDiscovery, NobodyListeningIsUnreachableAtOnce) {
  const Port closed(false);
  NetworkDiscovery discovery;
  const auto started = SteadyClock::now();
  try {
    identify_engine(closed.url(), engines::EngineKind::kAuto, net::TlsOptions{}, discovery,
                    net::Timeouts{});
    ADD_FAILURE() << "no failure";
  } catch (const Failure& f) {
    EXPECT_EQ(f.code, kExitUnreachable);
    EXPECT_EQ(f.message.rfind("cannot reach http://127.0.0.1:", 0), 0u) << f.message;
  }
  EXPECT_LT(SteadyClock::now() - started, 5s);
}

// Issue 10: a server that accepts and never answers: the detection ends after one probe's
// limit (not 7 probes of 5 s each) and is unreachable (exit 3), not a guessed engine (exit 2
// later for want of a model).
TEST(NetworkDiscovery, BlackholeEndsWithinTheProbeLimitsAsUnreachable) {
  const Port blackhole(true);
  net::Timeouts limits;
  limits.connect = 1s;
  limits.first_token = 1s;  // each probe's answer within 1 s
  NetworkDiscovery discovery;
  const auto started = SteadyClock::now();
  try {
    identify_engine(blackhole.url(), engines::EngineKind::kAuto, net::TlsOptions{}, discovery,
                    limits);
    ADD_FAILURE() << "no failure";
  } catch (const Failure& f) {
    EXPECT_EQ(f.code, kExitUnreachable);
    EXPECT_NE(f.message.find("accepts connections but answered no HTTP request"), std::string::npos)
        << f.message;
  }
  const Duration took = SteadyClock::now() - started;
  EXPECT_LT(took, probe_limits(limits).overall + 2s);  // 6 s; before: 35 s
  EXPECT_GE(took, 900ms);                              // it did wait for an answer
  // The models of a named engine: bounded the same way.
  const auto models_started = SteadyClock::now();
  EXPECT_FALSE(
      discovery.models(blackhole.url(), engines::EngineKind::kVllm, net::TlsOptions{}, limits));
  EXPECT_LT(SteadyClock::now() - models_started, probe_limits(limits).overall + 2s);
}

}  // namespace
}  // namespace llmbench::app
