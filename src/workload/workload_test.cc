#include "workload/workload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "workload/arrival.h"
#include "workload/five_byte_counter.h"

namespace llmbench::workload {
namespace {

SyntheticOptions options(std::uint64_t seed) {
  SyntheticOptions o;
  o.model = "m";
  o.prompt_tokens = fixed_length(32);
  o.max_tokens = fixed_length(8);
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

SyntheticWorkload estimated(const SyntheticOptions& o) {
  return SyntheticWorkload(o, estimated_calibration());
}

TEST(SyntheticWorkload, SameSeedSamePromptsDifferentSeedDifferentPrompts) {
  const SyntheticWorkload a = estimated(options(1)), b = estimated(options(1)),
                          c = estimated(options(2));
  for (std::uint64_t i = 0; i < 20; ++i) {
    EXPECT_EQ(a.make(i).prompt, b.make(i).prompt);
    EXPECT_NE(a.make(i).prompt, c.make(i).prompt);
  }
  EXPECT_NE(a.make(0).prompt, a.make(1).prompt) << "prompts must be unique per request";
}

// Acceptance: the same seed gives a byte-identical workload (every field of every request,
// with distributions, prefixes and conversations), another seed other prompts.
TEST(SyntheticWorkload, SameSeedIsByteIdenticalWithEveryShape) {
  auto serialize = [](const RequestSpec& s) {
    std::string out = std::to_string(s.id) + "|" + s.model + "|" + s.prompt + "|" +
                      std::to_string(s.prompt_tokens_target) + "|" + std::to_string(s.max_tokens);
    for (const auto& m : s.messages) out += "|" + m.role + ":" + m.content;
    return out;
  };
  auto workload = [](std::uint64_t seed, ApiKind api) {
    SyntheticOptions o = options(seed);
    o.api = api;
    o.prompt_tokens = *parse_length_distribution("lognormal:60:0.4:20:200", LengthOf::kPrompt);
    o.max_tokens = *parse_length_distribution("uniform:5:50", LengthOf::kOutput);
    o.prefix_tokens = 10;
    o.prefix_groups = 3;
    o.turns = 3;
    return SyntheticWorkload(o, estimated_calibration());
  };
  for (const ApiKind api : {ApiKind::kCompletions, ApiKind::kChat}) {
    const SyntheticWorkload a = workload(42, api), b = workload(42, api), c = workload(43, api);
    std::string all_a, all_b, all_c;
    // Built in different orders: a request does not depend on which were made before it.
    for (std::uint64_t i = 0; i < 300; ++i) all_a += serialize(a.make(i)) + "\n";
    for (std::uint64_t i = 300; i-- > 0;) all_b = serialize(b.make(i)) + "\n" + all_b;
    for (std::uint64_t i = 0; i < 300; ++i) all_c += serialize(c.make(i)) + "\n";
    EXPECT_EQ(all_a, all_b);
    EXPECT_NE(all_a, all_c);
    for (std::uint64_t i = 0; i < 300; ++i) EXPECT_NE(serialize(a.make(i)), serialize(c.make(i)));
  }
}

TEST(SyntheticWorkload, EstimatePromptHasTheRequestedWordsAndSpecCarriesTheOptions) {
  const RequestSpec spec = estimated(options(3)).make(5);
  EXPECT_EQ(spec.id, 5u);
  EXPECT_EQ(words(spec.prompt), 32);
  EXPECT_EQ(spec.prompt_tokens_target, 32);
  EXPECT_EQ(spec.max_tokens, 8);
}

TEST(SyntheticWorkload, ChatPutsThePromptInAUserMessage) {
  SyntheticOptions o = options(1);
  o.api = ApiKind::kChat;
  const RequestSpec spec = estimated(o).make(0);
  ASSERT_EQ(spec.messages.size(), 1u);
  EXPECT_EQ(spec.messages[0].role, "user");
  EXPECT_EQ(spec.messages[0].content, estimated(options(1)).make(0).prompt);
}

TEST(SyntheticWorkload, CalibratedPromptsCountExactlyTheirTarget) {
  FiveByteCounter counter;
  auto calibration = calibrate(counter, TokenMethod::kLocalTokenizer, "test");
  ASSERT_TRUE(calibration) << calibration.error().message;
  EXPECT_EQ(calibration->offset, 1);  // the BOS
  EXPECT_EQ(std::count(calibration->words.begin(), calibration->words.end(), "government"), 0)
      << "a two-token word must not be in the vocabulary";
  for (const std::int64_t target : {2, 16, 512, 3000}) {
    SyntheticOptions o = options(9);
    o.prompt_tokens = fixed_length(target);
    SyntheticWorkload w(o, *calibration);
    for (std::uint64_t i = 0; i < 20; ++i) {
      const RequestSpec spec = w.make(i);
      EXPECT_EQ(spec.prompt_tokens_target, target);
      EXPECT_EQ(*counter.count(spec.prompt), target) << "request " << i;
    }
  }
}

TEST(SyntheticWorkload, VerifyCorrectsPromptsThatMissAndCountsThem) {
  FiveByteCounter counter;
  // A calibration that is off by two (as if the engine's constant had changed).
  PromptCalibration wrong = *calibrate(counter, TokenMethod::kEngineTokenize, "test");
  wrong.offset += 2;
  SyntheticOptions o = options(4);
  o.prompt_tokens = fixed_length(100);
  SyntheticWorkload w(o, wrong);
  EXPECT_NE(*counter.count(w.make(0).prompt), 100);
  auto stats = w.verify(counter, 10);
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->verified, 10u);
  EXPECT_EQ(stats->corrected, 10u);
  EXPECT_EQ(stats->missed, 0u);
  for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(*counter.count(w.make(i).prompt), 100);
}

TEST(SyntheticWorkload, SharedPrefixGroups) {
  SyntheticOptions o = options(5);
  o.prompt_tokens = fixed_length(40);
  o.prefix_tokens = 30;
  o.prefix_groups = 2;
  const SyntheticWorkload w = estimated(o);
  auto first_words = [](const std::string& text, int n) {
    std::size_t at = 0;
    for (int i = 0; i < n; ++i) at = text.find(' ', at) + 1;
    return text.substr(0, at);
  };
  const std::string p0 = w.make(0).prompt, p1 = w.make(1).prompt, p2 = w.make(2).prompt;
  EXPECT_EQ(first_words(p0, 30), first_words(p2, 30));  // group 0
  EXPECT_NE(first_words(p0, 30), first_words(p1, 30));  // group 1
  EXPECT_NE(p0, p2) << "the part after the prefix is unique";
  EXPECT_EQ(words(p0), 40);
}

TEST(SyntheticWorkload, MultiTurnHistoryGrowsTurnByTurn) {
  SyntheticOptions o = options(6);
  o.api = ApiKind::kChat;
  o.turns = 3;
  o.prompt_tokens = fixed_length(10);
  o.max_tokens = fixed_length(5);
  const SyntheticWorkload w = estimated(o);
  EXPECT_EQ(w.turns(), 3u);
  const RequestSpec t0 = w.make(3), t1 = w.make(4), t2 = w.make(5);  // conversation 1
  ASSERT_EQ(t0.messages.size(), 1u);
  ASSERT_EQ(t1.messages.size(), 3u);
  ASSERT_EQ(t2.messages.size(), 5u);
  EXPECT_EQ(t1.messages[0].content, t0.messages[0].content);
  EXPECT_EQ(t2.messages[1].content, t1.messages[1].content);
  EXPECT_EQ(t1.messages[1].role, "assistant");
  EXPECT_EQ(words(t1.messages[1].content), 5);
  EXPECT_EQ(t2.prompt_tokens_target, 10 + 5 + 10 + 5 + 10);
  EXPECT_NE(w.make(0).messages[0].content, t0.messages[0].content);
  // A chat template's tokens for each earlier message are part of the target.
  PromptCalibration templated = estimated_calibration();
  templated.per_message = 3;
  const SyntheticWorkload with_template(o, templated);
  EXPECT_EQ(with_template.make(5).prompt_tokens_target, 40 + 4 * 3);
  EXPECT_EQ(with_template.make(3).prompt_tokens_target, 10);
}

TEST(SyntheticWorkload, LengthDistributionsDrawPerRequest) {
  SyntheticOptions o = options(7);
  o.prompt_tokens = *parse_length_distribution("uniform:10:20", LengthOf::kPrompt);
  o.max_tokens = *parse_length_distribution("normal:50:10:40:60", LengthOf::kOutput);
  const SyntheticWorkload w = estimated(o);
  std::set<std::int64_t> prompts, outputs;
  for (std::uint64_t i = 0; i < 300; ++i) {
    const RequestSpec spec = w.make(i);
    ASSERT_GE(spec.prompt_tokens_target, 10);
    ASSERT_LE(spec.prompt_tokens_target, 20);
    ASSERT_GE(spec.max_tokens, 40);
    ASSERT_LE(spec.max_tokens, 60);
    EXPECT_EQ(words(spec.prompt), spec.prompt_tokens_target);
    prompts.insert(spec.prompt_tokens_target);
    outputs.insert(spec.max_tokens);
  }
  EXPECT_EQ(prompts.size(), 11u);
  EXPECT_GT(outputs.size(), 10u);
}

TEST(LengthDistribution, ParsesEveryFormAndRefusesNonsense) {
  EXPECT_EQ(parse_length_distribution("128", LengthOf::kPrompt)->describe(), "128");
  EXPECT_EQ(parse_length_distribution("fixed:64", LengthOf::kPrompt)->describe(), "64");
  EXPECT_EQ(parse_length_distribution("uniform:1:9", LengthOf::kPrompt)->describe(), "uniform:1:9");
  EXPECT_EQ(parse_length_distribution("short", LengthOf::kPrompt)->describe(), "uniform:5:20");
  EXPECT_EQ(parse_length_distribution("short", LengthOf::kOutput)->describe(), "uniform:10:50");
  EXPECT_EQ(parse_length_distribution("long", LengthOf::kPrompt)->describe(), "uniform:1000:4000");
  EXPECT_EQ(parse_length_distribution("normal:300:50:100:500", LengthOf::kPrompt)->describe(),
            "normal:300:50:100:500");
  EXPECT_EQ(parse_length_distribution("uniform:7:9", LengthOf::kPrompt)->lower_bound(), 7);
  EXPECT_EQ(parse_length_distribution("normal:300:50:100:500", LengthOf::kPrompt)->lower_bound(),
            100);
  EXPECT_EQ(parse_length_distribution("64", LengthOf::kPrompt)->lower_bound(), 64);
  EXPECT_TRUE(parse_length_distribution("context-limit", LengthOf::kPrompt));
  EXPECT_FALSE(parse_length_distribution("context-limit", LengthOf::kOutput));
  for (const char* bad : {"", "0", "-3", "1.5", "uniform:5", "uniform:9:1", "normal:1",
                          "lognormal:0:1", "poisson:3", "short:4", "12abc"}) {
    auto d = parse_length_distribution(bad, LengthOf::kPrompt);
    EXPECT_FALSE(d) << bad;
    if (!d) {
      EXPECT_NE(d.error().message.find(std::string("'") + bad + "'"), std::string::npos);
    }
  }
}

TEST(LengthDistribution, LognormalHasTheRequestedMedian) {
  const auto d = *parse_length_distribution("lognormal:200:0.5", LengthOf::kOutput);
  std::mt19937_64 rng(1);
  std::vector<std::int64_t> v;
  for (int i = 0; i < 20001; ++i) v.push_back(d.sample(rng));
  std::nth_element(v.begin(), v.begin() + 10000, v.end());
  EXPECT_NEAR(static_cast<double>(v[10000]), 200.0, 6.0);
}

// Issue 10 (class 4): a trace line has a bound, an error echoes at most 40 bytes of it, and
// times more than 31 days after the first (waiting for years) are refused.
TEST(Arrivals, TraceLinesAreBoundedAndErrorsDoNotEchoTheFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("llmbench_trace_limits_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "long.txt") << "1.0\n" << std::string(5000, '7') << "\n";
    std::ofstream(dir / "junk.txt") << "1.0\n" << std::string(3000, 'q') << "\n";
    std::ofstream(dir / "far.txt") << "0\n1e9\n";
  }
  auto long_line = load_trace(dir / "long.txt", 1024);
  ASSERT_FALSE(long_line);
  EXPECT_NE(long_line.error().message.find("long.txt:2: a line is longer than 1 KiB (the limit)"),
            std::string::npos)
      << long_line.error().message;
  auto junk = load_trace(dir / "junk.txt");
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().message.find("junk.txt:2: "), std::string::npos);
  EXPECT_LT(junk.error().message.size(), 200u) << junk.error().message;
  auto far = load_trace(dir / "far.txt");
  ASSERT_FALSE(far);
  EXPECT_NE(far.error().message.find("far.txt:2: "), std::string::npos) << far.error().message;
  auto zero = load_trace("/dev/zero");
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("/dev/zero:1: a line is longer than 1 MiB"),
            std::string::npos)
      << zero.error().message;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace llmbench::workload

namespace llmbench::workload {
namespace {

ArrivalOptions at_rate(ArrivalKind kind, double rate, std::uint64_t seed, double burstiness = 1) {
  ArrivalOptions o;
  o.kind = kind;
  o.rates = {RatePoint{0, rate}};
  o.seed = seed;
  o.burstiness = burstiness;
  return o;
}

std::vector<double> gaps_of(const std::vector<double>& offsets) {
  std::vector<double> gaps;
  for (std::size_t i = 1; i < offsets.size(); ++i) gaps.push_back(offsets[i] - offsets[i - 1]);
  return gaps;
}

// Kolmogorov–Smirnov statistic of `sample` against the exponential CDF with `rate`.
double ks_exponential(std::vector<double> sample, double rate) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double d = 0;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const double cdf = 1 - std::exp(-rate * sample[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - cdf, cdf - static_cast<double>(i) / n});
  }
  return d;
}

TEST(Arrivals, PoissonGapsPassKolmogorovSmirnov) {
  for (std::uint64_t seed : {1u, 2u, 3u, 42u, 1000u}) {
    auto schedule = build_schedule(at_rate(ArrivalKind::kPoisson, 250, seed), 5001, std::nullopt);
    ASSERT_TRUE(schedule);
    const std::vector<double> gaps = gaps_of(*schedule);
    ASSERT_EQ(gaps.size(), 5000u);
    // Critical value at α = 0.01 is 1.628 / √n.
    EXPECT_LT(ks_exponential(gaps, 250), 1.628 / std::sqrt(5000.0)) << "seed " << seed;
    // The test has power: gaps from a constant process, or the wrong rate, fail it.
    EXPECT_GT(ks_exponential(gaps, 200), 1.628 / std::sqrt(5000.0));
  }
  auto constant = build_schedule(at_rate(ArrivalKind::kConstant, 250, 1), 5001, std::nullopt);
  EXPECT_GT(ks_exponential(gaps_of(*constant), 250), 0.3);
}

TEST(Arrivals, GammaMatchesMeanAndCoefficientOfVariation) {
  for (const double burstiness : {0.25, 1.0, 4.0}) {
    auto schedule =
        build_schedule(at_rate(ArrivalKind::kGamma, 100, 7, burstiness), 40001, std::nullopt);
    ASSERT_TRUE(schedule);
    const std::vector<double> gaps = gaps_of(*schedule);
    double sum = 0, squares = 0;
    for (const double g : gaps) sum += g;
    const double mean = sum / static_cast<double>(gaps.size());
    for (const double g : gaps) squares += (g - mean) * (g - mean);
    const double cv = std::sqrt(squares / static_cast<double>(gaps.size() - 1)) / mean;
    EXPECT_NEAR(mean, 0.01, 0.01 * 0.03) << burstiness;
    EXPECT_NEAR(cv, 1 / std::sqrt(burstiness), 0.05 / std::sqrt(burstiness)) << burstiness;
  }
}

TEST(Arrivals, ConstantIsEvenlySpacedFromZero) {
  auto schedule = build_schedule(at_rate(ArrivalKind::kConstant, 4, 0), std::nullopt, 2.0);
  ASSERT_TRUE(schedule);
  EXPECT_EQ(*schedule, (std::vector<double>{0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75}));
}

TEST(Arrivals, SameSeedSameScheduleOtherSeedOther) {
  const auto a = build_schedule(at_rate(ArrivalKind::kPoisson, 50, 9), 100, std::nullopt);
  const auto b = build_schedule(at_rate(ArrivalKind::kPoisson, 50, 9), 100, std::nullopt);
  const auto c = build_schedule(at_rate(ArrivalKind::kPoisson, 50, 10), 100, std::nullopt);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(Arrivals, RampFollowsTheRateSchedule) {
  // 0 → 100 req/s over 10 s, then 100 req/s held: Λ(10) = 500, Λ(5) = 125, Λ(12) = 700.
  auto points = parse_rate_schedule("0:0, 10s:100");
  ASSERT_TRUE(points) << points.error().message;
  ArrivalOptions o;
  o.kind = ArrivalKind::kConstant;
  o.rates = *points;
  auto schedule = build_schedule(o, std::nullopt, 12.0);
  ASSERT_TRUE(schedule);
  auto before = [&](double t) {
    return std::count_if(schedule->begin(), schedule->end(), [t](double x) { return x < t; });
  };
  EXPECT_NEAR(static_cast<double>(before(5)), 125, 1);
  EXPECT_NEAR(static_cast<double>(before(10)), 500, 1);
  EXPECT_EQ(schedule->size(), 700u);
  // A spike: 10 req/s, 100 req/s for 1 s, 10 again.
  o.rates = *parse_rate_schedule("0:10,2:10,2:100,3:100,3:10");
  schedule = build_schedule(o, std::nullopt, 5.0);
  EXPECT_EQ(schedule->size(), 140u);
  EXPECT_NEAR(static_cast<double>(before(3) - before(2)), 100, 1);
}

TEST(Arrivals, RateScheduleErrorsSayWhatIsWrong) {
  EXPECT_NE(parse_rate_schedule("5s:10").error().message.find("first point must be at 0"),
            std::string::npos);
  EXPECT_NE(parse_rate_schedule("0:10,20s:5,10s:3").error().message.find("backwards"),
            std::string::npos);
  EXPECT_NE(parse_rate_schedule("0:ten").error().message.find("rate"), std::string::npos);
  EXPECT_NE(parse_rate_schedule("0:0,5s:0").error().message.find("every rate is 0"),
            std::string::npos);
  ASSERT_TRUE(parse_rate_schedule("0:10,1m:20,90:5"));
  EXPECT_DOUBLE_EQ((*parse_rate_schedule("0:10,1m:20,90:5"))[1].at, 60);
}

TEST(Arrivals, TraceIsRelativeToItsFirstLineAndErrorsNameTheLine) {
  const auto dir = std::filesystem::temp_directory_path() / "llmbench_trace_test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "ok.txt") << "# arrival times\n100.5\n100.75,extra\n\n101.5\n";
    std::ofstream(dir / "bad.txt") << "1.0\n2.0\nsoon\n";
    std::ofstream(dir / "back.txt") << "1.0\n0.5\n";
  }
  auto ok = load_trace(dir / "ok.txt");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok, (std::vector<double>{0, 0.25, 1.0}));
  EXPECT_NE(load_trace(dir / "bad.txt").error().message.find("bad.txt:3:"), std::string::npos);
  EXPECT_NE(load_trace(dir / "back.txt").error().message.find("back.txt:2:"), std::string::npos);
  EXPECT_FALSE(load_trace(dir / "missing.txt"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace llmbench::workload
