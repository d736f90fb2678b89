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

class EngineDiscovery {
 public:
  virtual ~EngineDiscovery() = default;
  // What the engine at `url` is (--engine auto). Errors (kUnreachable) when nothing answers.
  virtual Expected<EngineInfo> identify(const net::Url& url, const net::TlsOptions& tls,
                                        Duration timeout) = 0;
  // The engine answers at all (a named engine). Errors (kUnreachable) otherwise.
  virtual Expected<void> reachable(const net::Url& url, const net::TlsOptions& tls,
                                   Duration timeout) = 0;
  // The models an engine of a known kind lists; empty when it lists none.
  virtual Expected<std::vector<ModelInfo>> models(const net::Url& url, engines::EngineKind kind,
                                                  const net::TlsOptions& tls, Duration timeout) = 0;
};

// Asks the real engine over HTTP (runner/discovery.h).
class NetworkDiscovery final : public EngineDiscovery {
 public:
  Expected<EngineInfo> identify(const net::Url& url, const net::TlsOptions& tls,
                                Duration timeout) override;
  Expected<void> reachable(const net::Url& url, const net::TlsOptions& tls,
                           Duration timeout) override;
  Expected<std::vector<ModelInfo>> models(const net::Url& url, engines::EngineKind kind,
                                          const net::TlsOptions& tls, Duration timeout) override;
};

// An engine known in advance (tests, benchmarks): answers from `info` without any network;
// reachable unless `unreachable` says why not.
class KnownEngine final : public EngineDiscovery {
 public:
  explicit KnownEngine(EngineInfo info) : info_(std::move(info)) {}
  std::string unreachable;  // non-empty: every question fails with this message
  Expected<EngineInfo> identify(const net::Url&, const net::TlsOptions&, Duration) override {
    if (!unreachable.empty()) return make_error(ErrorCode::kUnreachable, unreachable);
    return info_;
  }
  Expected<void> reachable(const net::Url&, const net::TlsOptions&, Duration) override {
    if (!unreachable.empty()) return make_error(ErrorCode::kUnreachable, unreachable);
    return {};
  }
  Expected<std::vector<ModelInfo>> models(const net::Url&, engines::EngineKind,
                                          const net::TlsOptions&, Duration) override {
    if (!unreachable.empty()) return make_error(ErrorCode::kUnreachable, unreachable);
    return info_.models;
  }

 private:
  EngineInfo info_;
};

}  // namespace llmbench::app
