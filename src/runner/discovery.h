#pragma once
// Asks an engine what it is: GETs every detection probe path and lets engines::identify()
// decide. Used by `run --engine auto`, `engines info` and `models list`.

#include "core/clock.h"
#include "core/engine_info.h"
#include "core/error.h"
#include "net/http_client.h"
#include "net/url.h"

namespace llmbench::runner {

// Fails only when the engine cannot be reached at all.
Expected<EngineInfo> discover_engine(const net::Url& url, const net::TlsOptions& tls,
                                     Duration timeout_per_probe);

// The models an engine of a known kind serves (same probes, no identification).
Expected<std::vector<ModelInfo>> list_models(const net::Url& url, std::string_view engine,
                                             const net::TlsOptions& tls, Duration timeout);

}  // namespace llmbench::runner
