#include "core/text.h"

#include <charconv>
#include <cmath>

namespace llmbench {

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  if (text.empty()) return pieces;
  for (;;) {
    const std::size_t at = text.find(separator);
    pieces.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return pieces;
    text.remove_prefix(at + 1);
  }
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// The bytes at `p` (n > 0 of them) start a well-formed sequence of the returned length, or,
// when 0 is returned, an ill-formed one whose maximal subpart is `subpart` bytes (1 to 3):
// the longest run that starts like a well-formed sequence (Table 3-7) before it breaks off.
std::size_t sequence_at(const unsigned char* p, std::size_t n, std::size_t& subpart) {
  const unsigned char lead = p[0];
  std::size_t length = 0;
  unsigned char second_low = 0x80;  // range of the second byte, narrowed for some leads
  unsigned char second_high = 0xBF;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;   // E0 80..9F: overlong (below U+0800)
    if (lead == 0xED) second_high = 0x9F;  // ED A0..BF: surrogates U+D800..U+DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;   // F0 80..8F: overlong (below U+10000)
    if (lead == 0xF4) second_high = 0x8F;  // F4 90..BF: beyond U+10FFFF
  } else {  // 80..BF without a lead, C0/C1 (always overlong), F5..FF (beyond U+10FFFF)
    subpart = 1;
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char low = i == 1 ? second_low : 0x80;
    const unsigned char high = i == 1 ? second_high : 0xBF;
    if (i >= n || p[i] < low || p[i] > high) {
      subpart = i;
      return 0;
    }
  }
  return length;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  std::size_t subpart = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t length = sequence_at(p + i, n - i, subpart);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::size_t append_valid_utf8(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t replaced = 0;
  std::size_t run_start = 0;  // start of the well-formed run not yet appended
  std::size_t i = 0;
  std::size_t subpart = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t length = sequence_at(p + i, n - i, subpart);
    if (length > 0) {
      i += length;
      continue;
    }
    out.append(text.substr(run_start, i - run_start));
    out.append(kReplacementCharacter);
    replaced += subpart;
    i += subpart;
    run_start = i;
  }
  out.append(text.substr(run_start));
  return replaced;
}

std::string valid_utf8(std::string_view text, std::uint64_t& invalid_bytes) {
  std::string out;
  out.reserve(text.size());
  invalid_bytes += append_valid_utf8(out, text);
  return out;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  // text[cut] is the first byte left out: while it continues a sequence, leave that out too.
  for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80; ++i) {
    --cut;
  }
  return text.substr(0, cut);
}

}  // namespace llmbench
