#pragma once
// A workload turns a request index into a RequestSpec. Deterministic: the same seed and
// index always give the same spec, whichever worker thread asks and in whatever order.

#include <cstdint>
#include <optional>
#include <string>

#include "core/request.h"

namespace llmbench::workload {

class Workload {
 public:
  virtual ~Workload() = default;
  // Thread-safe: called concurrently from worker threads.
  [[nodiscard]] virtual RequestSpec make(std::uint64_t index) const = 0;
};

struct SyntheticOptions {
  std::string model;
  ApiKind api = ApiKind::kCompletions;
  std::int64_t prompt_tokens = 128;  // target; words are an estimate until the workloads
                                     // issue calibrates against a tokenizer
  std::int64_t max_tokens = 128;
  bool stream = true;
  bool ignore_eos = true;
  std::optional<double> temperature;
  std::uint64_t seed = 0;
};

// Prompts of `prompt_tokens` English words drawn from a fixed vocabulary with a per-request
// random stream (seed, index), so each prompt is unique and reproducible.
class SyntheticWorkload final : public Workload {
 public:
  explicit SyntheticWorkload(SyntheticOptions options) : options_(std::move(options)) {}
  [[nodiscard]] RequestSpec make(std::uint64_t index) const override;
  [[nodiscard]] const SyntheticOptions& options() const { return options_; }

 private:
  SyntheticOptions options_;
};

// SplitMix64: mixes (seed, stream) into an independent 64-bit seed.
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream);

}  // namespace llmbench::workload
