#pragma once
// Prompt datasets, read as a stream (a 100 MB file never sits in memory): ShareGPT JSON (an
// array of {"conversations":[{"from":"human"|"gpt","value":…}]}), JSONL ({"prompt":…,
// "max_tokens":…} or {"messages":[{"role":…,"content":…}]} per line) and plain text (one
// prompt per line). At most `sample` records are kept, chosen uniformly by a seeded
// reservoir, so memory is bounded by the sample, not the file.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/request.h"
#include "workload/workload.h"

namespace llmbench::workload {

// kTextSlice: a text corpus cut into prompts of the requested lengths (CorpusWorkload).
enum class DatasetFormat { kShareGpt, kJsonl, kText, kTextSlice };
Expected<DatasetFormat> parse_dataset_format(std::string_view name);
std::string_view to_string(DatasetFormat format);
// From the file name: .jsonl → jsonl, .json → sharegpt, anything else → text.
DatasetFormat guess_dataset_format(const std::string& path);

enum class OnBadRecord { kSkip, kFail };

struct DatasetOptions {
  std::string path;
  DatasetFormat format = DatasetFormat::kText;
  OnBadRecord on_bad_record = OnBadRecord::kSkip;
  std::size_t sample = 10'000;  // records kept at most
  std::uint64_t seed = 0;
  std::size_t read_chunk = 1 << 20;  // bytes per read (tests split the input everywhere)
  // Longest line (text, JSONL) or conversation (ShareGPT); a longer one is an error naming
  // the file, the line and the limit, whatever --on-bad-record says (docs/limits.md).
  std::size_t max_record_bytes = std::size_t{64} << 20;
  // Turns per conversation: conversations with fewer user turns are left out (counted in
  // Dataset::too_short, not as malformed).
  std::uint32_t turns = 1;
};

struct DatasetRecord {
  // The conversation as far as needed: an optional system message, then user turns, each
  // followed by its recorded reply where the dataset has one.
  std::vector<ChatMessage> messages;
  std::optional<std::int64_t> max_tokens;  // JSONL max_tokens
  std::vector<std::int64_t> reply_words;  // words of the recorded reply to each user turn (0: none)
};

struct Dataset {
  std::vector<DatasetRecord> records;  // the sample, in file order
  std::uint64_t read = 0;              // valid records in the file
  std::uint64_t skipped = 0;           // malformed records skipped
  std::uint64_t too_short = 0;         // valid, but fewer user turns than asked for
  std::vector<std::string> problems;   // the first few "file:line: why"
};

// Errors: the file cannot be read, or (with kFail) the first malformed record, named by
// file and line.
Expected<Dataset> load_dataset(const DatasetOptions& options);

// Requests from a dataset's records, one record (conversation) after another in a seeded
// order, cycling when the run is longer than the sample. With options.turns > 1, turn t of a
// conversation sends its first t user turns with their recorded replies, then turn t + 1.
class DatasetWorkload final : public Workload {
 public:
  DatasetWorkload(Dataset dataset, SyntheticOptions options);
  [[nodiscard]] RequestSpec make(std::uint64_t index) const override;
  [[nodiscard]] std::uint32_t turns() const override { return options_.turns; }

 private:
  Dataset dataset_;
  SyntheticOptions options_;
  std::vector<std::size_t> order_;
};

// A text corpus as words, for slicing. At most `max_words` are kept (the file is streamed).
struct Corpus {
  std::vector<std::string> words;
  std::uint64_t lines = 0;
  bool truncated = false;  // the file had more words than were kept
};
// Lines longer than `max_line_bytes` are an error naming the file, the line and the limit.
Expected<Corpus> load_corpus(const std::string& path, std::size_t max_words,
                             std::size_t max_line_bytes = std::size_t{64} << 20);

// Prompts sliced from a corpus: request i's prompt is the corpus's words from a position drawn
// by (seed, i), as many as its --prompt-tokens target needs (wrapping at the end). Sized and
// verified like synthetic prompts; natural words are often several tokens, so a target may
// fall between two word counts (verify() then reports it as unverifiable).
class CorpusWorkload final : public WordPromptWorkload {
 public:
  CorpusWorkload(Corpus corpus, SyntheticOptions options, PromptCalibration calibration);
  [[nodiscard]] RequestSpec make(std::uint64_t index) const override;

 private:
  Corpus corpus_;
  SyntheticOptions options_;
};

}  // namespace llmbench::workload
