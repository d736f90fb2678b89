#include <array>
#include <random>
#include <string_view>

#include "workload/workload.h"

namespace llmbench::workload {

namespace {
constexpr std::array<std::string_view, 64> kWords = {
    "time",     "year",    "people",   "way",    "day",        "man",    "thing",   "woman",
    "life",     "child",   "world",    "school", "state",      "family", "student", "group",
    "country",  "problem", "hand",     "part",   "place",      "case",   "week",    "company",
    "system",   "program", "question", "work",   "government", "number", "night",   "point",
    "home",     "water",   "room",     "mother", "area",       "money",  "story",   "fact",
    "month",    "lot",     "right",    "study",  "book",       "eye",    "job",     "word",
    "business", "issue",   "side",     "kind",   "head",       "house",  "service", "friend",
    "father",   "power",   "hour",     "game",   "line",       "end",    "member",  "law",
};
}  // namespace

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

RequestSpec SyntheticWorkload::make(std::uint64_t index) const {
  RequestSpec spec;
  spec.id = index;
  spec.model = options_.model;
  spec.api = options_.api;
  spec.prompt_tokens_target = options_.prompt_tokens;
  spec.max_tokens = options_.max_tokens;
  spec.stream = options_.stream;
  spec.ignore_eos = options_.ignore_eos;
  spec.temperature = options_.temperature;
  spec.seed = options_.seed;

  std::mt19937_64 rng(mix_seed(options_.seed, index));
  std::uniform_int_distribution<std::size_t> pick(0, kWords.size() - 1);
  std::string prompt;
  prompt.reserve(static_cast<std::size_t>(options_.prompt_tokens) * 8);
  for (std::int64_t i = 0; i < options_.prompt_tokens; ++i) {
    if (i > 0) prompt.push_back(' ');
    prompt.append(kWords[pick(rng)]);
  }
  if (spec.api == ApiKind::kChat) {
    spec.messages.push_back(ChatMessage{"user", std::move(prompt)});
  } else {
    spec.prompt = std::move(prompt);
  }
  return spec;
}

}  // namespace llmbench::workload
