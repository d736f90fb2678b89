#pragma once
// How resolve() learns about an engine before a run: behind an interface so a test can fake
// the engine without a network, and the network implementation is the only one that probes.

#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/engine_info.h"
#include "core/error.h"
#include "engines/registry.h"
#include "net/http_client.h"
#include "net/url.h"

namespace llmbench::app {

// Limits of the requests made before a run, derived from the run's timeouts
// (docs/limits.md "Timeouts and their defaults"):
//  - connect: the run's connect timeout (kDefaultConnectTimeout when that is off);
//  - answer: each probe's answer within min(kProbeAnswer, the run's first-token and total
//    timeouts where set), counted from its write;
//  - overall: the whole detection, all probes on one kept-alive connection, within
//    connect + 3 × answer; probes left when it is spent count as unanswered.
inline constexpr Duration kProbeAnswer = std::chrono::seconds(10);
struct ProbeLimits {
  Duration connect{};
  Duration answer{};
  Duration overall{};
};
ProbeLimits probe_limits(const net::Timeouts& run);

class EngineDiscovery {
 public:
  virtual ~EngineDiscovery() = default;
  // What the engine at `url` is (--engine auto). Errors (kUnreachable) when nothing answers:
  // connect refused or timed out, or a server that accepts but answers no probe.
  virtual Expected<EngineInfo> identify(const net::Url& url, const net::TlsOptions& tls,
                                        const net::Timeouts& limits) = 0;
  // The engine answers at all (a named engine). Errors (kUnreachable) otherwise.
  virtual Expected<void> reachable(const net::Url& url, const net::TlsOptions& tls,
                                   const net::Timeouts& limits) = 0;
  // The models an engine of a known kind lists; empty when it lists none.
  virtual Expected<std::vector<ModelInfo>> models(const net::Url& url, engines::EngineKind kind,
                                                  const net::TlsOptions& tls,
                                                  const net::Timeouts& limits) = 0;
};

// Asks the real engine over HTTP: engines::detection_probes() on one connection, within
// probe_limits(limits).
class NetworkDiscovery final : public EngineDiscovery {
 public:
  Expected<EngineInfo> identify(const net::Url& url, const net::TlsOptions& tls,
                                const net::Timeouts& limits) override;
  Expected<void> reachable(const net::Url& url, const net::TlsOptions& tls,
                           const net::Timeouts& limits) override;
  Expected<std::vector<ModelInfo>> models(const net::Url& url, engines::EngineKind kind,
                                          const net::TlsOptions& tls,
                                          const net::Timeouts& limits) override;
};

// An engine known in advance (tests, benchmarks): answers from `info` without any network;
// reachable unless `unreachable` says why not.
class KnownEngine final : public EngineDiscovery {
 public:
  explicit KnownEngine(EngineInfo info) : info_(std::move(info)) {}
  std::string unreachable;  // non-empty: every question fails with this message
  Expected<EngineInfo> identify(const net::Url&, const net::TlsOptions&,
                                const net::Timeouts&) override {
    if (!unreachable.empty()) return make_error(ErrorCode::kUnreachable, unreachable);
    return info_;
  }
  Expected<void> reachable(const net::Url&, const net::TlsOptions&, const net::Timeouts&) override {
    if (!unreachable.empty()) return make_error(ErrorCode::kUnreachable, unreachable);
    return {};
  }
  Expected<std::vector<ModelInfo>> models(const net::Url&, engines::EngineKind,
                                          const net::TlsOptions&, const net::Timeouts&) override {
    if (!unreachable.empty()) return make_error(ErrorCode::kUnreachable, unreachable);
    return info_.models;
  }

 private:
  EngineInfo info_;
};

}  // namespace llmbench::app
