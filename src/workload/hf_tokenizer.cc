// HuggingFace tokenizer.json with a BPE model: added-token split → normaliser →
// pre-tokenizers → BPE per piece (with a word cache). Only what BPE tokenizers in use need is
// implemented; anything else is refused by name at load time, never silently approximated.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <unordered_map>

#include "workload/tokenizer.h"

namespace llmbench::workload {

namespace {

using Json = nlohmann::json;

// A pre-tokenizer regex compiled for UTF-8 with Unicode classes, JIT where available.
class Pcre2Regex {
 public:
  static Expected<std::shared_ptr<Pcre2Regex>> compile(const std::string& pattern) {
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* compiled =
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                      PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &code, &offset, nullptr);
    if (compiled == nullptr) {
      std::array<PCRE2_UCHAR, 256> message{};
      pcre2_get_error_message(code, message.data(), message.size());
      return make_error(ErrorCode::kInvalidConfig,
                        "regex /" + pattern + "/ at offset " + std::to_string(offset) + ": " +
                            reinterpret_cast<const char*>(message.data()));
    }
    pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);  // falls back to the interpreter
    return std::shared_ptr<Pcre2Regex>(new Pcre2Regex(compiled));
  }
  ~Pcre2Regex() { pcre2_code_free(code_); }
  Pcre2Regex(const Pcre2Regex&) = delete;
  Pcre2Regex& operator=(const Pcre2Regex&) = delete;

  // Calls on_piece(begin, end, matched) for every match and every gap between matches.
  template <class F>
  void split(std::string_view text, F&& on_piece) const {
    pcre2_match_data* data = pcre2_match_data_create_from_pattern(code_, nullptr);
    std::size_t gap_start = 0;
    std::size_t at = 0;
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    while (at <= text.size()) {
      const int rc =
          pcre2_match(code_, subject, text.size(), at, PCRE2_NO_UTF_CHECK, data, nullptr);
      if (rc < 0) break;
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
      const std::size_t begin = ovector[0];
      const std::size_t end = ovector[1];
      if (end == begin) {  // empty match: step one character on
        at = end + 1;
        while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
        continue;
      }
      if (begin > gap_start) on_piece(gap_start, begin, false);
      on_piece(begin, end, true);
      gap_start = end;
      at = end;
    }
    if (gap_start < text.size()) on_piece(gap_start, text.size(), false);
    pcre2_match_data_free(data);
  }

 private:
  explicit Pcre2Regex(pcre2_code* code) : code_(code) {}
  pcre2_code* code_;
};

// GPT-2's byte → printable code point table, as UTF-8.
std::array<std::string, 256> byte_level_alphabet() {
  std::array<std::string, 256> out;
  std::array<bool, 256> printable{};
  for (int b = '!'; b <= '~'; ++b) printable[static_cast<std::size_t>(b)] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) printable[static_cast<std::size_t>(b)] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) printable[static_cast<std::size_t>(b)] = true;
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const int cp = printable[static_cast<std::size_t>(b)] ? b : next++;
    std::array<utf8proc_uint8_t, 4> buf{};
    const auto n = utf8proc_encode_char(cp, buf.data());
    out[static_cast<std::size_t>(b)].assign(reinterpret_cast<const char*>(buf.data()),
                                            static_cast<std::size_t>(n));
  }
  return out;
}

std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;  // stray continuation byte: one byte on its own
}

// The byte length of the valid UTF-8 sequence at `s[i]`, or 0 when it is not one (overlong
// forms, surrogates and code points above U+10FFFF included).
std::size_t valid_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = b(0);
  if (lead < 0x80) return 1;
  std::size_t n = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

// Text as an engine receives it: JSON strings are Unicode, so a byte that is not UTF-8
// arrives as U+FFFD. (PCRE2 must never see invalid UTF-8 either.)
std::string_view as_valid_utf8(std::string_view text, std::string& storage) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t n = valid_sequence(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return text;
  storage.assign(text.substr(0, i));
  while (i < text.size()) {
    const std::size_t n = valid_sequence(text, i);
    if (n == 0) {
      storage += "\xEF\xBF\xBD";
      ++i;
    } else {
      storage.append(text.substr(i, n));
      i += n;
    }
  }
  return storage;
}

// ---- normalisers ----
enum class NormKind { kNfc, kNfd, kNfkc, kNfkd, kLowercase, kReplace, kPrepend };
struct Normalizer {
  NormKind kind;
  std::string from;                     // kReplace: literal pattern
  std::shared_ptr<Pcre2Regex> pattern;  // kReplace: regex pattern
  std::string to;                       // kReplace content / kPrepend text
};

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (static_cast<unsigned>(c) & 0x80) == 0; });
}

std::string unicode_normalize(std::string_view s, NormKind kind) {
  if (is_ascii(s)) return std::string(s);
  int options = UTF8PROC_STABLE;
  switch (kind) {
    case NormKind::kNfc:
      options |= UTF8PROC_COMPOSE;
      break;
    case NormKind::kNfd:
      options |= UTF8PROC_DECOMPOSE;
      break;
    case NormKind::kNfkc:
      options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    default:
      options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
  }
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                              static_cast<utf8proc_ssize_t>(s.size()), &out,
                              static_cast<utf8proc_option_t>(options));
  if (n < 0) return std::string(s);  // invalid UTF-8: left as it is, like the byte-level model
  std::string result(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  std::free(out);
  return result;
}

std::string lowercase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    utf8proc_int32_t cp = 0;
    const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                    static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0) {
      out.push_back(s[i++]);
      continue;
    }
    std::array<utf8proc_uint8_t, 4> buf{};
    const auto m = utf8proc_encode_char(utf8proc_tolower(cp), buf.data());
    out.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(m));
    i += static_cast<std::size_t>(n);
  }
  return out;
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  if (from.empty()) return std::string(s);
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t hit = s.find(from, at);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(at, hit - at)).append(to);
    at = hit + from.size();
  }
  out.append(s.substr(at));
  return out;
}

// ---- pre-tokenizers ----
enum class PreKind { kSplit, kByteLevel, kMetaspace, kDigits };
struct PreTokenizer {
  PreKind kind;
  std::shared_ptr<Pcre2Regex> pattern;       // kSplit, kByteLevel with use_regex
  bool add_prefix_space = false;             // kByteLevel
  std::string replacement = "\xE2\x96\x81";  // kMetaspace: "▁"
  enum class Prepend { kAlways, kFirst, kNever } prepend = Prepend::kAlways;
  bool split = true;  // kMetaspace
  bool individual_digits = false;
};

constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct AddedToken {
  std::string content;
  TokenId id = 0;
  bool lstrip = false;
  bool rstrip = false;
};

struct PairHash {
  std::size_t operator()(std::uint64_t v) const noexcept { return std::hash<std::uint64_t>{}(v); }
};

class HfBpeTokenizer final : public Tokenizer {
 public:
  Expected<void> load(const Json& root, const std::string& origin);

  [[nodiscard]] std::vector<TokenId> encode(std::string_view raw) const override;
  [[nodiscard]] std::int64_t special_tokens_added() const override { return added_by_post_; }
  [[nodiscard]] std::string description() const override {
    return "tokenizer.json (BPE, " +
           std::string(byte_level_ ? "byte-level" : "sentencepiece-style") + ", " +
           std::to_string(vocab_.size() + added_.size()) + " tokens)";
  }

 private:
  void encode_section(std::string_view raw, bool first_section, std::vector<TokenId>& out) const;
  void encode_piece(std::string_view piece, std::vector<TokenId>& out) const;
  void bpe(std::vector<TokenId>& symbols) const;
  void initial_symbols(std::string_view piece, std::vector<TokenId>& symbols) const;

  std::unordered_map<std::string, TokenId> vocab_;
  // (left id << 32 | right id) → (rank << 32 | merged id)
  std::unordered_map<std::uint64_t, std::uint64_t, PairHash> merges_;
  std::vector<AddedToken> added_;
  std::array<bool, 256> added_first_byte_{};
  std::vector<Normalizer> normalizers_;
  std::vector<PreTokenizer> pre_tokenizers_;
  bool byte_level_ = false;
  bool ignore_merges_ = false;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  std::optional<TokenId> unk_;
  std::array<std::string, 256> alphabet_ = byte_level_alphabet();
  std::array<TokenId, 256> byte_ids_{};      // byte-level: id of each byte's code point
  std::array<TokenId, 256> fallback_ids_{};  // byte fallback: id of "<0xHH>"
  std::int64_t added_by_post_ = 0;

  // Pieces repeat (words, indentation): their ids are remembered. Bounded: cleared when full.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>> cache_;
  static constexpr std::size_t kCacheLimit = 200'000;
};

// The steps of a normaliser or pre-tokenizer: a "Sequence" lists them under `list_key`,
// anything else is one step; null is none.
std::vector<Json> steps(const Json& root, const char* key, const char* list_key) {
  const Json node = root.value(key, Json());
  if (!node.is_object()) return {};
  if (node.value("type", std::string()) != "Sequence") return {node};
  const Json list = node.value(list_key, Json::array());
  return {list.begin(), list.end()};
}

Expected<void> unsupported(const std::string& origin, const std::string& what) {
  return make_error(ErrorCode::kInvalidConfig,
                    origin + ": " + what + " is not supported (llmbench reads BPE tokenizers)");
}

Expected<void> HfBpeTokenizer::load(const Json& root, const std::string& origin) {
  const Json& model = root.value("model", Json::object());
  if (model.value("type", std::string("BPE")) != "BPE") {
    return unsupported(origin, "model type '" + model.value("type", std::string()) + "'");
  }
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    return make_error(ErrorCode::kInvalidConfig, origin + ": model.vocab is missing");
  }
  for (const auto& [token, id] : model["vocab"].items()) {
    vocab_.emplace(token, id.get<TokenId>());
  }
  auto id_of = [&](const std::string& token) -> std::optional<TokenId> {
    const auto it = vocab_.find(token);
    return it == vocab_.end() ? std::nullopt : std::optional<TokenId>(it->second);
  };
  std::uint64_t rank = 0;
  for (const Json& merge : model.value("merges", Json::array())) {
    std::string left;
    std::string right;
    if (merge.is_string()) {
      const std::string m = merge.get<std::string>();
      const std::size_t space = m.find(' ', 1);
      if (space == std::string::npos) continue;
      left = m.substr(0, space);
      right = m.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2) {
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    } else {
      return make_error(ErrorCode::kInvalidConfig,
                        origin + ": malformed merge #" + std::to_string(rank));
    }
    const auto l = id_of(left);
    const auto r = id_of(right);
    const auto m = id_of(left + right);
    if (l && r && m) merges_.emplace((std::uint64_t{*l} << 32) | *r, (rank << 32) | *m);
    ++rank;
  }
  ignore_merges_ = model.value("ignore_merges", false);
  byte_fallback_ = model.value("byte_fallback", false);
  fuse_unk_ = model.value("fuse_unk", false);
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    unk_ = id_of(model["unk_token"].get<std::string>());
  }
  for (const char* field : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(field) && model[field].is_string() &&
        !model[field].get<std::string>().empty()) {
      return unsupported(origin, std::string("model.") + field);
    }
  }
  if (model.contains("dropout") && model["dropout"].is_number() &&
      model["dropout"].get<double>() > 0) {
    return unsupported(origin, "BPE dropout");
  }

  for (const Json& token : root.value("added_tokens", Json::array())) {
    AddedToken a;
    a.content = token.value("content", std::string());
    a.id = token.value("id", TokenId{0});
    a.lstrip = token.value("lstrip", false);
    a.rstrip = token.value("rstrip", false);
    if (a.content.empty()) continue;
    added_first_byte_[static_cast<unsigned char>(a.content[0])] = true;
    added_.push_back(std::move(a));
  }
  // Longest first, so "<|a|>b" wins over "<|a|>" at the same position.
  std::stable_sort(added_.begin(), added_.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() > b.content.size();
  });

  // Normalisers.
  for (const Json& n : steps(root, "normalizer", "normalizers")) {
    const std::string type = n.value("type", std::string());
    Normalizer out{NormKind::kNfc, {}, nullptr, {}};
    if (type == "NFC")
      out.kind = NormKind::kNfc;
    else if (type == "NFD")
      out.kind = NormKind::kNfd;
    else if (type == "NFKC")
      out.kind = NormKind::kNfkc;
    else if (type == "NFKD")
      out.kind = NormKind::kNfkd;
    else if (type == "Lowercase")
      out.kind = NormKind::kLowercase;
    else if (type == "Prepend") {
      out.kind = NormKind::kPrepend;
      out.to = n.value("prepend", std::string());
    } else if (type == "Replace") {
      out.kind = NormKind::kReplace;
      out.to = n.value("content", std::string());
      const Json& p = n.value("pattern", Json::object());
      if (p.contains("String")) {
        out.from = p["String"].get<std::string>();
      } else if (p.contains("Regex")) {
        auto re = Pcre2Regex::compile(p["Regex"].get<std::string>());
        if (!re)
          return make_error(ErrorCode::kInvalidConfig,
                            origin + ": normalizer " + re.error().message);
        out.pattern = *re;
      }
    } else {
      return unsupported(origin, "normalizer '" + type + "'");
    }
    normalizers_.push_back(std::move(out));
  }

  // Pre-tokenizers.
  for (const Json& p : steps(root, "pre_tokenizer", "pretokenizers")) {
    const std::string type = p.value("type", std::string());
    PreTokenizer out{PreKind::kSplit, nullptr};
    if (type == "Split") {
      const std::string behavior = p.value("behavior", std::string("Isolated"));
      if (behavior != "Isolated" || p.value("invert", false)) {
        return unsupported(origin, "Split behavior '" + behavior + "'" +
                                       (p.value("invert", false) ? " inverted" : ""));
      }
      const Json& pattern = p.value("pattern", Json::object());
      std::string regex;
      if (pattern.contains("Regex")) {
        regex = pattern["Regex"].get<std::string>();
      } else if (pattern.contains("String")) {
        // A literal: escaped for PCRE2 with \Q…\E.
        regex = "\\Q" + pattern["String"].get<std::string>() + "\\E";
      }
      auto re = Pcre2Regex::compile(regex);
      if (!re)
        return make_error(ErrorCode::kInvalidConfig,
                          origin + ": pre_tokenizer " + re.error().message);
      out.pattern = *re;
    } else if (type == "ByteLevel") {
      out.kind = PreKind::kByteLevel;
      out.add_prefix_space = p.value("add_prefix_space", false);
      if (p.value("use_regex", true)) {
        auto re = Pcre2Regex::compile(std::string(kGpt2Pattern));
        if (!re) return make_error(ErrorCode::kInternal, re.error().message);
        out.pattern = *re;
      }
      byte_level_ = true;
    } else if (type == "Metaspace") {
      out.kind = PreKind::kMetaspace;
      out.replacement = p.value("replacement", std::string("\xE2\x96\x81"));
      const std::string scheme = p.value(
          "prepend_scheme", std::string(p.value("add_prefix_space", true) ? "always" : "never"));
      out.prepend = scheme == "first"   ? PreTokenizer::Prepend::kFirst
                    : scheme == "never" ? PreTokenizer::Prepend::kNever
                                        : PreTokenizer::Prepend::kAlways;
      out.split = p.value("split", true);
    } else if (type == "Digits") {
      out.kind = PreKind::kDigits;
      out.individual_digits = p.value("individual_digits", false);
      auto re = Pcre2Regex::compile(out.individual_digits ? "\\p{N}" : "\\p{N}+");
      if (!re) return make_error(ErrorCode::kInternal, re.error().message);
      out.pattern = *re;
    } else {
      return unsupported(origin, "pre_tokenizer '" + type + "'");
    }
    pre_tokenizers_.push_back(std::move(out));
  }
  // A ByteLevel decoder without a ByteLevel pre-tokenizer still means byte-level symbols.
  if (!byte_level_ && root.value("decoder", Json()).is_object() &&
      root["decoder"].value("type", std::string()) == "ByteLevel") {
    byte_level_ = true;
  }

  if (byte_level_) {
    for (std::size_t b = 0; b < 256; ++b) {
      const auto id = id_of(alphabet_[b]);
      if (!id) {
        return make_error(
            ErrorCode::kInvalidConfig,
            origin + ": byte-level vocabulary lacks the symbol for byte " + std::to_string(b));
      }
      byte_ids_[b] = *id;
    }
  }
  if (byte_fallback_) {
    for (std::size_t b = 0; b < 256; ++b) {
      std::array<char, 8> name{};
      std::snprintf(name.data(), name.size(), "<0x%02X>", static_cast<unsigned>(b));
      const auto id = id_of(name.data());
      if (!id)
        return make_error(ErrorCode::kInvalidConfig,
                          origin + ": byte_fallback without token " + name.data());
      fallback_ids_[b] = *id;
    }
  }

  // Special tokens the post-processor adds to a single sequence.
  std::function<std::int64_t(const Json&)> count_added = [&](const Json& post) -> std::int64_t {
    if (!post.is_object()) return 0;
    const std::string type = post.value("type", std::string());
    if (type == "TemplateProcessing") {
      std::int64_t n = 0;
      for (const Json& item : post.value("single", Json::array())) {
        if (item.contains("SpecialToken")) ++n;
      }
      return n;
    }
    if (type == "BertProcessing" || type == "RobertaProcessing") return 2;
    if (type == "Sequence") {
      std::int64_t n = 0;
      for (const Json& p : post.value("processors", Json::array())) n += count_added(p);
      return n;
    }
    return 0;
  };
  added_by_post_ = count_added(root.value("post_processor", Json()));
  return {};
}

std::vector<TokenId> HfBpeTokenizer::encode(std::string_view raw) const {
  std::string storage;
  const std::string_view text = as_valid_utf8(raw, storage);
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 4);
  // Split on added tokens (matched in the raw text, longest first at the leftmost position).
  std::size_t section_start = 0;
  std::size_t at = 0;
  bool first_section = true;
  while (at < text.size()) {
    if (!added_first_byte_[static_cast<unsigned char>(text[at])]) {
      ++at;
      continue;
    }
    const AddedToken* hit = nullptr;
    for (const AddedToken& a : added_) {
      if (text.compare(at, a.content.size(), a.content) == 0) {
        hit = &a;
        break;
      }
    }
    if (hit == nullptr) {
      ++at;
      continue;
    }
    std::size_t before_end = at;
    if (hit->lstrip) {
      while (before_end > section_start &&
             std::isspace(static_cast<unsigned char>(text[before_end - 1])))
        --before_end;
    }
    if (before_end > section_start) {
      encode_section(text.substr(section_start, before_end - section_start), first_section, out);
    }
    first_section = false;
    out.push_back(hit->id);
    at += hit->content.size();
    if (hit->rstrip) {
      while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
    }
    section_start = at;
  }
  if (section_start < text.size()) encode_section(text.substr(section_start), first_section, out);
  return out;
}

void HfBpeTokenizer::encode_section(std::string_view raw, bool first_section,
                                    std::vector<TokenId>& out) const {
  std::string text(raw);
  for (const Normalizer& n : normalizers_) {
    switch (n.kind) {
      case NormKind::kLowercase:
        text = lowercase(text);
        break;
      case NormKind::kPrepend:
        if (!text.empty()) text.insert(0, n.to);
        break;
      case NormKind::kReplace:
        if (n.pattern) {
          std::string replaced;
          n.pattern->split(text, [&](std::size_t b, std::size_t e, bool matched) {
            if (matched)
              replaced += n.to;
            else
              replaced.append(text, b, e - b);
          });
          text = std::move(replaced);
        } else {
          text = replace_all(text, n.from, n.to);
        }
        break;
      default:
        text = unicode_normalize(text, n.kind);
    }
  }
  // Pieces as [begin, end) ranges into `text` until a pre-tokenizer must rewrite them.
  std::vector<std::string> pieces{std::move(text)};
  std::vector<std::string> next;
  for (const PreTokenizer& p : pre_tokenizers_) {
    next.clear();
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      std::string& piece = pieces[i];
      switch (p.kind) {
        case PreKind::kSplit:
        case PreKind::kDigits:
          p.pattern->split(piece, [&](std::size_t b, std::size_t e, bool) {
            next.emplace_back(piece, b, e - b);
          });
          break;
        case PreKind::kByteLevel:
          if (p.add_prefix_space && !piece.empty() && piece[0] != ' ') piece.insert(0, " ");
          if (p.pattern) {
            p.pattern->split(piece, [&](std::size_t b, std::size_t e, bool) {
              next.emplace_back(piece, b, e - b);
            });
          } else {
            next.push_back(std::move(piece));
          }
          break;
        case PreKind::kMetaspace: {
          std::string replaced = replace_all(piece, " ", p.replacement);
          const bool prepend =
              p.prepend == PreTokenizer::Prepend::kAlways ||
              (p.prepend == PreTokenizer::Prepend::kFirst && first_section && i == 0);
          if (prepend && replaced.compare(0, p.replacement.size(), p.replacement) != 0) {
            replaced.insert(0, p.replacement);
          }
          if (!p.split) {
            next.push_back(std::move(replaced));
            break;
          }
          std::size_t start = 0;
          for (std::size_t at = p.replacement.size(); at < replaced.size();) {
            const std::size_t hit = replaced.find(p.replacement, at);
            if (hit == std::string::npos) break;
            next.emplace_back(replaced, start, hit - start);
            start = hit;
            at = hit + p.replacement.size();
          }
          next.emplace_back(replaced, start);
          break;
        }
      }
    }
    pieces.swap(next);
  }
  for (const std::string& piece : pieces) {
    if (!piece.empty()) encode_piece(piece, out);
  }
}

void HfBpeTokenizer::initial_symbols(std::string_view piece, std::vector<TokenId>& symbols) const {
  if (byte_level_) {
    for (const char c : piece) symbols.push_back(byte_ids_[static_cast<unsigned char>(c)]);
    return;
  }
  bool last_unk = false;
  for (std::size_t i = 0; i < piece.size();) {
    const std::size_t n =
        std::min(utf8_length(static_cast<unsigned char>(piece[i])), piece.size() - i);
    const auto it = vocab_.find(std::string(piece.substr(i, n)));
    if (it != vocab_.end()) {
      symbols.push_back(it->second);
      last_unk = false;
    } else if (byte_fallback_) {
      for (std::size_t k = 0; k < n; ++k)
        symbols.push_back(fallback_ids_[static_cast<unsigned char>(piece[i + k])]);
      last_unk = false;
    } else if (unk_ && !(fuse_unk_ && last_unk)) {
      symbols.push_back(*unk_);
      last_unk = true;
    }
    i += n;
  }
}

void HfBpeTokenizer::encode_piece(std::string_view piece, std::vector<TokenId>& out) const {
  {
    std::lock_guard lock(cache_mutex_);
    const auto it = cache_.find(std::string(piece));
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<TokenId> symbols;
  bool whole = false;
  if (ignore_merges_) {
    std::string key;
    if (byte_level_) {
      for (const char c : piece) key += alphabet_[static_cast<unsigned char>(c)];
    } else {
      key = piece;
    }
    const auto it = vocab_.find(key);
    if (it != vocab_.end()) {
      symbols.push_back(it->second);
      whole = true;
    }
  }
  if (!whole) {
    initial_symbols(piece, symbols);
    bpe(symbols);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_.emplace(std::string(piece), std::move(symbols));
}

// Applies merges lowest rank first (leftmost on ties) with a heap over adjacent pairs, so a
// piece of n symbols costs O(n log n) — whitespace runs make pieces thousands of bytes long.
void HfBpeTokenizer::bpe(std::vector<TokenId>& symbols) const {
  const std::size_t n = symbols.size();
  if (n < 2) return;
  std::vector<std::int64_t> prev(n);
  std::vector<std::int64_t> next(n);
  for (std::size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<std::int64_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<std::int64_t>(i + 1) : -1;
  }
  struct Candidate {
    std::uint64_t rank;
    std::size_t left;
    TokenId left_id, right_id, merged;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](std::size_t left) {
    if (next[left] < 0) return;
    const TokenId l = symbols[left];
    const TokenId r = symbols[static_cast<std::size_t>(next[left])];
    const auto it = merges_.find((std::uint64_t{l} << 32) | r);
    if (it == merges_.end()) return;
    heap.push({it->second >> 32, left, l, r, static_cast<TokenId>(it->second & 0xFFFFFFFFU)});
  };
  std::vector<bool> alive(n, true);
  for (std::size_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    // Stale entries: a side was merged away or changed since this pair was pushed.
    if (!alive[c.left] || symbols[c.left] != c.left_id || next[c.left] < 0) continue;
    const auto right = static_cast<std::size_t>(next[c.left]);
    if (symbols[right] != c.right_id) continue;
    symbols[c.left] = c.merged;
    alive[right] = false;
    next[c.left] = next[right];
    if (next[right] >= 0)
      prev[static_cast<std::size_t>(next[right])] = static_cast<std::int64_t>(c.left);
    if (prev[c.left] >= 0) push(static_cast<std::size_t>(prev[c.left]));
    push(c.left);
  }
  std::vector<TokenId> merged;
  merged.reserve(n);
  for (std::int64_t i = 0; i >= 0; i = next[static_cast<std::size_t>(i)])
    merged.push_back(symbols[static_cast<std::size_t>(i)]);
  symbols.swap(merged);
}

}  // namespace

Expected<std::unique_ptr<Tokenizer>> parse_hf_tokenizer(std::string_view json_text,
                                                        const std::string& origin) {
  const Json root = Json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return make_error(ErrorCode::kInvalidConfig, origin + ": not a JSON object");
  }
  auto tokenizer = std::make_unique<HfBpeTokenizer>();
  try {
    if (auto loaded = tokenizer->load(root, origin); !loaded) return tl::unexpected(loaded.error());
  } catch (const Json::exception& e) {
    return make_error(ErrorCode::kInvalidConfig, origin + ": " + e.what());
  }
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

}  // namespace llmbench::workload
