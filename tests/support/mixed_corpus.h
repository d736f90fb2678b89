#pragma once
// A deterministic corpus of mixed text for tokenizer tests and benchmarks: English prose with
// contractions and numbers, source code with indentation, many scripts and emoji (some
// decomposed, so NFC normalisation matters), and runs of spaces, tabs and newlines.
//
// Left out on purpose: U+0085, U+180E and U+FEFF. JavaScript's \s (the reference encoder)
// and Unicode's White_Space (HuggingFace tokenizers, PCRE2) disagree on them; engines run the
// latter, so the JavaScript reference is not a witness for those three characters.

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench::testing {

inline std::vector<std::string> mixed_corpus(std::size_t min_bytes, std::uint64_t seed = 7) {
  static constexpr std::array<std::string_view, 48> kWords = {
      "the",        "model",     "tokenizer",  "benchmark", "latency",   "throughput", "server",
      "request",    "stream",    "token",      "engine",    "GPU",       "memory",     "batch",
      "prefix",     "cache",     "quickly",    "measured",  "between",   "although",   "it's",
      "don't",      "they're",   "we've",      "I'm",       "you'll",    "she'd",      "John's",
      "HTTP/1.1",   "JSON",      "naïve",      "café",      "résumé",    "Zürich",     "Ångström",
      "co-operate", "e.g.",      "U.S.A.",     "x86_64",    "llama.cpp", "vLLM",       "p99",
      "3.14159",    "1,234,567", "2026-11-30", "50%",       "$1.99",     "#42"};
  static constexpr std::array<std::string_view, 14> kCode = {
      "int main(int argc, char** argv) {\n",
      "    for (std::size_t i = 0; i < n; ++i) sum += v[i] * 2;\n",
      "\treturn std::accumulate(a.begin(), a.end(), 0LL);\n",
      "def tokenize(text: str) -> list[int]:\n        return [ord(c) for c in text]\n",
      "  if (x != nullptr && *x >= 0x7F) { throw std::runtime_error(\"bad\"); }\n",
      "{\"model\": \"llama3\", \"max_tokens\": 128, \"stream\": true}\n",
      "SELECT id, name FROM users WHERE age >= 21 ORDER BY name;\n",
      "#include <vector>\n#define MAX(a, b) ((a) > (b) ? (a) : (b))\n",
      "// TODO(someone): handle the case where the buffer is empty\n",
      "const fn = async (req, res) => { await res.json({ ok: true }); };\n",
      "x = [1,2,3]; y = {k: v for k, v in zip(a, b)}  # dict comprehension\n",
      "    }\n}\n",
      "<div class=\"row\"><span>&nbsp;Hello&amp;bye</span></div>\n",
      "fn main() -> Result<(), Box<dyn Error>> { println!(\"{:?}\", v); Ok(()) }\n"};
  static constexpr std::array<std::string_view, 22> kUnicode = {
      "机器学习模型的推理速度很重要。",
      "東京は日本の首都です。ひらがなとカタカナ、漢字。",
      "한국어 문장도 포함됩니다.",
      "Привет, как дела? Ёлка и щука.",
      "Καλημέρα κόσμε, αβγδε.",
      "مرحبا بالعالم، هذا اختبار.",
      "नमस्ते दुनिया, यह परीक्षण है।",
      "สวัสดีชาวโลก",
      "😀 🚀🔥 👍🏽 👨‍👩‍👧‍👦 🇩🇪🇯🇵",
      "e\xCC\x81t\xC3\xA9 cafe\xCC\x81 A\xCC\x8A"
      "ngstro\xCC\x88m",  // decomposed accents
      "∑ᵢ xᵢ² ≤ ∞, ∀ε>0 ∃δ: |x−y|<δ ⇒ ‖f(x)−f(y)‖<ε",
      "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ　１２３",
      "“quoted” ‘single’ — en–dash … ellipsis",
      "Straße Œuvre Ærøskøbing ǅemal ﬁnance",
      "\xC2\xA0"
      "non\xC2\xA0"
      "breaking\xE2\x80\x83"
      "em\xE2\x80\x83"
      "space\xE3\x80\x80"
      "ideographic",
      "ʻokina ʼapostrophe ˈstress",
      "١٢٣ ٤٥٦ ໑໒໓ ①②③ Ⅻ",
      "Ελληνικά and English mixed 中文 text",
      "tab\tseparated\tvalues\t1\t2\t3",
      "zero\xE2\x80\x8B"
      "width\xE2\x80\x8C"
      "joiner\xE2\x80\x8D"
      "test",
      "א ב ג עברית",
      "ፊደል ᏣᎳᎩ ᚠᚢᚦ"};
  static constexpr std::array<std::string_view, 10> kSpaces = {
      " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t\t  ", "\n\n\n    "};

  std::mt19937_64 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::vector<std::string> docs;
  std::size_t total = 0;
  while (total < min_bytes) {
    std::string doc;
    const std::size_t target = 200 + pick(900);
    while (doc.size() < target) {
      switch (pick(10)) {
        case 0:
        case 1:
        case 2: {  // a sentence
          const std::size_t n = 4 + pick(14);
          for (std::size_t i = 0; i < n; ++i) {
            std::string word(kWords[pick(kWords.size())]);
            if (i == 0 && word[0] >= 'a' && word[0] <= 'z')
              word[0] = static_cast<char>(word[0] - 32);
            doc += word;
            doc += i + 1 == n ? (pick(3) == 0 ? "? " : ". ") : (pick(8) == 0 ? ", " : " ");
          }
          break;
        }
        case 3:
        case 4:
          doc += kCode[pick(kCode.size())];
          break;
        case 5:
        case 6:
          doc += kUnicode[pick(kUnicode.size())];
          doc += ' ';
          break;
        case 7: {  // a long run of one whitespace kind
          const char* run = pick(2) == 0 ? " " : (pick(2) == 0 ? "\t" : "\n");
          const std::size_t n = 1 + pick(pick(4) == 0 ? 300 : 20);
          for (std::size_t i = 0; i < n; ++i) doc += run;
          break;
        }
        case 8:
          doc += kSpaces[pick(kSpaces.size())];
          break;
        default:  // numbers of every length
          doc += std::to_string(rng() >> pick(60));
          doc += ' ';
      }
    }
    if (pick(5) == 0) doc += "   ";  // trailing spaces
    total += doc.size();
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace llmbench::testing
