#include "workload/dataset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "workload/five_byte_counter.h"
#include "workload/line_reader.h"

namespace llmbench::workload {
namespace {

namespace fs = std::filesystem;

fs::path write(const std::string& name, const std::string& text) {
  const fs::path path =
      fs::temp_directory_path() / ("llmbench-ds-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

const std::string kShareGpt = R"([
  {"id": "a", "conversations": [
     {"from": "system", "value": "Be brief."},
     {"from": "human", "value": "What is \"TTFT\"? [not a bracket] {nor a brace}"},
     {"from": "gpt", "value": "Time to first token, in short."}]},
  {"id": "b", "conversations": [{"from": "gpt", "value": "no human here"}]},
  {"id": "c", "conversations": [{"from": "human", "value": "Second\nline é"},
                                {"from": "gpt", "value": "ok"}]},
  "not an object",
  {"id": "d", "conversations": "broken"}
]
)";

TEST(Dataset, ShareGptStreamsAtEveryChunkSizeWithLineNumbers) {
  const fs::path path = write("share.json", kShareGpt);
  for (std::size_t chunk = 1; chunk <= kShareGpt.size(); ++chunk) {
    DatasetOptions o;
    o.path = path.string();
    o.format = DatasetFormat::kShareGpt;
    o.read_chunk = chunk;
    auto d = load_dataset(o);
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->read, 2u) << "chunk " << chunk;
    EXPECT_EQ(d->skipped, 3u);
    ASSERT_EQ(d->records[0].messages.size(), 3u);  // system, user, the recorded reply
    EXPECT_EQ(d->records[0].messages[0].role, "system");
    EXPECT_EQ(d->records[0].messages[1].content, "What is \"TTFT\"? [not a bracket] {nor a brace}");
    EXPECT_EQ(d->records[0].reply_words, std::vector<std::int64_t>{6});
    EXPECT_EQ(d->records[1].messages[0].content, "Second\nline \xC3\xA9");
    ASSERT_EQ(d->problems.size(), 3u);
    EXPECT_NE(d->problems[0].find(":6: no human turn"), std::string::npos) << d->problems[0];
    EXPECT_NE(d->problems[1].find(":9: an element must be an object"), std::string::npos);
    EXPECT_NE(d->problems[2].find(":10: no \"conversations\" array"), std::string::npos);
  }
  fs::remove(path);
}

TEST(Dataset, ShareGptConversationsGrowTurnByTurn) {
  const fs::path path = write(
      "turns.json",
      R"([{"conversations": [{"from": "human", "value": "u1"}, {"from": "gpt", "value": "a1 a1"},
                             {"from": "human", "value": "u2"}, {"from": "human", "value": "u2b"},
                             {"from": "gpt", "value": "a2 a2 a2"},
                             {"from": "human", "value": "u3"}, {"from": "gpt", "value": "a3"}]},
          {"conversations": [{"from": "human", "value": "short"}, {"from": "gpt", "value": "x"}]}])");
  DatasetOptions o;
  o.path = path.string();
  o.format = DatasetFormat::kShareGpt;
  o.turns = 3;
  auto d = load_dataset(o);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->read, 1u);
  EXPECT_EQ(d->too_short, 1u);
  EXPECT_EQ(d->skipped, 0u);
  SyntheticOptions w;
  w.api = ApiKind::kChat;
  w.turns = 3;
  w.max_tokens = *parse_length_distribution("empirical", LengthOf::kOutput);
  const DatasetWorkload workload(std::move(*d), w);
  EXPECT_EQ(workload.turns(), 3u);
  const RequestSpec t0 = workload.make(0), t1 = workload.make(1), t2 = workload.make(2);
  ASSERT_EQ(t0.messages.size(), 1u);
  EXPECT_EQ(t0.max_tokens, 2);
  ASSERT_EQ(t1.messages.size(), 3u);
  EXPECT_EQ(t1.messages[1].content, "a1 a1");
  EXPECT_EQ(t1.messages[2].content, "u2\nu2b");
  EXPECT_EQ(t1.max_tokens, 3);
  ASSERT_EQ(t2.messages.size(), 5u);
  EXPECT_EQ(t2.messages[4].content, "u3");
  EXPECT_EQ(workload.make(3).messages.size(), 1u);  // the next conversation (cycled)
  fs::remove(path);
}

TEST(Dataset, FailPolicyStopsAtTheFirstBadRecordNamingFileAndLine) {
  const fs::path path = write("fail.json", kShareGpt);
  DatasetOptions o;
  o.path = path.string();
  o.format = DatasetFormat::kShareGpt;
  o.on_bad_record = OnBadRecord::kFail;
  auto d = load_dataset(o);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find(path.string() + ":6: no human turn"), std::string::npos)
      << d.error().message;
  fs::remove(path);
}

TEST(Dataset, TruncatedShareGptIsAnError) {
  const fs::path path = write("cut.json", kShareGpt.substr(0, 120));
  DatasetOptions o;
  o.path = path.string();
  o.format = DatasetFormat::kShareGpt;
  auto d = load_dataset(o);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("not closed"), std::string::npos) << d.error().message;
  fs::remove(path);
}

TEST(Dataset, JsonlPromptsMessagesAndBadLines) {
  const fs::path path = write("d.jsonl",
                              "{\"prompt\": \"hello there\", \"max_tokens\": 12}\n"
                              "\n"
                              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\r\n"
                              "{\"prompt\": 5}\n"
                              "not json at all\n"
                              "{\"prompt\": \"x\", \"max_tokens\": 0}\n"
                              "{\"other\": 1}\n");
  DatasetOptions o;
  o.path = path.string();
  o.format = DatasetFormat::kJsonl;
  auto d = load_dataset(o);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->read, 2u);
  EXPECT_EQ(d->skipped, 4u);
  EXPECT_EQ(d->records[0].max_tokens, 12);
  EXPECT_EQ(d->records[1].messages[0].content, "hi");
  ASSERT_EQ(d->problems.size(), 4u);
  EXPECT_NE(d->problems[0].find(":4: \"prompt\" must be a string"), std::string::npos)
      << d->problems[0];
  EXPECT_NE(d->problems[1].find(":5: "), std::string::npos);
  EXPECT_NE(d->problems[2].find(":6: \"max_tokens\""), std::string::npos);
  EXPECT_NE(d->problems[3].find(":7: neither"), std::string::npos);
  fs::remove(path);
}

TEST(Dataset, SampleIsBoundedUniformAndSeeded) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "prompt number " + std::to_string(i) + "\n";
  const fs::path path = write("t.txt", text);
  DatasetOptions o;
  o.path = path.string();
  o.format = DatasetFormat::kText;
  o.sample = 50;
  o.seed = 1;
  auto a = load_dataset(o), b = load_dataset(o);
  o.seed = 2;
  auto c = load_dataset(o);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->read, 1000u);
  ASSERT_EQ(a->records.size(), 50u);
  EXPECT_EQ(a->records[7].messages[0].content, b->records[7].messages[0].content);
  bool differs = false;
  for (std::size_t i = 0; i < 50; ++i)
    differs |= a->records[i].messages[0].content != c->records[i].messages[0].content;
  EXPECT_TRUE(differs);
  // Uniform: the sample reaches the second half of the file.
  int late = 0;
  for (const auto& r : a->records) late += std::stoi(r.messages[0].content.substr(14)) >= 500;
  EXPECT_GT(late, 10);
  fs::remove(path);
}

TEST(Dataset, WorkloadCyclesTheRecordsInASeededOrder) {
  Dataset d;
  for (int i = 0; i < 5; ++i) d.records.push_back({{{"user", "p" + std::to_string(i)}}, 7, {}});
  SyntheticOptions o;
  o.max_tokens = *parse_length_distribution("empirical", LengthOf::kOutput);
  o.seed = 3;
  const DatasetWorkload w(d, o);
  std::set<std::string> seen;
  for (std::uint64_t i = 0; i < 5; ++i) seen.insert(w.make(i).prompt);
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(w.make(0).prompt, w.make(5).prompt);
  EXPECT_EQ(w.make(2).max_tokens, 7);
}

TEST(Dataset, CorpusSlicesAreVerifiedToTheirTargetLength) {
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += "a short line of text\nthen some extraordinarily long words\n";
  const fs::path path = write("corpus.txt", text);
  auto corpus = load_corpus(path.string(), 1'000'000);
  ASSERT_TRUE(corpus) << corpus.error().message;
  EXPECT_EQ(corpus->lines, 600u);
  EXPECT_FALSE(corpus->truncated);
  auto capped = load_corpus(path.string(), 10);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->words.size(), 10u);
  EXPECT_TRUE(capped->truncated);

  FiveByteCounter counter;
  PromptCalibration calibration = *calibrate(counter, TokenMethod::kLocalTokenizer, "test");
  calibration.tokens_per_word = 1.4;
  SyntheticOptions o;
  o.prompt_tokens = *parse_length_distribution("uniform:40:400", LengthOf::kPrompt);
  o.seed = 5;
  CorpusWorkload w(*corpus, o, calibration);
  auto stats = w.verify(counter, 50);
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->verified, 50u);
  std::uint64_t exact = 0;
  for (std::uint64_t i = 0; i < 50; ++i) {
    const RequestSpec spec = w.make(i);
    exact += *counter.count(spec.prompt) == spec.prompt_tokens_target;
  }
  // Words here are 1–3 tokens: most targets are reachable, and verify() counts the others.
  EXPECT_EQ(exact, 50u - stats->missed);
  EXPECT_GT(exact, 35u);
  EXPECT_NE(w.make(0).prompt, w.make(1).prompt);
  fs::remove(path);
}

TEST(Dataset, FormatNamesAndGuesses) {
  EXPECT_EQ(parse_dataset_format("text-slice"), DatasetFormat::kTextSlice);
  EXPECT_EQ(guess_dataset_format("a/ShareGPT_V3.json"), DatasetFormat::kShareGpt);
  EXPECT_EQ(guess_dataset_format("x.jsonl"), DatasetFormat::kJsonl);
  EXPECT_EQ(guess_dataset_format("corpus.txt"), DatasetFormat::kText);
  EXPECT_FALSE(parse_dataset_format("csv"));
}

// Issue 10 (class 4): lines are read with a bound, at every chunk size.
TEST(LineReader, SplitsAtEveryChunkSizeAndStopsAtTheBound) {
  const std::string text = "one\ntwo\r\n\nthree is longer\nlast";
  const std::vector<std::string> want = {"one", "two\r", "", "three is longer", "last"};
  for (std::size_t chunk = 1; chunk <= text.size() + 1; ++chunk) {
    std::istringstream in(text);
    LineReader lines(in, 15, chunk);
    std::string line;
    for (std::size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(lines.next(line), LineReader::Status::kLine) << "chunk " << chunk;
      EXPECT_EQ(line, want[i]);
      EXPECT_EQ(lines.number(), i + 1);
    }
    EXPECT_EQ(lines.next(line), LineReader::Status::kEnd);
    std::istringstream longer(text);
    LineReader bounded(longer, 14, chunk);  // "three is longer" is 15 bytes
    for (int i = 0; i < 3; ++i) ASSERT_EQ(bounded.next(line), LineReader::Status::kLine);
    EXPECT_EQ(bounded.next(line), LineReader::Status::kTooLong);
    EXPECT_EQ(bounded.number(), 4u);
    EXPECT_LE(line.size(), 14u);
  }
}

TEST(LineReader, AnExcerptIsShortAndPrintable) {
  EXPECT_EQ(excerpt("abc"), "'abc'");
  EXPECT_EQ(excerpt(std::string(3, '\0')), "'\\x00\\x00\\x00'");
  EXPECT_EQ(excerpt(std::string(1000, 'x')), "'" + std::string(40, 'x') + "…'");
}

void expect_too_long(const Expected<Dataset>& d, const std::string& where) {
  ASSERT_FALSE(d) << "accepted";
  const std::string& m = d.error().message;
  EXPECT_NE(m.find(where), std::string::npos) << m;
  EXPECT_NE(m.find("longer than 1 KiB (the limit)"), std::string::npos) << m;
  EXPECT_LT(m.size(), where.size() + 150) << m;  // the line itself is not echoed
}

TEST(Dataset, AnOversizedLineOrRecordIsAnErrorNamingFileLineAndLimit) {
  const std::string big(5000, 'x');
  struct Case {
    DatasetFormat format;
    std::string text;
    std::string line;
  };
  const std::vector<Case> cases = {
      {DatasetFormat::kText, "short\n" + big + "\nshort\n", ":2:"},
      {DatasetFormat::kJsonl, "{\"prompt\":\"a\"}\n{\"prompt\":\"" + big + "\"}\n", ":2:"},
      {DatasetFormat::kShareGpt,
       "[\n{\"conversations\":[{\"from\":\"human\",\"value\":\"hi\"}]},\n{\"conversations\":[{"
       "\"from\":\"human\",\"value\":\"" +
           big + "\"}]}]",
       ":3:"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(to_string(c.format)));
    const fs::path path = write("big", c.text);
    for (const OnBadRecord policy : {OnBadRecord::kSkip, OnBadRecord::kFail}) {
      DatasetOptions o;
      o.path = path.string();
      o.format = c.format;
      o.on_bad_record = policy;
      o.max_record_bytes = 1024;
      o.read_chunk = 97;
      expect_too_long(load_dataset(o), path.string() + c.line);
    }
    fs::remove(path);
  }
  const fs::path path = write("big.txt", "a b c\n" + big + "\n");
  auto corpus = load_corpus(path.string(), 100, 1024);
  ASSERT_FALSE(corpus);
  EXPECT_NE(corpus.error().message.find(path.string() + ":2: a line is longer than 1 KiB"),
            std::string::npos)
      << corpus.error().message;
  fs::remove(path);
}

// /dev/zero: no line end, ever. Each reader stops at its bound (before: read until memory
// ran out, or for ShareGPT, forever).
TEST(Dataset, DevZeroIsAnErrorNotAnEndlessRead) {
  for (const DatasetFormat format :
       {DatasetFormat::kText, DatasetFormat::kJsonl, DatasetFormat::kShareGpt}) {
    SCOPED_TRACE(std::string(to_string(format)));
    DatasetOptions o;
    o.path = "/dev/zero";
    o.format = format;
    o.max_record_bytes = 1024;
    auto d = load_dataset(o);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("/dev/zero:1: "), std::string::npos) << d.error().message;
    EXPECT_LT(d.error().message.size(), 200u) << d.error().message;
  }
  // At the real limit too (64 MiB read, then the error).
  DatasetOptions o;
  o.path = "/dev/zero";
  auto d = load_dataset(o);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("/dev/zero:1: a line is longer than 64 MiB (the limit)"),
            std::string::npos)
      << d.error().message;
  EXPECT_LT(d.error().message.size(), 250u);
  auto corpus = load_corpus("/dev/zero", 100, 1024);
  ASSERT_FALSE(corpus);
}

}  // namespace
}  // namespace llmbench::workload
