#include "runner/discovery.h"

#include "engines/detect.h"

namespace llmbench::runner {

namespace {

Expected<std::vector<engines::ProbeAnswer>> probe_all(const net::Url& url,
                                                      const net::TlsOptions& tls,
                                                      Duration timeout) {
  std::vector<engines::ProbeAnswer> answers;
  for (const std::string& path : engines::detection_probes()) {
    net::HttpRequest request;
    request.method = "GET";
    request.target = url.base_path + path;
    auto response = net::fetch(url, request, timeout, tls);
    if (!response) {
      if (response.error().code == ErrorCode::kUnreachable) return tl::unexpected(response.error());
      answers.push_back({path, 0, ""});  // this probe failed; others may still answer
      continue;
    }
    answers.push_back({path, response->status, std::move(response->body)});
  }
  return answers;
}

}  // namespace

Expected<EngineInfo> discover_engine(const net::Url& url, const net::TlsOptions& tls,
                                     Duration timeout_per_probe) {
  auto answers = probe_all(url, tls, timeout_per_probe);
  if (!answers) return tl::unexpected(answers.error());
  return engines::identify(*answers);
}

Expected<std::vector<ModelInfo>> list_models(const net::Url& url, std::string_view engine,
                                             const net::TlsOptions& tls, Duration timeout) {
  auto answers = probe_all(url, tls, timeout);
  if (!answers) return tl::unexpected(answers.error());
  return engines::models_from(engine, *answers);
}

}  // namespace llmbench::runner
