#pragma once
// RunSpec → ResolvedRun: checks the spec as a whole (combinations no single option can
// judge), fills every default, and asks the engine what it is and which models it serves.
// Pure but for `discovery`. Throws Failure (kExitUsage for a bad spec or a model the engine
// does not serve, kExitUnreachable when the engine does not answer).

#include "app/engine_discovery.h"
#include "app/observer.h"
#include "app/outcome.h"
#include "app/run_spec.h"

namespace llmbench::app {

// The engine behind a URL: `requested` as given (checked reachable), or for kAuto what the
// detection probes found, within probe_limits(limits). Throws Failure(kExitUnreachable) when
// nothing answers.
struct IdentifiedEngine {
  engines::EngineKind kind = engines::EngineKind::kOpenAi;  // never kAuto
  std::optional<EngineInfo> info;                           // the probes' answers (kAuto)
};
IdentifiedEngine identify_engine(const net::Url& url, engines::EngineKind requested,
                                 const net::TlsOptions& tls, EngineDiscovery& discovery,
                                 const net::Timeouts& limits = {});

ResolvedRun resolve(const RunSpec& spec, EngineDiscovery& discovery, RunObserver& observer);

// The checks of resolve() that need no engine: throws Failure(kExitUsage) naming what is
// wrong. For commands that validate before contacting anything (suite --dry-run).
void check_spec(const RunSpec& spec);

}  // namespace llmbench::app
