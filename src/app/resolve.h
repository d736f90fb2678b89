#pragma once
// RunSpec → ResolvedRun: checks the spec as a whole (combinations no single option can
// judge), fills every default, and asks the engine what it is and which models it serves.
// Pure but for `discovery`. Throws Failure (kExitUsage for a bad spec or a model the engine
// does not serve, kExitUnreachable when the engine does not answer).

#include <cstdint>
#include <string_view>

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

// A numeric option's bounds (docs/limits.md, "Option bounds"). A value outside them — NaN
// and ±∞ included — is refused before anything is sent, with exit 2 and a message naming
// the option and the bound.
struct NumberBound {
  std::string_view option;  // "--rate"
  double min = 0;
  double max = 0;
  std::string_view unit;  // "req/s"; empty for a plain count
};

namespace bounds {
inline constexpr double kMaxRunSeconds = 31.0 * 24 * 3600;  // 31 days
inline constexpr double kMaxTokens = 10'000'000;            // per prompt or reply
inline constexpr NumberBound kConcurrency{"--concurrency", 1, 100'000, "users"};
inline constexpr NumberBound kConcurrencyLevels{"--concurrency", 1, 1'000, "levels"};
inline constexpr NumberBound kRate{"--rate", 1e-3, 1e6, "req/s"};
inline constexpr NumberBound kScheduleRate{"--rate-schedule", 1e-3, 1e6, "req/s (or 0)"};
inline constexpr NumberBound kScheduleTime{"--rate-schedule", 0, kMaxRunSeconds, "s"};
inline constexpr NumberBound kBurstiness{"--burstiness", 0.01, 100, ""};
inline constexpr NumberBound kSweepSteps{"--sweep-steps", 1, 1'000, "steps"};
inline constexpr NumberBound kRequests{"--requests", 1, 1e9, "requests"};
inline constexpr NumberBound kDuration{"--duration", 1e-3, kMaxRunSeconds, "s"};
inline constexpr NumberBound kWarmupRequests{"--warmup", 0, 1e9, "requests"};
inline constexpr NumberBound kWarmupTime{"--warmup", 0, kMaxRunSeconds, "s"};
inline constexpr NumberBound kCooldownRequests{"--cooldown", 0, 1e9, "requests"};
inline constexpr NumberBound kCooldownTime{"--cooldown", 0, kMaxRunSeconds, "s"};
inline constexpr NumberBound kRetries{"--retries", 0, 100, "retries"};
inline constexpr NumberBound kRetryBackoff{"--retry-backoff", 1e-3, 60, "s"};
inline constexpr NumberBound kErrorWindow{"--error-window", 1, 1'000'000, "requests"};
inline constexpr NumberBound kSloThreshold{"--slo", 1e-6, 86'400, "s"};
inline constexpr NumberBound kSloPercentile{"--slo", 0, 100, "(percentile)"};
inline constexpr NumberBound kWindow{"--window", 10e-3, 86'400, "s"};
// Time-series windows a run may create: --duration / --window at most this.
inline constexpr NumberBound kWindows{"--window", 1, 1'000'000, "windows per run"};
// Not a terminal: a plain progress line this often (a terminal's dashboard redraws at most
// 4 times a second, whatever this says).
inline constexpr NumberBound kProgressInterval{"--progress-interval", 0.25, 3600, "s"};
inline constexpr NumberBound kPromptTokens{"--prompt-tokens", 1, kMaxTokens, "tokens"};
inline constexpr NumberBound kMaxTokensOption{"--max-tokens", 1, kMaxTokens, "tokens"};
inline constexpr NumberBound kPrefixTokens{"--prefix-tokens", 0, kMaxTokens, "tokens"};
inline constexpr NumberBound kPrefixGroups{"--prefix-groups", 1, 100'000, "prefixes"};
inline constexpr NumberBound kTurns{"--turns", 1, 1'000, "turns"};
inline constexpr NumberBound kDatasetSample{"--dataset-sample", 1, 10'000'000, "records"};
inline constexpr NumberBound kThreads{"--threads", 0, 1'024, "threads"};
inline constexpr NumberBound kSeed{"--seed", 0, 18446744073709551615.0, ""};
inline constexpr NumberBound kTemperature{"--temperature", 0, 100, ""};
inline constexpr NumberBound kTimeout{"--timeout", 0, kMaxRunSeconds, "s"};
inline constexpr NumberBound kConnectTimeout{"--connect-timeout", 0, kMaxRunSeconds, "s"};
inline constexpr NumberBound kFirstTokenTimeout{"--first-token-timeout", 0, kMaxRunSeconds, "s"};
inline constexpr NumberBound kIdleTimeout{"--idle-timeout", 0, kMaxRunSeconds, "s"};
inline constexpr NumberBound kGpuHourlyCost{"--gpu-hourly-cost", 0, 1e6, "per GPU-hour"};
inline constexpr NumberBound kGpus{"--gpus", 1, 1'000'000, "GPUs"};
// The monitors (docs/monitors.md): NVML's own utilization window is 0.1-1 s, so faster than
// 10 ms measures nothing; a scrape costs the engine a render of every family.
inline constexpr NumberBound kMonitorInterval{"--monitor-interval", 0.01, 3600, "s"};
inline constexpr NumberBound kScrapeInterval{"--scrape-interval", 0.1, 3600, "s"};
inline constexpr NumberBound kIdleBaseline{"--idle-baseline", 0, 600, "s"};
inline constexpr NumberBound kEnginePid{"--engine-pid", 1, 4'194'304, ""};  // Linux pid_max
}  // namespace bounds

// The requests a run with --until-stable and neither --requests nor --duration may take at
// most, when its figure never settles.
inline constexpr std::uint64_t kUntilStableMaxRequests = 10'000;

// Throws Failure(kExitUsage) unless min ≤ value ≤ max (so never for NaN):
// "--rate: nan is outside [0.001, 1000000] req/s".
void check_bound(const NumberBound& bound, double value);
// Option text → number, strictly (the whole text; no sign wrapping, no NaN or ∞), then
// check_bound. Throws Failure(kExitUsage) naming the option and the bound.
std::int64_t parse_whole(const NumberBound& bound, std::string_view text);
std::uint64_t parse_unsigned(const NumberBound& bound, std::string_view text);
double parse_real(const NumberBound& bound, std::string_view text);

// The checks of resolve() that need no engine: throws Failure(kExitUsage) naming what is
// wrong. For commands that validate before contacting anything (suite --dry-run).
void check_spec(const RunSpec& spec);

}  // namespace llmbench::app
