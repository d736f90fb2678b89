#pragma once
// The run's secrets: checked (no control characters, long enough to redact) and registered
// with the process's Redactor (core/redact.h) before any traffic, so that nothing written or
// printed afterwards — results, CSVs, tables, errors — carries them.

#include <optional>
#include <span>
#include <string>

#include "app/run_spec.h"
#include "net/http_client.h"
#include "net/url.h"

namespace llmbench::app {

// Refuses (Failure, kExitUsage, a message naming the field but never the value) an API key or
// header with a control character (CR, LF, NUL, other C0 but HTAB, DEL), a header name that is
// not an HTTP token, and a credential shorter than kMinSecretBytes (the API key, a header or
// URL query parameter of a sensitive name: too short to be redacted reliably). Then registers
// the API key, the value of every header of a sensitive name (core/redact.h is_sensitive_name;
// the credential of "Scheme credential" values too) and the values of the URL's sensitive-named
// query parameters.
void register_secrets(const std::optional<std::string>& api_key,
                      std::span<const net::Header> headers, const net::Url& url);

// register_secrets() for a spec's API key, headers and URL.
void register_run_secrets(const RunSpec& spec);

}  // namespace llmbench::app
