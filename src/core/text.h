#pragma once
// Small text helpers shared by the parsers of option values and protocol lines.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench {

// `text` without leading spaces/tabs and trailing spaces/tabs/carriage returns (what a line
// of a CRLF file or an SSE field keeps around its value).
std::string_view trim_blanks(std::string_view text);

// The pieces between `separator`s, as they stand (not trimmed; empty pieces kept, so a
// caller decides whether "1,,4" is an error). Empty text gives no pieces.
std::vector<std::string_view> split(std::string_view text, char separator);

// The whole of `text` as a finite decimal number; nullopt for anything else.
std::optional<double> parse_number(std::string_view text);

// ---- UTF-8: text from the network ----
//
// Well-formed UTF-8 is what the Unicode Standard's §3.9, Table 3-7 allows: no overlong forms
// (C0, C1, E0 80..9F, F0 80..8F), no surrogates (ED A0..BF: U+D800..U+DFFF), nothing above
// U+10FFFF (F4 90.., F5..FF), no continuation byte without its lead, no truncated sequence.

// Whether `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

// Appends `text` to `out` as well-formed UTF-8: each maximal subpart of an ill-formed sequence
// becomes one U+FFFD (Unicode §3.9 "U+FFFD Substitution of Maximal Subparts", as the WHATWG
// decoder does), everything else is copied unchanged. Returns how many bytes of `text` were
// replaced: 0 exactly when `text` was well-formed.
std::size_t append_valid_utf8(std::string& out, std::string_view text);

// Text from the network made safe to store: `text` as well-formed UTF-8 (append_valid_utf8),
// the count of replaced bytes added to `invalid_bytes`.
std::string valid_utf8(std::string_view text, std::uint64_t& invalid_bytes);

// The longest prefix of `text` no longer than `max_bytes` that does not cut a multi-byte
// sequence of well-formed text (it backs up over at most three continuation bytes).
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace llmbench
