#include "core/redact.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace llmbench {
namespace {

TEST(Redactor, ReplacesEveryOccurrenceOfASecret) {
  Redactor r;
  ASSERT_TRUE(r.add("sk-planted-0001"));
  EXPECT_EQ(r.redact("key sk-planted-0001 and again sk-planted-0001."),
            "key [REDACTED] and again [REDACTED].");
  EXPECT_EQ(r.redact("nothing secret here"), "nothing secret here");
  EXPECT_EQ(r.redact(""), "");
}

TEST(Redactor, ReplacesTheFormsAnEchoCarriesASecretIn) {
  Redactor r;
  ASSERT_TRUE(r.add("a\"b\\c/d e&f=g+h\xC3\xA9"));
  // JSON-escaped (minimal, with \/, and ASCII-only with \u escapes), percent-encoded (upper,
  // lower, form with '+', encodeURIComponent).
  for (const std::string& echoed :
       {std::string("a\"b\\c/d e&f=g+h\xC3\xA9"), std::string("a\\\"b\\\\c/d e&f=g+h\xC3\xA9"),
        std::string("a\\\"b\\\\c\\/d e&f=g+h\xC3\xA9"), std::string("a\\\"b\\\\c/d e&f=g+h\\u00e9"),
        std::string("a\\\"b\\\\c/d e&f=g+h\\u00E9"),
        std::string("a%22b%5Cc%2Fd%20e%26f%3Dg%2Bh%C3%A9"),
        std::string("a%22b%5cc%2fd%20e%26f%3dg%2bh%c3%a9"),
        std::string("a%22b%5Cc%2Fd+e%26f%3Dg%2Bh%C3%A9")}) {
    EXPECT_EQ(r.redact("<" + echoed + ">"), "<[REDACTED]>") << echoed;
  }
}

TEST(Redactor, IgnoresSecretsTooShortToRedact) {
  Redactor r;
  EXPECT_FALSE(r.add("abc"));
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.redact("abc abc"), "abc abc");
  EXPECT_TRUE(r.add("abcd"));
  EXPECT_EQ(r.redact("abc abcd"), "abc [REDACTED]");
}

TEST(Redactor, ATextCutShortInsideASecretLosesTheTail) {
  Redactor r;
  ASSERT_TRUE(r.add("sk-planted-0001"));
  EXPECT_EQ(r.redact("HTTP 401: bad key sk-plan"), "HTTP 401: bad key [REDACTED]");
  // Fewer than kMinSecretBytes bytes of a secret are not taken for one.
  EXPECT_EQ(r.redact("HTTP 401: sk-"), "HTTP 401: sk-");
  EXPECT_EQ(r.redact("sk-planted-0001 and sk-planted"), "[REDACTED] and [REDACTED]");
}

TEST(Redactor, ReplacementIsNotRedactedAgain) {
  Redactor r;
  ASSERT_TRUE(r.add("DACTED"));
  ASSERT_TRUE(r.add("xxDACTEDxx"));
  EXPECT_EQ(r.redact("xxDACTEDxx DACTED"), "[REDACTED] [REDACTED]");
}

TEST(Redactor, HeaderValuesLoseTheirCredentialAndBasicItsPassword) {
  Redactor r;
  r.add_header_value("Bearer tok-12345");
  EXPECT_EQ(r.redact("got tok-12345"), "got [REDACTED]");
  r.add_header_value("Basic dXNlcjpodW50ZXIy");  // user:hunter2
  EXPECT_EQ(r.redact("dXNlcjpodW50ZXIy user:hunter2 hunter2"), "[REDACTED] [REDACTED] [REDACTED]");
  r.add_header_value("session=c00kie-value");
  EXPECT_EQ(r.redact("Cookie: session=c00kie-value"), "Cookie: [REDACTED]");
}

TEST(Redactor, QueryValuesOfSensitiveNamesAreSecret) {
  Redactor r;
  const auto too_short = r.add_query("model=llama3&api_key=PLANTED%2Bq&sig=ab&AccessToken=t0k3n&x");
  EXPECT_EQ(too_short, std::vector<std::string>{"sig"});
  EXPECT_EQ(r.redact("/v1?model=llama3&api_key=PLANTED%2Bq"),
            "/v1?model=llama3&api_key=[REDACTED]");
  EXPECT_EQ(r.redact("key PLANTED+q"), "key [REDACTED]");
  EXPECT_EQ(r.redact("t0k3n"), "[REDACTED]");
  EXPECT_EQ(r.redact("llama3"), "llama3");
}

TEST(Redactor, SensitiveNames) {
  for (const char* name :
       {"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "api_key", "key", "token",
        "access_token", "auth", "password", "sig", "X-Amz-Signature", "client_secret"}) {
    EXPECT_TRUE(is_sensitive_name(name)) << name;
  }
  for (const char* name : {"model", "X-Team", "api-version", "stream"}) {
    EXPECT_FALSE(is_sensitive_name(name)) << name;
  }
}

TEST(Redactor, ControlCharactersAreFound) {
  EXPECT_EQ(find_control_char("abc\r\nX-Evil: 1"), 3u);
  EXPECT_EQ(find_control_char(std::string("ab\0c", 4)), 2u);
  EXPECT_EQ(find_control_char("ab\x7f"), 2u);
  EXPECT_EQ(find_control_char("ab\x1b[2J"), 2u);
  EXPECT_EQ(find_control_char("tab\tis allowed, so is \xC3\xA9"), std::nullopt);
}

TEST(Redactor, JsonStringsAndKeysAreRedacted) {
  process_redactor().clear();
  nlohmann::json untouched = {{"a", "sk-planted-0001"}};
  redact_json(untouched);  // nothing registered: nothing changes
  EXPECT_EQ(untouched["a"], "sk-planted-0001");
  ASSERT_TRUE(process_redactor().add("sk-planted-0001"));
  nlohmann::ordered_json j = {{"error", {{"message", "echo: Bearer sk-planted-0001"}}},
                              {"headers", {{"x-sk-planted-0001", 1}, {"b", 2}}},
                              {"list", nlohmann::ordered_json::array({"sk-planted-0001", 3})}};
  redact_json(j);
  EXPECT_EQ(j.dump(),
            R"({"error":{"message":"echo: Bearer [REDACTED]"},"headers":{"x-[REDACTED]":1,"b":2},)"
            R"("list":["[REDACTED]",3]})");
  EXPECT_EQ(redact("x sk-planted-0001"), "x [REDACTED]");
  process_redactor().clear();
}

}  // namespace
}  // namespace llmbench
