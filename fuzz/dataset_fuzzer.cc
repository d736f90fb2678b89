// workload::load_dataset, load_corpus and load_trace: any bytes as a ShareGPT, JSONL or text
// dataset are read or refused without crashing, and the result does not depend on where the reads
// cut the file (read_chunk from the input's first bytes, against one read of the whole file).

#include <cmath>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "workload/arrival.h"
#include "workload/dataset.h"

namespace {

using namespace llmbench;

struct Loaded {
  bool ok = false;
  std::string error;
  std::vector<std::vector<std::pair<std::string, std::string>>> messages;
  std::vector<std::optional<std::int64_t>> max_tokens;
  std::vector<std::vector<std::int64_t>> reply_words;
  std::uint64_t read = 0, skipped = 0, too_short = 0;
  std::vector<std::string> problems;
  bool operator==(const Loaded&) const = default;
};

Loaded load(workload::DatasetOptions options) {
  Loaded out;
  auto dataset = workload::load_dataset(options);
  out.ok = dataset.has_value();
  if (!dataset) {
    out.error = dataset.error().message;
    return out;
  }
  LLMBENCH_FUZZ_CHECK(dataset->records.size() <= options.sample, "more records than the sample");
  for (const auto& r : dataset->records) {
    auto& m = out.messages.emplace_back();
    for (const ChatMessage& msg : r.messages) m.emplace_back(msg.role, msg.content);
    out.max_tokens.push_back(r.max_tokens);
    out.reply_words.push_back(r.reply_words);
  }
  out.read = dataset->read;
  out.skipped = dataset->skipped;
  out.too_short = dataset->too_short;
  out.problems = dataset->problems;
  return out;
}

}  // namespace

// Input: byte 0 bits 0-1 format (ShareGPT, JSONL, text, ShareGPT), bit 2 fail on a bad
// record, bits 3-4 turns - 1, bits 5-7 the sample size (1, 2, 3, 5, 8, 100, 1000, 10000);
// bytes 1-2 the read chunk (1 + value % 4096 bytes); the rest is the file.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const unsigned flags = in.byte();
  const unsigned chunk = in.u16();
  const std::string_view file = in.rest();
  const auto path = fuzz::write_scratch("dataset", file);

  constexpr workload::DatasetFormat kFormats[] = {
      workload::DatasetFormat::kShareGpt, workload::DatasetFormat::kJsonl,
      workload::DatasetFormat::kText, workload::DatasetFormat::kShareGpt};
  constexpr std::size_t kSamples[] = {1, 2, 3, 5, 8, 100, 1000, 10000};
  workload::DatasetOptions options;
  options.path = path.string();
  options.format = kFormats[flags & 3U];
  options.on_bad_record =
      (flags & 4U) != 0 ? workload::OnBadRecord::kFail : workload::OnBadRecord::kSkip;
  options.turns = 1U + ((flags >> 3) & 3U);
  options.sample = kSamples[(flags >> 5) & 7U];
  options.seed = 7;
  options.read_chunk = std::size_t{1} << 20;
  const Loaded whole = load(options);
  options.read_chunk = 1U + chunk % 4096U;
  const Loaded parts = load(options);
  LLMBENCH_FUZZ_CHECK(whole == parts, "the dataset differs with another read chunk");

  if ((flags & 3U) == 2) {
    auto corpus = workload::load_corpus(path.string(), 1 + chunk % 64U);
    if (corpus) LLMBENCH_FUZZ_CHECK(corpus->words.size() <= 1 + chunk % 64U, "too many words");
  }
  if ((flags & 3U) == 3) {  // the same bytes as an arrival trace
    auto trace = workload::load_trace(path);
    if (trace) {
      double last = 0;
      for (const double t : *trace) {
        LLMBENCH_FUZZ_CHECK(std::isfinite(t) && t >= last, "a trace time not finite or decreasing");
        last = t;
      }
    }
  }
  return 0;
}
