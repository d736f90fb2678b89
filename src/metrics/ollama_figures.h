#pragma once
// The figures `ollama run --verbose` prints (total duration, load duration, prompt eval
// count/duration/rate, eval count/duration/rate), for any engine: the engine's own when it
// reported them (Ollama's total_duration, load_duration, prompt_eval_count,
// prompt_eval_duration, eval_count, eval_duration), else derived from what the client
// measured, each figure saying which. A figure nobody measured (load duration on vLLM) is
// absent, never 0.

#include <cstdint>
#include <optional>

#include "core/record.h"
#include "metrics/summary.h"

namespace llmbench::metrics {

enum class FigureSource {
  kEngine,  // the engine reported it
  kClient,  // derived from the client's measurements (METRICS.md M5, M9, M11)
};

struct SourcedValue {
  double value = 0;
  FigureSource source = FigureSource::kClient;
};

// Durations in seconds; counts in tokens; rates in tokens per second.
struct OllamaFigures {
  std::optional<SourcedValue> total_duration;        // engine total_duration, else E2E
  std::optional<SourcedValue> load_duration;         // engine only
  std::optional<SourcedValue> prompt_eval_count;     // engine prompt token count
  std::optional<SourcedValue> prompt_eval_duration;  // engine prefill, else ≈ TTFT
  std::optional<SourcedValue> prompt_eval_rate;      // count / duration
  std::optional<SourcedValue> eval_count;            // engine output count, else client count
  std::optional<SourcedValue> eval_duration;         // engine decode, else E2E − TTFT
  std::optional<SourcedValue> eval_rate;             // count / duration
};

// One request. A failed request still shows what it measured.
OllamaFigures ollama_figures(const RequestRecord& record, const RequestMetrics& metrics);

// A whole run: the mean per successful request of each figure (engine means from the
// native figures' summaries, client means from TTFT and E2E), the rates from those means.
// Empty when no request succeeded.
OllamaFigures ollama_figures(const RunSummary& summary);

}  // namespace llmbench::metrics
