// The secrets test (issue 10, Deliver 5): secrets planted through every way llmbench takes
// them — the API key from the environment, engine-config headers (X-Api-Key, Cookie,
// Proxy-Authorization), a URL query (?api_key=) — against a server that echoes every request
// header into its error bodies and into its 200 answers, streamed and not, through `run`,
// `request` and `suite`. Then every file written (results, CSVs, suite.json, the spill and
// temporary files: TMPDIR points into the searched folder) and everything printed is searched
// for the planted strings in every form: zero hits.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/echo_server.h"
#include "support/process.h"

namespace llmbench {
namespace {

using testing::Child;
using testing::EchoServer;
using testing::slurp;

namespace fs = std::filesystem;

// Every planted secret contains "PLANTED", so the raw, JSON-escaped and percent-encoded forms
// of each do too; the Proxy-Authorization value is base64 and searched for as such.
constexpr const char* kEnvKey = "sk-PLANTED-env-7f3a";
constexpr const char* kXApiKey = "PLANTED-xapikey-91c2";
constexpr const char* kCookie = "session=PLANTED-cookie-44d1";
constexpr const char* kProxyCredential = "dXNlcjpQTEFOVEVELXByb3h5LXB3";  // user:PLANTED-proxy-pw
constexpr const char* kQueryKey = "PLANTED-query-5e6b";
const std::vector<std::string> kNeedles = {"PLANTED", kProxyCredential};

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("llmbench_secrets_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    searched_ = root_ / "searched";
    fs::create_directories(searched_);
    fs::create_directories(root_ / "config");
    // Children write their temporary and spill files here too: TMPDIR is searched.
    if (const char* old = std::getenv("TMPDIR")) old_tmpdir_ = old;
    ::setenv("TMPDIR", searched_.c_str(), 1);
    ::setenv("LLMBENCH_SECRETS_KEY", kEnvKey, 1);
  }
  void TearDown() override {
    if (old_tmpdir_) {
      ::setenv("TMPDIR", old_tmpdir_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
    fs::remove_all(root_);
  }

  std::string url(const EchoServer& server) const {
    return server.url() + "/v1?model=m&api_key=" + std::string(kQueryKey);
  }

  // An engine config with the three planted headers (outside the searched folder: it holds
  // the secrets on purpose).
  std::string write_config(const EchoServer& server) {
    const fs::path path = root_ / "config" / "echo.yaml";
    std::ofstream(path) << "name: echo\ntype: openai\nbase_url: " << url(server)
                        << "\nmodel: m\ntimeout: 10s\nheaders:\n  X-Api-Key: " << kXApiKey
                        << "\n  Cookie: \"" << kCookie << "\"\n  Proxy-Authorization: Basic "
                        << kProxyCredential << "\nauth:\n  api_key_env: LLMBENCH_SECRETS_KEY\n";
    return path.string();
  }

  struct Ran {
    int code;
    std::string out, err;
  };
  // Runs llmbench with `args`, keeping what it printed in the searched folder.
  Ran llmbench(std::vector<std::string> args) {
    args.insert(args.begin(), LLMBENCH_BINARY);
    Child child(args);
    Ran r{child.wait(), child.out(), child.err()};
    const fs::path printed = searched_ / ("printed_" + std::to_string(runs_++));
    std::ofstream(printed) << r.out << "\n" << r.err;
    return r;
  }

  // Every file under the searched folder that holds a planted string, with the first hit.
  std::vector<std::string> leaks() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(searched_)) {
      if (!entry.is_regular_file()) continue;
      const std::string text = slurp(entry.path());
      for (const std::string& needle : kNeedles) {
        if (const auto at = text.find(needle); at != std::string::npos) {
          found.push_back(entry.path().string() + ": ..." +
                          text.substr(at > 60 ? at - 60 : 0, 140) + "...");
        }
      }
    }
    return found;
  }

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(searched_)) {
      if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
    }
    return names;
  }

  // The server really saw every planted secret (else the test proves nothing).
  static void expect_secrets_sent(const EchoServer& server, bool with_headers) {
    std::string all;
    for (const std::string& h : server.heads()) all += h + "\n";
    EXPECT_NE(all.find(std::string("Bearer ") + kEnvKey), std::string::npos) << all;
    EXPECT_NE(all.find(kQueryKey), std::string::npos) << all;
    if (with_headers) {
      EXPECT_NE(all.find(kXApiKey), std::string::npos) << all;
      EXPECT_NE(all.find(kCookie), std::string::npos) << all;
      EXPECT_NE(all.find(kProxyCredential), std::string::npos) << all;
    }
  }

  fs::path root_, searched_;
  std::optional<std::string> old_tmpdir_;
  int runs_ = 0;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST_F(SecretsTest, RunWritesAndPrintsNoSecretWhateverTheServerEchoes) {
  EchoServer server(EchoServer::Mode::kErrorJson);
  const std::string config = write_config(server);
  int n = 0;
  for (const auto mode :
       {EchoServer::Mode::kErrorJson, EchoServer::Mode::kErrorText, EchoServer::Mode::kOk}) {
    server.set_mode(mode);
    for (const char* stream : {"--stream", "--no-stream"}) {
      const std::string out = (searched_ / ("r" + std::to_string(n++))).string();
      const Ran r =
          llmbench({"run", "--config", config, "--engine", "echo", "--api", "openai-chat",
                    "--requests", "2", "--max-tokens", "4", stream, "--no-progress", "--output",
                    out + ".json", "--csv", out + ".csv", "--summary-csv", out + "-summary.csv"});
      EXPECT_TRUE(r.code == 0 || r.code == 4) << r.code << r.err;
      ASSERT_TRUE(fs::exists(out + ".json")) << r.err;
      const std::string result = slurp(out + ".json");
      if (mode != EchoServer::Mode::kOk) {
        // The echo reached the record, redacted: the request line and headers are there.
        EXPECT_NE(result.find("[REDACTED]"), std::string::npos) << result;
        EXPECT_NE(result.find("Cookie"), std::string::npos) << result;
      }
      ASSERT_TRUE(fs::exists(out + ".csv"));
    }
  }
  expect_secrets_sent(server, true);
  EXPECT_GE(files().size(), 18u) << joined(files());
  EXPECT_EQ(joined(leaks()), "");
}

// Issue 13: a --metrics-url with a token in its query (a proxy's) is scraped with it, and its
// failures are named in the result and on stderr: never with the token.
TEST_F(SecretsTest, AMetricsUrlsQueryIsNeverWrittenOrPrinted) {
  EchoServer server(EchoServer::Mode::kErrorText);
  const std::string metrics = server.url() + "/metrics?token=PLANTED-metrics-url-3c9d";
  const std::string out = (searched_ / "scraped.json").string();
  const Ran r = llmbench({"run", "--url", server.url(), "--engine", "openai", "--model", "m",
                          "--requests", "2", "--max-tokens", "4", "--no-progress", "--metrics-url",
                          metrics, "--output", out});
  EXPECT_TRUE(r.code == 0 || r.code == 4) << r.code << r.err;
  ASSERT_TRUE(fs::exists(out)) << r.err;
  // The scrape went, with the token, and failed (the echo server answers no Prometheus text).
  std::string heads;
  for (const std::string& h : server.heads()) heads += h + "\n";
  EXPECT_NE(heads.find("GET /metrics?token=PLANTED-metrics-url-3c9d"), std::string::npos) << heads;
  EXPECT_NE(slurp(out).find("[REDACTED]"), std::string::npos);
  const Ran m = llmbench({"monitor", "--url", server.url(), "--engine", "openai", "--duration",
                          "1s", "--metrics-url", metrics, "--no-gpu-monitor", "--output",
                          (searched_ / "monitor.json").string()});
  EXPECT_EQ(m.code, 0) << m.err;
  EXPECT_EQ(joined(leaks()), "");
}

TEST_F(SecretsTest, RequestPrintsNoSecret) {
  EchoServer server(EchoServer::Mode::kErrorJson);
  for (const auto mode :
       {EchoServer::Mode::kErrorJson, EchoServer::Mode::kErrorText, EchoServer::Mode::kOk}) {
    server.set_mode(mode);
    for (const char* stream : {"--stream", "--no-stream"}) {
      for (const char* format : {"table", "json"}) {
        const Ran r =
            llmbench({"request", "--url", url(server), "--engine", "openai", "--api", "openai-chat",
                      "--model", "m", "--max-tokens", "4", stream, "--format", format, "--timeout",
                      "10s", "--api-key-env", "LLMBENCH_SECRETS_KEY"});
        EXPECT_TRUE(r.code == 0 || r.code == 1) << r.code << r.err;
        if (mode != EchoServer::Mode::kOk) {
          EXPECT_NE(r.out.find("[REDACTED]"), std::string::npos) << r.out;
        }
      }
    }
  }
  expect_secrets_sent(server, false);
  EXPECT_EQ(joined(leaks()), "");
}

TEST_F(SecretsTest, SuiteWritesAndPrintsNoSecret) {
  // Runs that succeed (a suite whose runs fail is class 8's), the echo in every finish reason.
  EchoServer server(EchoServer::Mode::kOk);
  const std::string config = write_config(server);
  const fs::path suite = root_ / "config" / "suite.yaml";
  std::ofstream(suite) << "name: secrets\ndefaults:\n  requests: 2\n  max_tokens: 4\n"
                          "scenarios:\n  - type: streaming\n    modes: [streaming, "
                          "non_streaming]\n";
  const fs::path dir = searched_ / "suite";
  const Ran r =
      llmbench({"suite", suite.string(), "--config", config, "--engine", "echo", "--api",
                "openai-chat", "--url", url(server), "--output-dir", dir.string(), "--verbose"});
  EXPECT_TRUE(fs::exists(dir / "suite.json")) << r.code << r.out << r.err;
  EXPECT_NE(slurp(dir / "suite.json").find("api_key=[REDACTED]"), std::string::npos);
  expect_secrets_sent(server, true);
  const Ran dry = llmbench({"suite", suite.string(), "--config", config, "--engine", "echo",
                            "--url", url(server), "--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_EQ(joined(leaks()), "");
}

// URL userinfo is refused (docs/limits.md), by every command that takes a URL, before any
// traffic and without repeating it; in an engine config's base_url too.
TEST_F(SecretsTest, UrlUserinfoIsRefusedWithoutEchoOrTraffic) {
  EchoServer server(EchoServer::Mode::kOk);
  const std::string port = server.url().substr(server.url().rfind(':') + 1);
  const std::string with_userinfo =
      "http://alice:PLANTED-userinfo-pw@127.0.0.1:" + port + "/v1?api_key=" + kQueryKey;
  const fs::path config = root_ / "config" / "userinfo.yaml";
  std::ofstream(config) << "name: ui\ntype: openai\nbase_url: " << with_userinfo << "\n";
  const std::vector<std::vector<std::string>> commands = {
      {"run", "--url", with_userinfo, "--engine", "openai", "--model", "m", "--requests", "1",
       "--output", (searched_ / "u.json").string()},
      {"request", "--url", with_userinfo, "--engine", "openai", "--model", "m"},
      {"models", "list", "--url", with_userinfo},
      {"run", "--config", config.string(), "--engine", "ui", "--model", "m", "--requests", "1",
       "--output", (searched_ / "u.json").string()},
  };
  for (const auto& command : commands) {
    const Ran r = llmbench(command);
    EXPECT_EQ(r.code, 2) << command[0] << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
  EXPECT_TRUE(server.heads().empty()) << joined(server.heads());
  EXPECT_FALSE(fs::exists(searched_ / "u.json"));
  EXPECT_EQ(joined(leaks()), "");
}

TEST_F(SecretsTest, ControlCharactersInAKeyAreRefusedBeforeAnyTraffic) {
  EchoServer server(EchoServer::Mode::kOk);
  for (const char* bad : {"sk-PLANTED\r\nX-Injected: 1", "sk-PLANTED\n", "sk-\x7fPLANTED"}) {
    ::setenv("LLMBENCH_SECRETS_KEY", bad, 1);
    const Ran r = llmbench({"run", "--url", url(server), "--engine", "openai", "--model", "m",
                            "--requests", "1", "--api-key-env", "LLMBENCH_SECRETS_KEY", "--output",
                            (searched_ / "c.json").string()});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("the API key (--api-key-env) contains a control character"),
              std::string::npos)
        << r.err;
    const Ran q = llmbench({"request", "--url", url(server), "--engine", "openai", "--model", "m",
                            "--api-key-env", "LLMBENCH_SECRETS_KEY"});
    EXPECT_EQ(q.code, 2) << q.err;
  }
  ::setenv("LLMBENCH_SECRETS_KEY", "sk!", 1);
  const Ran r = llmbench({"run", "--url", url(server), "--engine", "openai", "--model", "m",
                          "--requests", "1", "--api-key-env", "LLMBENCH_SECRETS_KEY", "--output",
                          (searched_ / "c.json").string()});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("shorter than 4 bytes"), std::string::npos) << r.err;
  EXPECT_TRUE(server.heads().empty()) << joined(server.heads());
  EXPECT_FALSE(fs::exists(searched_ / "c.json"));
  EXPECT_EQ(joined(leaks()), "");
}

TEST_F(SecretsTest, ControlCharactersInAConfigHeaderAreRefusedBeforeAnyTraffic) {
  EchoServer server(EchoServer::Mode::kOk);
  const fs::path path = root_ / "config" / "bad.yaml";
  std::ofstream(path) << "name: bad\ntype: openai\nbase_url: " << server.url()
                      << "\nheaders:\n  X-Api-Key: \"PLANTED\\r\\nX-Injected: 1\"\n";
  const Ran r = llmbench({"run", "--config", path.string(), "--engine", "bad", "--model", "m",
                          "--requests", "1", "--output", (searched_ / "h.json").string()});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("headers.X-Api-Key: the value contains a control character"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(server.heads().empty()) << joined(server.heads());
  EXPECT_EQ(joined(leaks()), "");
}

}  // namespace
}  // namespace llmbench
