#include "workload/workload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "workload/arrival.h"

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
