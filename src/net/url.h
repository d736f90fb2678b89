#pragma once
// Base URL of an engine: scheme, host, port, an optional path prefix and query.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace llmbench::net {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string base_path;  // without trailing '/', may be empty ("/v1" is kept: the adapter
                          // strips what it knows); percent-encoding kept as written
  std::string query;      // after '?', as written; empty when none. Sent on every request.

  [[nodiscard]] bool tls() const { return scheme == "https"; }
  // "host:port" as the Host header wants it (brackets for IPv6, port omitted when default).
  [[nodiscard]] std::string host_header() const;
  // scheme://host:port/base_path?query. Never holds credentials: parse_url refuses them.
  [[nodiscard]] std::string to_string() const;
  // `target` (a path starting with '/') with the URL's query appended.
  [[nodiscard]] std::string with_query(std::string_view target) const;
};

// Parses "http://host[:port][/path][?query]" or "https://…" (RFC 3986, by Boost.URL).
// Refused, with an error that never repeats what was refused:
//  - a missing scheme (the user who typed "localhost:8000" is told what to write instead);
//  - credentials (user:password@): llmbench neither sends nor stores them, so they belong in
//    a header (engine config `headers`) or an API key (--api-key-env);
//  - control characters (CR, LF, TAB, NUL, DEL…), which could forge request lines;
//  - a fragment (#…), which HTTP never sends.
Expected<Url> parse_url(std::string_view text);

// A redirect's Location as it may be shown: absolute (a relative one is resolved against
// `base`), with any userinfo, query and fragment removed ("?…" marks a removed query), control
// and non-ASCII bytes replaced by '?', and at most 200 characters.
std::string redirect_target(std::string_view location, const Url& base);

}  // namespace llmbench::net
