#include "workload/tokenizer.h"

#include <sentencepiece_processor.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace llmbench::workload {

namespace {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  Expected<void> load(const std::string& path) {
    const auto status = processor_.Load(path);
    if (!status.ok()) {
      return make_error(ErrorCode::kInvalidConfig, path + ": " + status.ToString());
    }
    return {};
  }
  [[nodiscard]] std::vector<TokenId> encode(std::string_view text) const override {
    std::vector<int> ids;
    // Encode is const and thread-safe in libsentencepiece.
    (void)processor_.Encode(text, &ids);
    return {ids.begin(), ids.end()};
  }
  // SentencePiece models leave BOS/EOS to the caller; engines serving them (llama.cpp,
  // vLLM) add BOS when the model's metadata says so, which the calibration measures.
  [[nodiscard]] std::int64_t special_tokens_added() const override {
    return processor_.bos_id() >= 0 ? 1 : 0;
  }
  [[nodiscard]] std::string description() const override {
    return "tokenizer.model (SentencePiece, " + std::to_string(processor_.GetPieceSize()) +
           " pieces)";
  }

 private:
  sentencepiece::SentencePieceProcessor processor_;
};

}  // namespace

Expected<std::unique_ptr<Tokenizer>> load_tokenizer(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string file = path;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(fs::path(path) / "tokenizer.json", ec)) {
      file = (fs::path(path) / "tokenizer.json").string();
    } else if (fs::exists(fs::path(path) / "tokenizer.model", ec)) {
      file = (fs::path(path) / "tokenizer.model").string();
    } else {
      return make_error(ErrorCode::kIo,
                        path + ": no tokenizer.json or tokenizer.model in this directory");
    }
  }
  if (!fs::exists(file, ec)) return make_error(ErrorCode::kIo, file + ": no such file");
  if (fs::path(file).extension() == ".model") {
    auto tokenizer = std::make_unique<SentencePieceTokenizer>();
    if (auto loaded = tokenizer->load(file); !loaded) return tl::unexpected(loaded.error());
    return std::unique_ptr<Tokenizer>(std::move(tokenizer));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, file + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_hf_tokenizer(text.str(), file);
}

}  // namespace llmbench::workload
