#include "net/url.h"

// Boost.URL, header-only: its implementation is compiled here, in exactly one .cc.
#include <boost/url/parse.hpp>
#include <boost/url/src.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace llmbench::net {

namespace {

// Where the part of a URL that may hold credentials ends: its query or fragment. A password
// can hold '/' (unescaped, as users type it), so the authority's end is no guide.
std::size_t before_query(std::string_view text) {
  return std::min(text.find_first_of("?#"), text.size());
}

// The URL as it may appear in an error message: everything up to the last '@' before the
// query replaced by "***", and the query and fragment by "?***" (an `api_key=` there is a
// secret, and an error comes before the run's secrets are known to the redactor). Textual,
// so it also works on text that is not a valid URL; it may hide more than the credentials,
// never less.
std::string redacted(std::string_view text) {
  const std::size_t query = before_query(text);
  const std::string tail = query < text.size() ? std::string(1, text[query]) + "***" : "";
  const std::string_view head = text.substr(0, query);
  const std::size_t sep = head.find("://");
  const std::size_t from = sep == std::string_view::npos ? 0 : sep + 3;
  const std::size_t at = head.rfind('@');
  if (at == std::string_view::npos || at < from) return std::string(head) + tail;
  return std::string(head.substr(0, from)) + "***" + std::string(head.substr(at)) + tail;
}

Expected<Url> invalid(std::string_view text, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument, "URL '" + redacted(text) + "'" + std::string(why));
}

bool valid_host_name(std::string_view host) {
  for (const char c : host) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return !host.empty();
}

}  // namespace

std::string Url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  if (!default_port) h += ":" + std::to_string(port);
  return h;
}

std::string Url::to_string() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string out = scheme + "://" + h + ":" + std::to_string(port) + base_path;
  if (!query.empty()) out += "?" + query;
  return out;
}

std::string Url::with_query(std::string_view target) const {
  std::string out(target);
  if (!query.empty()) {
    out += out.find('?') == std::string::npos ? '?' : '&';
    out += query;
  }
  return out;
}

Expected<Url> parse_url(std::string_view text) {
  // Control characters first, and without echoing the text: a CR/LF must never reach a
  // request line, a header or a terminal.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      char where[96];
      std::snprintf(where, sizeof where,
                    "URL contains a control character (byte 0x%02X at position %zu); refused", c,
                    i);
      return make_error(ErrorCode::kInvalidArgument, where);
    }
  }
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    const std::string shown = redacted(text);
    return make_error(
        ErrorCode::kInvalidArgument,
        "URL '" + shown + "' has no scheme; write http://" + shown + " or https://" + shown);
  }
  std::string scheme(text.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") {
    return invalid(text, ": scheme must be http or https");
  }
  // Any '@' before the query is taken for credentials, also one a password's '/' would move
  // into the path; a literal '@' in a path is written %40.
  const auto parsed = boost::urls::parse_uri(boost::urls::string_view(text.data(), text.size()));
  if (text.substr(0, before_query(text)).find('@') != std::string_view::npos ||
      (parsed && parsed->has_userinfo())) {
    return invalid(text,
                   " holds credentials (user:password@), which llmbench neither sends nor "
                   "writes anywhere; remove them and pass them as a header (engine config "
                   "`headers`, e.g. Authorization) or an API key (--api-key-env); a literal '@' "
                   "in the path is written %40");
  }
  if (!parsed) return invalid(text, " is not a valid URL: " + parsed.error().message());
  const boost::urls::url_view& u = *parsed;
  if (u.has_fragment()) return invalid(text, " has a fragment (#…), which HTTP never sends");

  Url url;
  url.scheme = std::move(scheme);
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      url.host = std::string(u.encoded_host());
      break;
    case boost::urls::host_type::ipv6:
      url.host = u.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::name: {
      const std::string_view host(u.encoded_host().data(), u.encoded_host().size());
      if (host.empty()) return invalid(text, " has no host");
      if (!valid_host_name(host)) {
        return invalid(text, ": host '" + std::string(host) + "' is not a valid host name");
      }
      url.host = std::string(host);
      break;
    }
    default:
      return invalid(text, " has no host");
  }
  std::string_view path(u.encoded_path().data(), u.encoded_path().size());
  const std::string_view port_text(u.port().data(), u.port().size());
  if (!path.empty() && path.front() != '/') {
    // Boost.URL 1.81 takes "http://x:80a" for port 80 and path "a"; RFC 3986 wants '/' there.
    if (!u.has_port()) return invalid(text, ": the host must be followed by '/', '?' or the end");
    const std::string written =
        std::string(port_text) + std::string(path.substr(0, path.find('/')));
    return invalid(text, ": port '" + written + "' is not a number from 1 to 65535");
  }
  if (port_text.empty()) {
    url.port = url.tls() ? 443 : 80;
  } else {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return invalid(text,
                     ": port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.base_path = std::string(path);
  if (u.has_query()) url.query = std::string(u.encoded_query().data(), u.encoded_query().size());
  return url;
}

std::string redirect_target(std::string_view location, const Url& base) {
  constexpr std::size_t kMaxShown = 200;
  while (!location.empty() && (location.front() == ' ' || location.front() == '\t')) {
    location.remove_prefix(1);
  }
  while (!location.empty() && (location.back() == ' ' || location.back() == '\t')) {
    location.remove_suffix(1);
  }
  const std::size_t query_at = std::min(location.find_first_of("?#"), location.size());
  const bool had_query = query_at < location.size() && location[query_at] == '?';
  std::string_view rest = location.substr(0, query_at);
  std::string out;
  const std::size_t sep = rest.find("://");
  const bool has_scheme = sep != std::string_view::npos && sep > 0 &&
                          rest.substr(0, sep).find('/') == std::string_view::npos;
  if (has_scheme || rest.substr(0, 2) == "//") {
    const std::size_t authority_at = has_scheme ? sep + 3 : 2;
    out = has_scheme ? std::string(rest.substr(0, authority_at)) : base.scheme + "://";
    rest.remove_prefix(authority_at);
    const std::size_t path_at = std::min(rest.find('/'), rest.size());
    std::string_view authority = rest.substr(0, path_at);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      authority.remove_prefix(at + 1);  // userinfo: never shown
    }
    out += authority;
    out += rest.substr(path_at);
  } else {
    out = base.scheme + "://" + base.host_header();
    if (rest.empty() || rest.front() != '/') out += base.base_path + "/";
    out += rest;
  }
  std::string shown;
  for (const char c : out.substr(0, kMaxShown)) {
    const auto u = static_cast<unsigned char>(c);
    shown += (u < 0x20 || u >= 0x7f) ? '?' : c;
  }
  if (out.size() > kMaxShown) shown += "…";
  if (had_query) shown += "?…";
  return shown;
}

}  // namespace llmbench::net
