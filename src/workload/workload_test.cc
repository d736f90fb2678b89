#include "workload/workload.h"

#include <gtest/gtest.h>

namespace llmbench::workload {
namespace {

SyntheticOptions options(std::uint64_t seed) {
  SyntheticOptions o;
  o.model = "m";
  o.prompt_tokens = 32;
  o.max_tokens = 8;
  o.seed = seed;
  return o;
}

int words(const std::string& text) {
  int n = 0;
  bool in_word = false;
  for (const char c : text) {
    if (c != ' ' && !in_word) ++n;
    in_word = c != ' ';
  }
  return n;
}

TEST(SyntheticWorkload, SameSeedSamePromptsDifferentSeedDifferentPrompts) {
  const SyntheticWorkload a(options(1)), b(options(1)), c(options(2));
  for (std::uint64_t i = 0; i < 20; ++i) {
    EXPECT_EQ(a.make(i).prompt, b.make(i).prompt);
    EXPECT_NE(a.make(i).prompt, c.make(i).prompt);
  }
  EXPECT_NE(a.make(0).prompt, a.make(1).prompt) << "prompts must be unique per request";
}

TEST(SyntheticWorkload, PromptHasTheRequestedWordsAndSpecCarriesTheOptions) {
  const RequestSpec spec = SyntheticWorkload(options(3)).make(5);
  EXPECT_EQ(spec.id, 5u);
  EXPECT_EQ(words(spec.prompt), 32);
  EXPECT_EQ(spec.prompt_tokens_target, 32);
  EXPECT_EQ(spec.max_tokens, 8);
}

TEST(SyntheticWorkload, ChatPutsThePromptInAUserMessage) {
  SyntheticOptions o = options(1);
  o.api = ApiKind::kChat;
  const RequestSpec spec = SyntheticWorkload(o).make(0);
  ASSERT_EQ(spec.messages.size(), 1u);
  EXPECT_EQ(spec.messages[0].role, "user");
  EXPECT_EQ(spec.messages[0].content, SyntheticWorkload(options(1)).make(0).prompt);
}

}  // namespace
}  // namespace llmbench::workload
