#pragma once
// The output of `llmbench compare` (docs/compare.md): each comparison as metrics/ computed it,
// the gates' outcomes and the warnings, rendered as a terminal table, Markdown or JSON.
// Renderers format, never compute (STYLE.md 5).

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "metrics/comparison.h"

namespace llmbench::report {

inline constexpr int kCompareSchemaVersion = 1;

struct CompareSide {
  std::string label;                      // "BASE", an engine name, a tag
  std::vector<std::string> sources;       // one per repetition: file, "history run 42"…
  std::vector<metrics::RunFigures> runs;  // the figures of each, in the same order
};

// One BASE-against-NEW comparison: the whole of a two-argument compare, or one engine
// against the first for one scenario and variant of a suite.
struct CompareSection {
  std::string title;  // "" for BASE NEW; "chat / default: tgi vs vllm" for a suite
  CompareSide base, next;
  metrics::Comparison comparison;
  std::vector<std::string> regressions;    // figures failing --max-regression (gate_failures)
  std::vector<metrics::GateOutcome> slos;  // --slo on the new side
};

struct CompareReport {
  std::vector<CompareSection> sections;
  std::vector<std::string> warnings;  // about the inputs: fingerprints, skipped suite runs
  metrics::ComparisonOptions options;
  metrics::RegressionGate gate;
  std::vector<metrics::FigureGate> slo_gates;
  // True when a section has a regression beyond its threshold or a failing --slo gate.
  [[nodiscard]] bool gate_failed() const;
  // "ttft.p99 regressed +12.0 % (limit 5 %)", one line per failing figure, for stderr.
  [[nodiscard]] std::vector<std::string> failure_lines() const;
};

enum class CompareFormat { kTable, kMarkdown, kJson };

void write_compare(std::ostream& out, const CompareReport& report, CompareFormat format);

// "12.3 ms", "1523.4 tok/s", "99.5 %": a figure's value in its unit; "—" when not measured.
std::string format_figure_value(const std::string& figure, const std::optional<double>& value);

}  // namespace llmbench::report
