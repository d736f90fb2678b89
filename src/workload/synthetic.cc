#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string_view>

#include "workload/workload.h"

namespace llmbench::workload {

namespace {
// Common English words; calibration keeps those its tokenizer counts as one token after a
// space (nearly all of them for BPE vocabularies of 32k+ tokens).
constexpr std::array<std::string_view, 96> kWords = {
    "time",    "year",     "people", "way",    "day",     "man",     "thing",    "woman",
    "life",    "child",    "world",  "school", "state",   "family",  "group",    "country",
    "problem", "hand",     "part",   "place",  "case",    "week",    "company",  "system",
    "program", "question", "work",   "number", "night",   "point",   "home",     "water",
    "room",    "mother",   "area",   "money",  "story",   "fact",    "month",    "lot",
    "right",   "study",    "book",   "eye",    "job",     "word",    "business", "issue",
    "side",    "kind",     "head",   "house",  "service", "friend",  "father",   "power",
    "hour",    "game",     "line",   "end",    "member",  "law",     "car",      "city",
    "name",    "team",     "minute", "idea",   "kid",     "body",    "back",     "parent",
    "face",    "others",   "level",  "office", "door",    "health",  "person",   "art",
    "war",     "history",  "party",  "result", "change",  "morning", "reason",   "research",
    "girl",    "guy",      "moment", "air",    "teacher", "force",   "order",    "table"};
constexpr std::size_t kMinWords = 16;
constexpr std::uint64_t kLengthSalt = 0x6C656E6774687321ULL;  // "lengths!"
constexpr std::uint64_t kPrefixSalt = 0x7072656669787321ULL;  // "prefixs!"
}  // namespace

std::string_view to_string(TokenMethod method) {
  switch (method) {
    case TokenMethod::kEngineTokenize:
      return "engine_tokenize";
    case TokenMethod::kLocalTokenizer:
      return "local_tokenizer";
    case TokenMethod::kProbeCalibration:
      return "probe_calibration";
    case TokenMethod::kEstimate:
      return "estimate";
  }
  return "estimate";
}

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

PromptCalibration estimated_calibration() {
  PromptCalibration c;
  c.method = TokenMethod::kEstimate;
  c.source = "estimate: one common English word per token, not verified";
  // Unverified, so only short words: those are single tokens in every vocabulary we know.
  for (const std::string_view word : kWords) {
    if (word.size() <= 5) c.words.emplace_back(word);
  }
  return c;
}

Expected<PromptCalibration> calibrate(TokenCounter& counter, TokenMethod method,
                                      std::string source) {
  PromptCalibration c;
  c.method = method;
  c.source = std::move(source);
  // A word's cost is what it adds after a space to a fixed lead word.
  const std::string lead = "time";
  auto base = counter.count(lead);
  if (!base) return tl::unexpected(base.error());
  for (const std::string_view word : kWords) {
    auto n = counter.count(lead + " " + std::string(word));
    if (!n) return tl::unexpected(n.error());
    if (*n - *base == 1) c.words.emplace_back(word);
  }
  if (c.words.size() < kMinWords) {
    return make_error(ErrorCode::kProtocol,
                      c.source + " splits most common English words into several tokens (" +
                          std::to_string(c.words.size()) + " of " + std::to_string(kWords.size()) +
                          " are one token): cannot build exact "
                          "prompts from them");
  }
  // The constant: a text of n single-token words counts n + offset.
  std::string text;
  const std::size_t n = c.words.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) text += ' ';
    text += c.words[(i * 7) % n];
  }
  auto total = counter.count(text);
  if (!total) return tl::unexpected(total.error());
  c.offset = std::max<std::int64_t>(0, *total - static_cast<std::int64_t>(n));
  return c;
}

PromptCalibration probe_calibration(std::int64_t n1, std::int64_t c1, std::int64_t n2,
                                    std::int64_t c2, std::string source) {
  PromptCalibration c = estimated_calibration();
  c.method = TokenMethod::kProbeCalibration;
  c.source = std::move(source);
  if (n2 != n1 && c2 > c1) {
    c.tokens_per_word = static_cast<double>(c2 - c1) / static_cast<double>(n2 - n1);
  }
  c.offset = std::max<std::int64_t>(
      0, static_cast<std::int64_t>(
             std::llround(static_cast<double>(c1) - c.tokens_per_word * static_cast<double>(n1))));
  return c;
}

std::string joined_contents(const std::vector<ChatMessage>& messages) {
  std::string joined;
  for (const ChatMessage& m : messages) {
    if (!joined.empty()) joined.push_back(' ');
    joined += m.content;
  }
  return joined;
}

RequestSpec SyntheticOptions::request(std::uint64_t index) const {
  RequestSpec spec;
  spec.id = index;
  spec.model = model;
  spec.api = api;
  spec.stream = stream;
  spec.ignore_eos = ignore_eos;
  spec.temperature = temperature;
  spec.seed = seed;
  return spec;
}

WordPromptWorkload::WordPromptWorkload(PromptCalibration calibration)
    : calibration_(std::move(calibration)) {
  if (calibration_.words.empty()) calibration_.words = estimated_calibration().words;
  if (!(calibration_.tokens_per_word > 0)) calibration_.tokens_per_word = 1;
}

SyntheticWorkload::SyntheticWorkload(SyntheticOptions options, PromptCalibration calibration)
    : WordPromptWorkload(std::move(calibration)), options_(std::move(options)) {
  options_.turns = std::max<std::uint32_t>(1, options_.turns);
  options_.prefix_groups = std::max<std::uint32_t>(1, options_.prefix_groups);
}

SyntheticWorkload::Turn SyntheticWorkload::turn_lengths(std::uint64_t conversation,
                                                        std::uint32_t turn) const {
  std::mt19937_64 rng(mix_seed(options_.seed ^ kLengthSalt, conversation * options_.turns + turn));
  Turn t{};
  t.user_tokens = options_.prompt_tokens.sample(rng);
  t.assistant_tokens = std::max<std::int64_t>(1, options_.max_tokens.sample(rng));
  return t;
}

// Words that make `target` tokens once the engine's constant is added.
std::int64_t WordPromptWorkload::words_for(std::uint64_t index, std::int64_t target) const {
  if (const auto it = corrections_.find(index); it != corrections_.end()) return it->second;
  const double words =
      static_cast<double>(target - calibration_.offset) / calibration_.tokens_per_word;
  return std::max<std::int64_t>(1, std::llround(words));
}

void SyntheticWorkload::append_words(std::string& out, std::uint64_t stream, std::int64_t n) const {
  std::mt19937_64 rng(stream);
  const auto& words = calibration_.words;
  std::uniform_int_distribution<std::size_t> pick(0, words.size() - 1);
  for (std::int64_t i = 0; i < n; ++i) {
    if (!out.empty()) out.push_back(' ');
    out.append(words[pick(rng)]);
  }
}

std::string SyntheticWorkload::user_text(std::uint64_t conversation, std::uint32_t turn,
                                         std::int64_t words) const {
  std::string text;
  text.reserve(static_cast<std::size_t>(words) * 7);
  std::int64_t own = words;
  if (turn == 0 && options_.prefix_tokens > 0) {
    // The shared prefix: the same words for every conversation of the group.
    const std::uint64_t group = conversation % options_.prefix_groups;
    const std::int64_t prefix = std::min(options_.prefix_tokens, words - 1);
    append_words(text, mix_seed(options_.seed ^ kPrefixSalt, group), prefix);
    own = words - prefix;
  }
  append_words(text, mix_seed(options_.seed, conversation * options_.turns + turn), own);
  return text;
}

std::int64_t SyntheticWorkload::first_target(const Turn& t) const {
  // Room for the engine's constant, the shared prefix and at least one word of its own.
  const std::int64_t least =
      calibration_.offset + 1 + std::max<std::int64_t>(0, options_.prefix_tokens);
  return std::max(t.user_tokens, least);
}

std::int64_t SyntheticWorkload::user_words(std::uint64_t conversation, std::uint32_t turn,
                                           const Turn& t) const {
  if (turn > 0) return std::max<std::int64_t>(1, t.user_tokens);
  return words_for(conversation * options_.turns, first_target(t));
}

RequestSpec SyntheticWorkload::make(std::uint64_t index) const {
  RequestSpec spec = options_.request(index);

  const std::uint64_t conversation = index / options_.turns;
  const auto turn = static_cast<std::uint32_t>(index % options_.turns);

  // History: earlier turns with the replies they asked for (synthetic words of that length).
  std::vector<ChatMessage> messages;
  std::int64_t history_words = 0;
  for (std::uint32_t j = 0; j < turn; ++j) {
    const Turn t = turn_lengths(conversation, j);
    const std::int64_t words = user_words(conversation, j, t);
    messages.push_back({"user", user_text(conversation, j, words)});
    std::string reply;
    append_words(
        reply,
        mix_seed(options_.seed ^ kLengthSalt ^ kPrefixSalt, conversation * options_.turns + j),
        t.assistant_tokens);
    messages.push_back({"assistant", std::move(reply)});
    history_words += words + t.assistant_tokens;
  }
  const Turn now = turn_lengths(conversation, turn);
  const std::int64_t words = user_words(conversation, turn, now);
  messages.push_back({"user", user_text(conversation, turn, words)});
  spec.max_tokens = now.assistant_tokens;
  spec.prompt_tokens_target =
      turn == 0 ? first_target(now)
                : calibration_.offset + std::llround(static_cast<double>(history_words + words) *
                                                     calibration_.tokens_per_word);
  // A chat template wraps each earlier message too.
  if (spec.api == ApiKind::kChat)
    spec.prompt_tokens_target += 2 * static_cast<std::int64_t>(turn) * calibration_.per_message;

  if (spec.api == ApiKind::kChat) {
    spec.messages = std::move(messages);
  } else {
    spec.prompt = joined_contents(messages);
  }
  return spec;
}

Expected<VerifyStats> WordPromptWorkload::verify(TokenCounter& counter, std::uint64_t count) {
  // The counter counts one message's template; each further message adds its own.
  auto count_of = [&](const RequestSpec& s) -> Expected<std::int64_t> {
    auto n = counter.count(s.api == ApiKind::kChat ? joined_contents(s.messages) : s.prompt);
    if (!n || s.api != ApiKind::kChat || s.messages.size() < 2) return n;
    return *n + static_cast<std::int64_t>(s.messages.size() - 1) * calibration_.per_message;
  };
  VerifyStats stats;
  for (std::uint64_t index = 0; index < count; ++index) {
    const RequestSpec spec = make(index);
    auto n = count_of(spec);
    if (!n) return tl::unexpected(n.error());
    ++stats.verified;
    if (*n == spec.prompt_tokens_target) continue;
    ++stats.corrected;
    if (!resizable(index)) {
      ++stats.missed;
      continue;
    }
    // Step the word count by the miss in words and count again; words of natural text may
    // be several tokens, so a few tries may be needed (or the target may fall between two).
    std::int64_t words = words_for(index, spec.prompt_tokens_target);
    std::int64_t got = *n;
    bool exact = false;
    for (int attempt = 0; attempt < 8 && !exact; ++attempt) {
      const double miss = static_cast<double>(spec.prompt_tokens_target - got);
      std::int64_t step = std::llround(miss / calibration_.tokens_per_word);
      if (step == 0) step = miss > 0 ? 1 : -1;
      words = std::max<std::int64_t>(1, words + step);
      corrections_[index] = words;
      auto recount = count_of(make(index));
      if (!recount) return tl::unexpected(recount.error());
      got = *recount;
      exact = got == spec.prompt_tokens_target;
    }
    if (!exact) ++stats.missed;
  }
  return stats;
}

}  // namespace llmbench::workload
