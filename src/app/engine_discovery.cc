#include "app/engine_discovery.h"

#include "runner/discovery.h"

namespace llmbench::app {

Expected<EngineInfo> NetworkDiscovery::identify(const net::Url& url, const net::TlsOptions& tls,
                                                Duration timeout) {
  return runner::discover_engine(url, tls, timeout);
}

Expected<void> NetworkDiscovery::reachable(const net::Url& url, const net::TlsOptions& tls,
                                           Duration timeout) {
  return net::probe_reachable(url, timeout, tls);
}

Expected<std::vector<ModelInfo>> NetworkDiscovery::models(const net::Url& url,
                                                          engines::EngineKind kind,
                                                          const net::TlsOptions& tls,
                                                          Duration timeout) {
  return runner::list_models(url, engines::to_string(kind), tls, timeout);
}

}  // namespace llmbench::app
