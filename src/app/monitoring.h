#pragma once
// The monitors of a run (docs/monitors.md): what a RunSpec asks for, as the monitor/ module's
// options, and their readings attached to the result on the run's clock.

#include <optional>
#include <string>
#include <vector>

#include "app/run_spec.h"
#include "core/monitor_data.h"
#include "monitor/resource_monitor.h"
#include "report/report.h"

namespace llmbench::app {

// The monitors' options for `spec` against `engine` (engines/ names, "vllm"…): the engine's
// /metrics at its URL's root (Ollama: /api/ps) unless --metrics-url names another, the engine
// process by --engine-pid or by the port it listens on.
monitor::MonitorOptions monitor_options(const RunSpec& spec, const std::string& engine);

// One line for the terminal: what is monitored, and what is not and why.
std::string describe_monitors(const std::vector<MonitorStatus>& status);

// Moves every time in `data` by `seconds` (the monitors' clock started before the run's).
void shift_times(MonitorData& data, double seconds);

// A span of the run, in seconds from its origin.
struct MonitorSpan {
  double t0 = 0, t1 = 0;
};

// Attaches `data` to `report`: the window figures of the run's time series, the summary over
// `run_span` (and each level's over its span, in order), energy divided by the measured
// output tokens and requests.
void attach_monitors(report::RunReport& report, MonitorData data,
                     const std::optional<MonitorSpan>& run_span,
                     const std::vector<std::optional<MonitorSpan>>& level_spans);

}  // namespace llmbench::app
