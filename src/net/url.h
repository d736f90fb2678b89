#pragma once
// Base URL of an engine: scheme, host, port and an optional path prefix.

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
                          // strips what it knows)

  [[nodiscard]] bool tls() const { return scheme == "https"; }
  // "host:port" as the Host header wants it (brackets for IPv6, port omitted when default).
  [[nodiscard]] std::string host_header() const;
  [[nodiscard]] std::string to_string() const;
};

// Parses "http://host[:port][/path]" or "https://…". A missing scheme is an error: a user
// who typed "localhost:8000" is told what to write instead.
Expected<Url> parse_url(std::string_view text);

}  // namespace llmbench::net
