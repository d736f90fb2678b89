#include "net/url.h"

#include <charconv>

namespace llmbench::net {

std::string Url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  if (!default_port) h += ":" + std::to_string(port);
  return h;
}

std::string Url::to_string() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port) + base_path;
}

Expected<Url> parse_url(std::string_view text) {
  Url url;
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "URL '" + std::string(text) + "' has no scheme; write http://" +
                          std::string(text) + " or https://" + std::string(text));
  }
  url.scheme = std::string(text.substr(0, sep));
  for (char& c : url.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.scheme != "http" && url.scheme != "https") {
    return make_error(ErrorCode::kInvalidArgument,
                      "URL '" + std::string(text) + "': scheme must be http or https");
  }
  std::string_view rest = text.substr(sep + 3);
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.base_path = std::string(path);

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "URL '" + std::string(text) + "': unterminated IPv6 literal");
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() == ':') port_text = after.substr(1);
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "URL '" + std::string(text) + "' has no host");
  }
  if (port_text.empty()) {
    url.port = url.tls() ? 443 : 80;
  } else {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return make_error(ErrorCode::kInvalidArgument, "URL '" + std::string(text) + "': port '" +
                                                         std::string(port_text) +
                                                         "' is not a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

}  // namespace llmbench::net
