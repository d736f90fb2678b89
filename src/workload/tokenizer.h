#pragma once
// Local tokenizers: count prompt tokens the way an engine's model does, without asking the
// engine. Two file formats:
//  - HuggingFace `tokenizer.json` with a BPE model, byte-level (GPT-2, Llama 3, Qwen) or
//    SentencePiece-style (Metaspace / "▁" normaliser, byte fallback). Pre-tokenizer regexes
//    use Unicode classes and look-ahead, so they run on PCRE2 (JIT).
//  - SentencePiece `tokenizer.model` through Debian's libsentencepiece.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace llmbench::workload {

using TokenId = std::uint32_t;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // The ids of `text` as the model sees it, without the special tokens a post-processor or
  // chat template adds (see special_tokens_added). Thread-safe; may block briefly on a cache.
  [[nodiscard]] virtual std::vector<TokenId> encode(std::string_view text) const = 0;
  // Tokens the tokenizer's post-processor adds around a single sequence (e.g. BOS).
  [[nodiscard]] virtual std::int64_t special_tokens_added() const = 0;
  // "tokenizer.json (BPE, byte-level, 128256 tokens)", for results and messages.
  [[nodiscard]] virtual std::string description() const = 0;
};

// Loads `path`: a file ending in .model is SentencePiece, anything else tokenizer.json; a
// directory is searched for tokenizer.json, then tokenizer.model. Errors name the file and
// what in it is not supported.
Expected<std::unique_ptr<Tokenizer>> load_tokenizer(const std::string& path);

// Parses the text of a tokenizer.json (`origin` names it in errors).
Expected<std::unique_ptr<Tokenizer>> parse_hf_tokenizer(std::string_view json_text,
                                                        const std::string& origin);

}  // namespace llmbench::workload
