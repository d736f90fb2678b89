#pragma once
// A workload turns a request index into a RequestSpec. Deterministic: the same seed and
// index always give the same spec, whichever worker thread asks and in whatever order.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/request.h"
#include "workload/lengths.h"

namespace llmbench::workload {

class Workload {
 public:
  virtual ~Workload() = default;
  // Thread-safe: called concurrently from worker threads.
  [[nodiscard]] virtual RequestSpec make(std::uint64_t index) const = 0;
  // Requests per conversation: indices k·turns … k·turns+turns−1 are the turns of one
  // conversation, which a closed-loop user sends one after the other.
  [[nodiscard]] virtual std::uint32_t turns() const { return 1; }
};

// How prompt lengths were made exact, best first (the result records which one was used).
enum class TokenMethod {
  kEngineTokenize,    // the engine's own /tokenize: calibrated, then every prompt verified
  kLocalTokenizer,    // --tokenizer FILE: calibrated, then every prompt verified locally
  kProbeCalibration,  // 1-token generation probes read back the engine's prompt count
  kEstimate,          // one common English word ≈ one token; not verified
};
std::string_view to_string(TokenMethod method);

// Counts a text's prompt tokens as the engine will see them (its BOS and template
// included). Used before the run only; may block on I/O.
class TokenCounter {
 public:
  virtual ~TokenCounter() = default;
  virtual Expected<std::int64_t> count(std::string_view text) = 0;
};

// What calibration learned: words that each cost exactly one token after a space, and the
// tokens the engine adds to any prompt.
struct PromptCalibration {
  TokenMethod method = TokenMethod::kEstimate;
  std::string source;              // "engine /tokenize", "tokenizer.json (…)", …
  std::vector<std::string> words;  // the prompt vocabulary
  std::int64_t offset = 0;         // tokens added to every prompt (BOS, template)
  double tokens_per_word = 1;      // probe calibration's measured slope
  std::int64_t per_message = 0;    // chat: tokens each message after the first adds (template)
};

// The estimate: the built-in vocabulary, no offset.
PromptCalibration estimated_calibration();
// Keeps the built-in words that cost one token each under `counter` and measures the offset.
// Errors when the counter fails or too few words are single tokens.
Expected<PromptCalibration> calibrate(TokenCounter& counter, TokenMethod method,
                                      std::string source);
// From two probe counts: a prompt of n1 words was counted c1 tokens, n2 words c2.
PromptCalibration probe_calibration(std::int64_t n1, std::int64_t c1, std::int64_t n2,
                                    std::int64_t c2, std::string source);

struct SyntheticOptions {
  std::string model;
  ApiKind api = ApiKind::kCompletions;
  LengthDistribution prompt_tokens = fixed_length(128);
  LengthDistribution max_tokens = fixed_length(128);
  bool stream = true;
  bool ignore_eos = true;
  std::optional<double> temperature;
  std::uint64_t seed = 0;
  // Shared prefixes: each prompt starts with one of `prefix_groups` prefixes of
  // `prefix_tokens` tokens (counted in the prompt's length).
  std::int64_t prefix_tokens = 0;
  std::uint32_t prefix_groups = 1;
  std::uint32_t turns = 1;  // > 1: multi-turn conversations whose history grows

  // A request with these settings and no prompt yet.
  [[nodiscard]] RequestSpec request(std::uint64_t index) const;
};

struct VerifyStats {
  std::uint64_t verified = 0;   // prompts counted by the tokenizer before the run
  std::uint64_t corrected = 0;  // of those, how many needed a second try
  std::uint64_t missed = 0;     // of those, how many could not be made exact
};

// A workload whose prompts are whole words sized to a token target. verify() counts them
// with the engine's (or a local) tokenizer before the run and corrects the word count of each
// prompt that misses.
class WordPromptWorkload : public Workload {
 public:
  [[nodiscard]] const PromptCalibration& calibration() const { return calibration_; }

  // Not thread-safe; call before the run. Counts the prompts of requests [0, count) with
  // `counter` and corrects each that misses its target (chat contents are counted joined,
  // without the template).
  Expected<VerifyStats> verify(TokenCounter& counter, std::uint64_t count);

 protected:
  explicit WordPromptWorkload(PromptCalibration calibration);
  // Words that make `target` tokens once the engine's constant is added (or the count
  // verify() found for this request).
  [[nodiscard]] std::int64_t words_for(std::uint64_t index, std::int64_t target) const;
  // Whether the newest prompt of request `index` may be resized (later turns of a
  // conversation are made of earlier ones and may not).
  [[nodiscard]] virtual bool resizable(std::uint64_t /*index*/) const { return true; }

  PromptCalibration calibration_;

 private:
  std::unordered_map<std::uint64_t, std::int64_t> corrections_;  // index → words
};

// Prompts of random words from the calibrated vocabulary, drawn from a per-request random
// stream (seed, index), so each prompt is unique and reproducible.
class SyntheticWorkload final : public WordPromptWorkload {
 public:
  SyntheticWorkload(SyntheticOptions options, PromptCalibration calibration);
  [[nodiscard]] RequestSpec make(std::uint64_t index) const override;
  [[nodiscard]] std::uint32_t turns() const override { return options_.turns; }
  [[nodiscard]] const SyntheticOptions& options() const { return options_; }

 protected:
  [[nodiscard]] bool resizable(std::uint64_t index) const override {
    return index % options_.turns == 0;
  }

 private:
  struct Turn {
    std::int64_t user_tokens;       // target of the user message (prefix included)
    std::int64_t assistant_tokens;  // the reply kept in the history (earlier turns only)
  };
  [[nodiscard]] Turn turn_lengths(std::uint64_t conversation, std::uint32_t turn) const;
  // The token target of a conversation's first prompt (the prefix and constant fit in it).
  [[nodiscard]] std::int64_t first_target(const Turn& t) const;
  // Words of the user message of `turn`: the first is sized to its target (as verify()
  // corrected it); later ones are their drawn length in words.
  [[nodiscard]] std::int64_t user_words(std::uint64_t conversation, std::uint32_t turn,
                                        const Turn& t) const;
  void append_words(std::string& out, std::uint64_t stream, std::int64_t n) const;
  [[nodiscard]] std::string user_text(std::uint64_t conversation, std::uint32_t turn,
                                      std::int64_t words) const;

  SyntheticOptions options_;
};

// The messages' contents joined by spaces: a conversation as one completions prompt, and the
// text a token counter counts for a chat request.
std::string joined_contents(const std::vector<ChatMessage>& messages);

// SplitMix64: mixes (seed, stream) into an independent 64-bit seed.
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream);

}  // namespace llmbench::workload
