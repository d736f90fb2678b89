#pragma once
// Small text helpers shared by the parsers of option values and protocol lines.

#include <optional>
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

}  // namespace llmbench
