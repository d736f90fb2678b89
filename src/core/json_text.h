#pragma once
// Writing JSON text by hand where building a DOM would cost more than the work it
// describes (request bodies built per request). Only escaping lives here.

#include <string>
#include <string_view>

namespace llmbench {

// Appends `text` to `out` as a JSON string literal, quotes included. Control characters,
// quotes and backslashes are escaped; other bytes (UTF-8) pass through.
void append_json_string(std::string& out, std::string_view text);

}  // namespace llmbench
