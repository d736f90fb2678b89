#include "workload/fingerprint.h"

#include <gtest/gtest.h>

namespace llmbench::workload {
namespace {

SyntheticOptions options(std::uint64_t seed, std::string model = "m") {
  SyntheticOptions o;
  o.model = std::move(model);
  o.prompt_tokens = fixed_length(32);
  o.max_tokens = fixed_length(8);
  o.seed = seed;
  return o;
}

LoadDescription closed_loop(int concurrency) {
  LoadDescription load;
  load.mode = "closed_loop";
  load.concurrency = {concurrency};
  load.requests = "100";
  load.seed = 1;
  return load;
}

TEST(Sha256, MatchesTheStandardTestVectors) {
  // FIPS 180-2, appendix B.1, and the empty message.
  EXPECT_EQ(sha256_hex("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Fingerprint, TheSameWorkloadOnAnotherEngineIsTheSame) {
  const SyntheticWorkload vllm(options(7, "meta-llama/Llama-3.1-8B-Instruct"),
                               estimated_calibration());
  const SyntheticWorkload ollama(options(7, "llama3.1:8b"), estimated_calibration());
  const Fingerprint a = fingerprint(vllm, 50, closed_loop(4));
  const Fingerprint b = fingerprint(ollama, 50, closed_loop(4));
  EXPECT_EQ(a.workload, b.workload);  // the model name is the engine's, left out
  EXPECT_TRUE(fingerprint_differences(a, b).empty());
  EXPECT_EQ(a.workload.rfind("sha256:", 0), 0u);
  EXPECT_EQ(a.workload.size(), 7u + 64u);
  EXPECT_EQ(a.requests_hashed, 50u);
}

TEST(Fingerprint, EachPartThatDiffersIsNamed) {
  const SyntheticWorkload base(options(7), estimated_calibration());
  const Fingerprint a = fingerprint(base, 50, closed_loop(4));

  SyntheticOptions prefixed = options(7);  // other texts, the same lengths and seed
  prefixed.prefix_tokens = 8;
  const SyntheticWorkload other_prompts(prefixed, estimated_calibration());
  EXPECT_EQ(fingerprint_differences(a, fingerprint(other_prompts, 50, closed_loop(4))),
            (std::vector<std::string>{"prompts"}));

  SyntheticOptions longer = options(7);
  longer.max_tokens = fixed_length(16);
  const SyntheticWorkload other_lengths(longer, estimated_calibration());
  EXPECT_EQ(fingerprint_differences(a, fingerprint(other_lengths, 50, closed_loop(4))),
            (std::vector<std::string>{"lengths"}));

  EXPECT_EQ(fingerprint_differences(a, fingerprint(base, 50, closed_loop(8))),
            (std::vector<std::string>{"load"}));
  const auto fewer = fingerprint_differences(a, fingerprint(base, 49, closed_loop(4)));
  EXPECT_EQ(fewer.front(), "requests hashed");
  EXPECT_NE(a.workload, fingerprint(base, 49, closed_loop(4)).workload);
}

TEST(Fingerprint, FieldsAreFramedSoShiftedBytesHashApart) {
  LoadDescription one = closed_loop(4), two = closed_loop(4);
  one.warmup = "ab";
  one.cooldown = "c";
  two.warmup = "a";
  two.cooldown = "bc";
  const SyntheticWorkload base(options(7), estimated_calibration());
  EXPECT_NE(fingerprint(base, 1, one).load, fingerprint(base, 1, two).load);
}

}  // namespace
}  // namespace llmbench::workload
