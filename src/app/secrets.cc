#include "app/secrets.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "app/outcome.h"
#include "core/redact.h"

namespace llmbench::app {

namespace {

[[noreturn]] void refuse(const std::string& message) { throw Failure{kExitUsage, message}; }

std::string control_char_note(std::string_view text, std::size_t at) {
  char note[80];
  std::snprintf(note, sizeof note, "contains a control character (byte 0x%02X at position %zu)",
                static_cast<unsigned char>(text[at]), at);
  return note;
}

// RFC 9110 token characters, what a header name is made of.
bool is_token(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](const char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
  });
}

}  // namespace

void register_secrets(const std::optional<std::string>& api_key,
                      std::span<const net::Header> headers, const net::Url& url) {
  const std::string too_short = "is shorter than " + std::to_string(kMinSecretBytes) +
                                " bytes, too short to be kept out of the output reliably; "
                                "refused";
  if (api_key) {
    if (const auto at = find_control_char(*api_key)) {
      refuse("the API key (--api-key-env) " + control_char_note(*api_key, *at) +
             "; it would forge request headers; refused");
    }
    if (api_key->size() < kMinSecretBytes) refuse("the API key (--api-key-env) " + too_short);
  }
  for (const net::Header& h : headers) {
    if (!is_token(h.name)) {
      // A name with CR/LF is not repeated either: it could redraw the terminal.
      refuse(find_control_char(h.name)
                 ? "a header name (engine config `headers`) contains a control character; refused"
                 : "header name '" + h.name +
                       "' (engine config `headers`) is not an HTTP token (letters, digits, "
                       "!#$%&'*+-.^_`|~); refused");
    }
    if (const auto at = find_control_char(h.value)) {
      refuse("header '" + h.name + "' (engine config `headers`): the value " +
             control_char_note(h.value, *at) + "; it would forge request headers; refused");
    }
    if (is_sensitive_name(h.name) && !h.value.empty() && h.value.size() < kMinSecretBytes) {
      refuse("header '" + h.name + "' (engine config `headers`): the value " + too_short);
    }
  }
  if (!url.query.empty()) {
    Redactor probe;  // check first, so nothing is registered from a refused URL
    if (const auto short_names = probe.add_query(url.query); !short_names.empty()) {
      const std::string& name = short_names.front();
      refuse("--url: the value of query parameter " +
             (find_control_char(name) ? std::string("") : "'" + name + "' ") + too_short);
    }
  }
  Redactor& secrets = process_redactor();
  if (api_key) secrets.add(*api_key);
  for (const net::Header& h : headers) {
    // Only credentials: a value such as "X-Client: llmbench" redacted would blank the tool's
    // own name from every output.
    if (is_sensitive_name(h.name)) secrets.add_header_value(h.value);
  }
  secrets.add_query(url.query);
}

void register_run_secrets(const RunSpec& spec) {
  register_secrets(spec.api_key, spec.headers, spec.url);
  // A --metrics-url's query (a proxy's token=…) is kept out of the output as the engine URL's.
  if (spec.monitors.metrics_url) register_secrets(std::nullopt, {}, *spec.monitors.metrics_url);
}

}  // namespace llmbench::app
