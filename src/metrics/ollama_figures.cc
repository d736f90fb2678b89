#include "metrics/ollama_figures.h"

namespace llmbench::metrics {

namespace {

std::optional<SourcedValue> engine(const std::optional<double>& v) {
  if (!v) return std::nullopt;
  return SourcedValue{*v, FigureSource::kEngine};
}

std::optional<SourcedValue> client(const std::optional<double>& v) {
  if (!v) return std::nullopt;
  return SourcedValue{*v, FigureSource::kClient};
}

// A rate is the engine's only when both its parts are; over no time it is not measured.
std::optional<SourcedValue> rate(const std::optional<SourcedValue>& count,
                                 const std::optional<SourcedValue>& duration) {
  if (!count || !duration || duration->value <= 0) return std::nullopt;
  const bool native =
      count->source == FigureSource::kEngine && duration->source == FigureSource::kEngine;
  return SourcedValue{count->value / duration->value,
                      native ? FigureSource::kEngine : FigureSource::kClient};
}

void add_rates(OllamaFigures& f) {
  f.prompt_eval_rate = rate(f.prompt_eval_count, f.prompt_eval_duration);
  f.eval_rate = rate(f.eval_count, f.eval_duration);
}

std::optional<double> native_mean(const RunSummary& s, const char* name) {
  const auto it = s.native.find(name);
  if (it == s.native.end() || it->second.native.count == 0) return std::nullopt;
  return it->second.native.mean;
}

}  // namespace

OllamaFigures ollama_figures(const RequestRecord& r, const RequestMetrics& m) {
  OllamaFigures f;
  const NativeTimings& n = r.native;
  f.total_duration = n.total_duration ? engine(n.total_duration) : client(m.e2e);
  f.load_duration = engine(n.load_duration);
  if (r.usage.prompt_tokens) {
    f.prompt_eval_count = engine(static_cast<double>(*r.usage.prompt_tokens));
  }
  // Prefill and decode are told apart by the first token only when it streamed: a
  // non-streamed reply's one arrival is at the end.
  const bool split = r.stream && r.has_first_token();
  if (n.prompt_eval_duration) {
    f.prompt_eval_duration = engine(n.prompt_eval_duration);
  } else if (split) {
    f.prompt_eval_duration = client(m.ttft);
  }
  if (r.output_tokens_from_engine()) {
    f.eval_count = engine(static_cast<double>(*r.usage.output_tokens));
  } else if (r.has_first_token()) {
    f.eval_count = client(static_cast<double>(r.client_output_tokens()));
  }
  if (n.eval_duration) {
    f.eval_duration = engine(n.eval_duration);
  } else if (split && m.e2e && m.ttft) {
    f.eval_duration = client(*m.e2e - *m.ttft);
  }
  add_rates(f);
  return f;
}

OllamaFigures ollama_figures(const RunSummary& s) {
  OllamaFigures f;
  if (s.succeeded == 0) return f;
  const auto per_request = [&s](std::int64_t total) {
    return static_cast<double>(total) / static_cast<double>(s.succeeded);
  };
  const std::optional<double> e2e =
      s.e2e.count > 0 ? std::optional<double>(s.e2e.mean) : std::nullopt;
  // Client TTFT splits prefill from decode only for streamed requests, the ones with gaps.
  const bool split = s.ttft.count > 0 && (s.itl.count > 0 || s.tpot.count > 0);
  const std::optional<double> ttft = split ? std::optional<double>(s.ttft.mean) : std::nullopt;

  const std::optional<double> total = native_mean(s, "total_duration");
  f.total_duration = total ? engine(total) : client(e2e);
  f.load_duration = engine(native_mean(s, "load_duration"));
  // The summary's prompt count is the engine's (where reported); 0 means none reported.
  if (s.prompt_tokens > 0) f.prompt_eval_count = engine(per_request(s.prompt_tokens));
  const std::optional<double> prompt_eval = native_mean(s, "prompt_eval_duration");
  f.prompt_eval_duration = prompt_eval ? engine(prompt_eval) : client(ttft);
  const std::optional<double> eval = native_mean(s, "eval_duration");
  // The output count is the engine's where it reported one (M5); with an engine decode time
  // beside it (Ollama) it is labelled as the engine's, else as the client's figure.
  if (s.output_tokens > 0) {
    f.eval_count = SourcedValue{per_request(s.output_tokens),
                                eval ? FigureSource::kEngine : FigureSource::kClient};
  }
  if (eval) {
    f.eval_duration = engine(eval);
  } else if (e2e && ttft) {
    f.eval_duration = client(*e2e - *ttft);
  }
  add_rates(f);
  return f;
}

}  // namespace llmbench::metrics
