// net::parse_url: any text is parsed or refused without crashing; what is accepted holds no
// control characters, and its to_string() parses back to the same URL.

#include <algorithm>

#include "fuzz_support.h"
#include "net/url.h"

namespace {

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto url = llmbench::net::parse_url(text);
  if (!url) return 0;
  LLMBENCH_FUZZ_CHECK(url->scheme == "http" || url->scheme == "https", "unknown scheme");
  LLMBENCH_FUZZ_CHECK(!has_control(url->host), "control character in the host");
  LLMBENCH_FUZZ_CHECK(!has_control(url->base_path), "control character in the path");
  LLMBENCH_FUZZ_CHECK(!has_control(url->query), "control character in the query");
  const std::string host_header = url->host_header();
  LLMBENCH_FUZZ_CHECK(!has_control(host_header), "control character in the Host header");
  LLMBENCH_FUZZ_CHECK(!has_control(url->with_query("/v1/models")), "control character in a target");
  const std::string again = url->to_string();
  auto reparsed = llmbench::net::parse_url(again);
  LLMBENCH_FUZZ_CHECK(reparsed.has_value(), "to_string() of an accepted URL is refused");
  LLMBENCH_FUZZ_CHECK(reparsed->scheme == url->scheme && reparsed->host == url->host &&
                          reparsed->port == url->port && reparsed->base_path == url->base_path &&
                          reparsed->query == url->query,
                      "to_string() does not parse back to the same URL");
  return 0;
}
