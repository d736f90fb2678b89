#include "core/redact.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

namespace llmbench {

namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

// Percent-encoding as URL encoders write it: every byte but `keep` ones as %XX.
std::string percent_encode(std::string_view text, const char* hex, std::string_view also_keep,
                           bool space_as_plus) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || also_keep.find(ch) != std::string_view::npos) {
      out += ch;
    } else if (space_as_plus && ch == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else if (text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

// JSON string escaping as encoders write it: quotes and backslashes always, '/' optionally,
// non-ASCII optionally as \uXXXX (UTF-16). Empty when `text` is not valid UTF-8 and
// `ascii` was asked for.
std::string json_escape(std::string_view text, bool slash, bool ascii, const char* hex) {
  std::string out;
  auto unit = [&](unsigned u) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += hex[(u >> shift) & 0xF];
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (slash && c == '/') {
      out += "\\/";
    } else if (c < 0x20) {
      unit(c);
    } else if (ascii && c >= 0x80) {
      const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
      if (length == 0 || i + length > text.size()) return {};
      auto cp = static_cast<unsigned>(c & (0x7F >> length));
      for (std::size_t k = 1; k < length; ++k) {
        const auto cont = static_cast<unsigned char>(text[i + k]);
        if ((cont & 0xC0) != 0x80) return {};
        cp = (cp << 6) | (cont & 0x3F);
      }
      i += length - 1;
      if (cp >= 0x10000) {
        cp -= 0x10000;
        unit(0xD800 + (cp >> 10));
        unit(0xDC00 + (cp & 0x3FF));
      } else {
        unit(cp);
      }
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace

std::optional<std::size_t> find_control_char(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return i;
  }
  return std::nullopt;
}

bool is_sensitive_name(std::string_view name) {
  const std::string n = lower(name);
  static constexpr std::array<std::string_view, 12> kParts = {
      "key",    "token",   "auth", "pass",       "pwd",    "secret",
      "cookie", "session", "sig",  "credential", "bearer", "jwt"};
  for (const std::string_view part : kParts) {
    if (n.find(part) != std::string::npos) return true;
  }
  return n == "code" || n == "pw";
}

bool Redactor::add(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) return false;
  std::unique_lock lock(mutex_);
  const std::string raw(secret);
  add_form(raw);
  add_form(json_escape(raw, false, false, kHexLower));
  add_form(json_escape(raw, true, false, kHexLower));
  add_form(json_escape(raw, false, true, kHexLower));
  add_form(json_escape(raw, false, true, kHexUpper));
  add_form(json_escape(raw, true, true, kHexLower));
  add_form(percent_encode(raw, kHexUpper, "", false));
  add_form(percent_encode(raw, kHexLower, "", false));
  add_form(percent_encode(raw, kHexUpper, "", true));
  add_form(percent_encode(raw, kHexUpper, "!'()*", false));  // encodeURIComponent
  std::stable_sort(needles_.begin(), needles_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  any_.store(true, std::memory_order_release);
  return true;
}

void Redactor::add_form(std::string form) {
  if (form.size() < kMinSecretBytes) return;
  if (std::find(needles_.begin(), needles_.end(), form) == needles_.end()) {
    needles_.push_back(std::move(form));
  }
}

bool Redactor::add_header_value(std::string_view value) {
  const bool added = add(value);
  // "Bearer sk-…", "Basic dXNlcjpwYXNz", "Token …": the credential alone may be echoed too.
  const std::size_t space = value.find(' ');
  if (space != std::string_view::npos) {
    const std::string scheme = lower(value.substr(0, space));
    std::string_view credential = value.substr(space + 1);
    while (!credential.empty() && credential.front() == ' ') credential.remove_prefix(1);
    add(credential);
    if (scheme == "basic") {
      if (auto decoded = base64_decode(credential)) {
        add(*decoded);
        if (const std::size_t colon = decoded->find(':'); colon != std::string::npos) {
          add(std::string_view(*decoded).substr(colon + 1));
        }
      }
    }
  }
  return added;
}

std::vector<std::string> Redactor::add_query(std::string_view query) {
  std::vector<std::string> too_short;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string name = percent_decode(pair.substr(0, eq));
    if (!is_sensitive_name(name)) continue;
    const std::string_view value = pair.substr(eq + 1);
    const std::string decoded = percent_decode(value);
    if (decoded.size() < kMinSecretBytes) {
      if (!decoded.empty()) too_short.push_back(name);
      continue;
    }
    add(value);
    add(decoded);
  }
  return too_short;
}

bool Redactor::redact_in_place(std::string& text) const {
  if (empty() || text.empty()) return false;
  std::shared_lock lock(mutex_);
  bool found = false;
  for (const std::string& n : needles_) {
    if (text.find(n) != std::string::npos) {
      found = true;
      break;
    }
  }
  // A message cut short (an error body kept to its first bytes) may end inside a secret.
  std::size_t tail = 0;
  for (const std::string& n : needles_) {
    for (std::size_t k = std::min(n.size() - 1, text.size()); k >= kMinSecretBytes; --k) {
      if (k <= tail) break;
      if (text.compare(text.size() - k, k, n, 0, k) == 0) {
        tail = k;
        break;
      }
    }
  }
  if (!found && tail == 0) return false;
  std::string out;
  out.reserve(text.size());
  const std::size_t end = text.size() - tail;
  std::size_t i = 0;
  while (i < end) {
    bool matched = false;
    for (const std::string& n : needles_) {
      if (text.compare(i, n.size(), n) == 0) {
        out += kRedacted;
        i += n.size();
        matched = true;
        break;
      }
    }
    if (!matched) out += text[i++];
  }
  if (tail != 0 && i <= end) out += kRedacted;
  text = std::move(out);
  return true;
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  redact_in_place(out);
  return out;
}

void Redactor::clear() {
  std::unique_lock lock(mutex_);
  needles_.clear();
  any_.store(false, std::memory_order_release);
}

Redactor& process_redactor() {
  static Redactor redactor;
  return redactor;
}

std::string redact(std::string_view text) { return process_redactor().redact(text); }

bool redact_in_place(std::string& text) { return process_redactor().redact_in_place(text); }

}  // namespace llmbench
