#pragma once
// Token-length distributions for prompts and outputs (`--prompt-tokens`, `--max-tokens`).
//
//   128                      fixed (also "fixed:128")
//   uniform:100:500          integers in [100, 500]
//   normal:300:50[:MIN:MAX]  rounded, clipped to [MIN, MAX] (default [1, ∞))
//   lognormal:300:0.5[:MIN:MAX]  median 300, σ of the log 0.5, clipped likewise
//   empirical                the lengths of the dataset's records, resampled
//   short|medium|long        the catalog's length classes (see class_range)
//   context-limit            prompts only: the engine's context window minus the output budget

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace llmbench::workload {

enum class LengthKind { kFixed, kUniform, kNormal, kLognormal, kEmpirical, kContextLimit };

// The largest length a normal or lognormal distribution without its own MAX draws (their
// tails are unbounded; docs/limits.md bounds every length at 10,000,000 tokens).
inline constexpr std::int64_t kMaxDrawn = 10'000'000;

struct LengthDistribution {
  LengthKind kind = LengthKind::kFixed;
  double a = 128;  // fixed value; uniform min; normal mean; lognormal median
  double b = 0;    // uniform max; normal stddev; lognormal sigma
  std::int64_t min = 1;
  std::int64_t max = INT64_MAX;         // INT64_MAX: unbounded, but a draw never exceeds kMaxDrawn
  std::vector<std::int64_t> empirical;  // kEmpirical: the lengths to resample

  // A length for one request, drawn from `rng` (the request's own length stream).
  [[nodiscard]] std::int64_t sample(std::mt19937_64& rng) const;
  // The largest value sample() can return (for budgets; INT64_MAX for an unclipped tail).
  [[nodiscard]] std::int64_t upper_bound() const;
  // The smallest value sample() can return.
  [[nodiscard]] std::int64_t lower_bound() const;
  // As the user would write it: "uniform:100:500".
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] bool is_fixed() const { return kind == LengthKind::kFixed; }
};

// Whether the length is of a prompt or of an output: the named classes differ.
enum class LengthOf { kPrompt, kOutput };

// Parses a distribution; errors say what is wrong with `text` (callers add the option name).
Expected<LengthDistribution> parse_length_distribution(std::string_view text, LengthOf of);

LengthDistribution fixed_length(std::int64_t n);

}  // namespace llmbench::workload
