#include "workload/tokenizer.h"

#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace llmbench::workload {
namespace {

using Json = nlohmann::json;

// A byte-level BPE over a tiny vocabulary: the 256 byte symbols, then merges
// "Ġ t" → "Ġt", "h e" → "he", "Ġt he" → "Ġthe", "l o" → "lo".
Json byte_level_tokenizer() {
  Json vocab = Json::object();
  // GPT-2's byte alphabet: printable bytes map to themselves, the rest to 256+.
  int next = 256;
  TokenId id = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    const int cp = printable ? b : next++;
    std::string utf8;
    if (cp < 0x80) {
      utf8 = std::string(1, static_cast<char>(cp));
    } else {
      utf8 = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    }
    vocab[utf8] = id++;
  }
  for (const char* t : {"\xC4\xA0t", "he", "\xC4\xA0the", "lo"}) vocab[t] = id++;
  return Json{
      {"added_tokens", Json::array({Json{{"id", 900}, {"content", "<|end|>"}, {"special", true}}})},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", Json::array({Json{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                Json{{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})}}},
      {"model",
       {{"type", "BPE"},
        {"vocab", vocab},
        {"merges", Json::array({"\xC4\xA0 t", "h e", "\xC4\xA0t he", "l o"})}}}};
}

std::unique_ptr<Tokenizer> parse(const Json& j) {
  auto t = parse_hf_tokenizer(j.dump(), "test.json");
  EXPECT_TRUE(t) << (t ? "" : t.error().message);
  return t ? std::move(*t) : nullptr;
}

TEST(HfTokenizer, ByteLevelBpeMergesByRank) {
  auto t = parse(byte_level_tokenizer());
  ASSERT_TRUE(t);
  // "the the": "t","he" (no leading space: "Ġt" cannot apply), then "Ġthe".
  EXPECT_EQ(t->encode("the the"), (std::vector<TokenId>{'t', 257, 258}));
  EXPECT_EQ(t->special_tokens_added(), 1);
}

TEST(HfTokenizer, AddedTokensSplitTheTextAndKeepTheirIds) {
  auto t = parse(byte_level_tokenizer());
  ASSERT_TRUE(t);
  const auto ids = t->encode("lo<|end|>lo");
  EXPECT_EQ(ids, (std::vector<TokenId>{259, 900, 259}));
}

TEST(HfTokenizer, EveryByteIsEncodable) {
  auto t = parse(byte_level_tokenizer());
  ASSERT_TRUE(t);
  std::string all;
  for (int b = 1; b < 256; ++b) all.push_back(static_cast<char>(b));
  // Bytes ≥ 0x80 on their own are not UTF-8: each becomes U+FFFD (3 byte tokens), as in
  // the JSON an engine would receive.
  EXPECT_EQ(t->encode(all).size(), 127u + 128u * 3u);
}

TEST(HfTokenizer, LongWhitespaceRunsAreFast) {
  auto t = parse(byte_level_tokenizer());
  ASSERT_TRUE(t);
  const std::string spaces(200'000, ' ');
  EXPECT_EQ(t->encode(spaces + "x").size(), spaces.size() + 1);
}

TEST(HfTokenizer, SentencePieceStyleWithByteFallback) {
  Json vocab = {{"<unk>", 0},
                {"\xE2\x96\x81", 1},
                {"a", 2},
                {"b", 3},
                {"\xE2\x96\x81"
                 "a",
                 4}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    vocab[name] = 10 + b;
  }
  const Json j = {
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers", Json::array({Json{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                                     Json{{"type", "Replace"},
                                          {"pattern", {{"String", " "}}},
                                          {"content", "\xE2\x96\x81"}}})}}},
      {"pre_tokenizer", nullptr},
      {"model",
       {{"type", "BPE"},
        {"vocab", vocab},
        {"merges", Json::array({"\xE2\x96\x81 a"})},
        {"byte_fallback", true},
        {"unk_token", "<unk>"}}}};
  auto t = parse(j);
  ASSERT_TRUE(t);
  // "a b" → "▁a" "▁" "b"; "é" is not in the vocabulary: its two bytes fall back.
  EXPECT_EQ(t->encode("a b"), (std::vector<TokenId>{4, 1, 3}));
  EXPECT_EQ(t->encode("\xC3\xA9"), (std::vector<TokenId>{1, 10 + 0xC3, 10 + 0xA9}));
}

TEST(HfTokenizer, UnsupportedPartsAreNamed) {
  Json j = byte_level_tokenizer();
  j["model"]["type"] = "WordPiece";
  auto t = parse_hf_tokenizer(j.dump(), "my/tokenizer.json");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("my/tokenizer.json"), std::string::npos);
  EXPECT_NE(t.error().message.find("WordPiece"), std::string::npos);

  j = byte_level_tokenizer();
  j["normalizer"] = {{"type", "BertNormalizer"}};
  t = parse_hf_tokenizer(j.dump(), "x.json");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("BertNormalizer"), std::string::npos);

  t = parse_hf_tokenizer("{not json", "broken.json");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("broken.json"), std::string::npos);
}

TEST(SentencePieceTokenizer, LoadsATrainedModelAndEncodesLikeTheLibrary) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("llmbench-sp-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream corpus(dir / "corpus.txt");
    for (int i = 0; i < 400; ++i) {
      corpus << "the quick brown fox jumps over the lazy dog " << i << "\n"
             << "benchmarks measure latency and throughput of servers\n";
    }
  }
  const auto status = sentencepiece::SentencePieceTrainer::Train(
      "--input=" + (dir / "corpus.txt").string() + " --model_prefix=" + (dir / "sp").string() +
      " --vocab_size=120 --model_type=bpe --minloglevel=2");
  ASSERT_TRUE(status.ok()) << status.ToString();
  auto t = load_tokenizer((dir / "sp.model").string());
  ASSERT_TRUE(t) << t.error().message;
  const auto ids = (*t)->encode("the lazy fox measures latency");
  EXPECT_GT(ids.size(), 3u);
  EXPECT_LT(ids.size(), 30u);
  EXPECT_NE((*t)->description().find("SentencePiece"), std::string::npos);
  // A directory is searched for the model file.
  fs::rename(dir / "sp.model", dir / "tokenizer.model");
  auto from_dir = load_tokenizer(dir.string());
  ASSERT_TRUE(from_dir) << from_dir.error().message;
  EXPECT_EQ((*from_dir)->encode("the lazy fox measures latency"), ids);
  fs::remove_all(dir);
}

TEST(LoadTokenizer, MissingFileIsAnError) {
  auto t = load_tokenizer("/nonexistent/tokenizer.json");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("/nonexistent/tokenizer.json"), std::string::npos);
}

}  // namespace
}  // namespace llmbench::workload
