#include "net/url.h"

#include <gtest/gtest.h>

namespace llmbench::net {
namespace {

TEST(Url, ParsesSchemeHostPortAndPath) {
  auto url = parse_url("http://localhost:8000/v1/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "localhost");
  EXPECT_EQ(url->port, 8000);
  EXPECT_EQ(url->base_path, "/v1");
  EXPECT_EQ(url->host_header(), "localhost:8000");
}

TEST(Url, DefaultPortsAndIpv6) {
  EXPECT_EQ(parse_url("https://api.example.com")->port, 443);
  EXPECT_EQ(parse_url("http://example.com")->host_header(), "example.com");
  auto v6 = parse_url("http://[::1]:11434");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header(), "[::1]:11434");
}

TEST(Url, ErrorsSayWhatToWrite) {
  auto no_scheme = parse_url("localhost:8000");
  ASSERT_FALSE(no_scheme);
  EXPECT_NE(no_scheme.error().message.find("http://localhost:8000"), std::string::npos);
  EXPECT_FALSE(parse_url("ftp://x"));
  EXPECT_FALSE(parse_url("http://x:99999"));
  EXPECT_FALSE(parse_url("http://x:80a"));
  EXPECT_FALSE(parse_url("http://:80"));
}

}  // namespace
}  // namespace llmbench::net
