#include "app/engine_discovery.h"

#include <algorithm>

#include "core/duration_text.h"
#include "engines/detect.h"
#include "net/control_client.h"

namespace llmbench::app {

namespace {

Duration at_most(Duration d, Duration limit) {
  return limit > Duration::zero() ? std::min(d, limit) : d;
}

// GETs every detection probe over one connection, within `limits`. Fails (kUnreachable) when
// the engine cannot be reached, or accepts connections but answers none of the probes: no
// later probe would fare better, so the detection ends there instead of waiting out each.
Expected<std::vector<engines::ProbeAnswer>> probe_all(const net::Url& url,
                                                      const net::TlsOptions& tls,
                                                      const net::Timeouts& run) {
  const ProbeLimits limits = probe_limits(run);
  net::ControlClient client(url, tls);
  const TimePoint started = SteadyClock::now();
  std::vector<engines::ProbeAnswer> answers;
  bool any_answer = false;
  for (const std::string& path : engines::detection_probes()) {
    const Duration left = limits.overall - (SteadyClock::now() - started);
    if (left <= Duration::zero()) {
      answers.push_back({path, 0, ""});  // out of time: unanswered
      continue;
    }
    net::HttpRequest request;
    request.method = "GET";
    request.target = url.base_path + path;
    net::Timeouts timeouts;
    timeouts.connect = std::min(limits.connect, left);
    timeouts.first_token = Duration::zero();
    timeouts.idle = Duration::zero();
    timeouts.total = std::min(limits.connect + limits.answer, left);
    auto response = client.request(request, timeouts);
    if (!response) {
      if (response.error().code == ErrorCode::kUnreachable ||
          response.error().code == ErrorCode::kIo) {
        return tl::unexpected(response.error());
      }
      if (!any_answer) {
        return make_error(ErrorCode::kUnreachable,
                          "cannot reach " + url.to_string() +
                              ": it accepts connections but answered no HTTP request (" +
                              response.error().message + ")");
      }
      answers.push_back({path, 0, ""});  // this probe failed; others answered
      continue;
    }
    any_answer = true;
    answers.push_back({path, response->status, std::move(response->body)});
  }
  return answers;
}

}  // namespace

ProbeLimits probe_limits(const net::Timeouts& run) {
  ProbeLimits limits;
  limits.connect = run.connect > Duration::zero() ? run.connect : net::kDefaultConnectTimeout;
  limits.answer = at_most(at_most(kProbeAnswer, run.first_token), run.total);
  limits.overall = limits.connect + 3 * limits.answer;
  return limits;
}

Expected<EngineInfo> NetworkDiscovery::identify(const net::Url& url, const net::TlsOptions& tls,
                                                const net::Timeouts& limits) {
  auto answers = probe_all(url, tls, limits);
  if (!answers) return tl::unexpected(answers.error());
  return engines::identify(*answers);
}

Expected<void> NetworkDiscovery::reachable(const net::Url& url, const net::TlsOptions& tls,
                                           const net::Timeouts& limits) {
  const ProbeLimits probe = probe_limits(limits);
  net::HttpRequest request;
  request.method = "GET";
  request.target = url.base_path.empty() ? "/" : url.base_path;
  net::Timeouts timeouts;
  timeouts.connect = probe.connect;
  timeouts.first_token = Duration::zero();
  timeouts.idle = Duration::zero();
  timeouts.total = probe.connect + probe.answer;
  auto response = net::ControlClient(url, tls).request(request, timeouts);
  if (!response && (response.error().code == ErrorCode::kUnreachable ||
                    response.error().code == ErrorCode::kIo)) {
    return tl::unexpected(response.error());
  }
  return {};  // any answer, even an error status or a slow one, means something listens
}

Expected<std::vector<ModelInfo>> NetworkDiscovery::models(const net::Url& url,
                                                          engines::EngineKind kind,
                                                          const net::TlsOptions& tls,
                                                          const net::Timeouts& limits) {
  auto answers = probe_all(url, tls, limits);
  if (!answers) return tl::unexpected(answers.error());
  return engines::models_from(engines::to_string(kind), *answers);
}

}  // namespace llmbench::app
