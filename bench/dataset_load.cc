// Loading a 100,000-conversation ShareGPT file: time and peak memory. Target: < 2 s, and
// memory that does not grow with the file (the loader keeps --dataset-sample records).
// Writes the file first (multi-turn conversations, ~1.3 KB each, ~130 MB).

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "workload/dataset.h"

namespace {

long peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  const fs::path path = fs::temp_directory_path() / "llmbench-bench-sharegpt.json";
  {
    std::ofstream out(path);
    std::mt19937_64 rng(1);
    const char* words[] = {
        "the",   "latency", "of",        "a", "model", "server", "is", "measured", "\\\"quoted\\\"",
        "token", "stream",  "benchmark", "é", "{",     "]"};
    auto sentence = [&](int n) {
      std::string s;
      for (int i = 0; i < n; ++i) s += std::string(i ? " " : "") + words[rng() % 15];
      return s;
    };
    out << "[\n";
    for (int c = 0; c < 100'000; ++c) {
      out << (c ? ",\n" : "") << "{\"id\": \"c" << c << "\", \"conversations\": [";
      for (int t = 0; t < 4; ++t) {
        out << (t ? ", " : "") << "{\"from\": \"human\", \"value\": \""
            << sentence(20 + static_cast<int>(rng() % 40))
            << "\"}, {\"from\": \"gpt\", \"value\": \""
            << sentence(30 + static_cast<int>(rng() % 60)) << "\"}";
      }
      out << "]}";
    }
    out << "\n]\n";
  }
  const double mb = static_cast<double>(fs::file_size(path)) / 1e6;
  const long rss_before = peak_rss_mb();
  llmbench::workload::DatasetOptions options;
  options.path = path.string();
  options.format = llmbench::workload::DatasetFormat::kShareGpt;
  std::vector<double> seconds;
  std::uint64_t read = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    auto dataset = llmbench::workload::load_dataset(options);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!dataset) {
      fmt::print(stderr, "{}\n", dataset.error().message);
      return 1;
    }
    read = dataset->read;
  }
  std::sort(seconds.begin(), seconds.end());
  fmt::print(
      "ShareGPT {:.0f} MB, {} conversations: load {:.2f} s (median of 3), peak RSS {} MB "
      "(before loading {} MB)\n",
      mb, read, seconds[1], peak_rss_mb(), rss_before);
  fs::remove(path);
  return 0;
}
