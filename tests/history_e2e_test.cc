// End-to-end: the results history (issue 11, docs/history.md). The real binary runs against
// `llmbench sim` (and the echoing server of the secrets test), each run stored in a private
// database, and `llmbench history` reads them back; its figures are checked against the
// result files the same runs wrote.

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support/echo_server.h"
#include "support/process.h"
#include "support/run_llmbench.h"

namespace llmbench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Child;
using testing::RunOutcome;
using testing::Sim;
using testing::slurp;

struct Ran {
  int code;
  std::string out, err;
};

// Seconds as `history` tables print a latency: milliseconds, three decimals.
std::string fmt_ms(double seconds) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f", seconds * 1e3);
  return buffer;
}

class HistoryE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("llmbench_history_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "results.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Ran llmbench(std::vector<std::string> args) {
    args.insert(args.begin(), LLMBENCH_BINARY);
    Child child(args);
    const int code = child.wait();
    return {code, child.out(), child.err()};
  }
  Ran history(std::vector<std::string> args) const {
    args.insert(args.begin(), "history");
    args.insert(args.end(), {"--db", db_});
    return llmbench(args);
  }
  json history_json(std::vector<std::string> args) const {
    args.insert(args.end(), {"--format", "json"});
    const Ran r = history(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out);
  }
  RunOutcome bench(const std::string& url, std::vector<std::string> options) const {
    options.insert(options.end(), {"--db", db_, "--concurrency", "2", "--max-tokens", "8"});
    return testing::run(url, options);
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(HistoryE2e, EveryRunIsStoredAndTheHistoryCommandsReadItBack) {
  Sim sim({"--ttft", "20ms", "--itl", "2ms"});
  const RunOutcome first = bench(sim.url(), {"--requests", "10"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("stored as run 1 in " + db_ + " (llmbench history show 1)"),
            std::string::npos)
      << first.out;
  const RunOutcome second = bench(sim.url(), {"--requests", "12", "--ttft-sla-unused-x"});
  // An unknown option is refused before anything is stored.
  EXPECT_EQ(second.exit_code, 2);
  const RunOutcome again = bench(sim.url(), {"--requests", "12"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("stored as run 2 in "), std::string::npos) << again.out;

  // list: both runs, oldest first, with the identity and figures of their result files.
  const json list = history_json({"list"});
  ASSERT_EQ(list.size(), 2u) << list.dump(2);
  const std::vector<const RunOutcome*> runs = {&first, &again};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const json& result = runs[i]->result;
    const json& row = list[i];
    EXPECT_EQ(row["id"], i + 1);
    EXPECT_EQ(row["engine"], result["context"]["config"]["engine"]);
    EXPECT_EQ(row["model"], result["context"]["config"]["model"]);
    EXPECT_EQ(row["started_at"], result["context"]["start_time"]);
    EXPECT_EQ(row["fingerprint"], result["workload"]["fingerprint"]["workload"]);
    EXPECT_EQ(row["requests_stored"], result["requests"].size());
    EXPECT_EQ(row["stop_reason"], "completed");
    EXPECT_EQ(row["interrupted"], false);
    EXPECT_EQ(row["tool_version"], result["context"]["tool_version"]);
    EXPECT_DOUBLE_EQ(row["figures"]["ttft.p50"].get<double>(),
                     result["summary"]["ttft"]["p50"].get<double>());
    EXPECT_DOUBLE_EQ(row["figures"]["output_token_throughput"].get<double>(),
                     result["summary"]["output_token_throughput"].get<double>());
  }
  EXPECT_NE(list[0]["fingerprint"], list[1]["fingerprint"]) << "10 and 12 requests differ";
  const Ran table = history({"list"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("ttft.p50 (ms)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(list[1]["started_at"].get<std::string>()), std::string::npos);

  // show: the stored spec and summary are the result file's, whole.
  const json shown = history_json({"show", "1"});
  EXPECT_EQ(shown["summary"], first.result["summary"]);
  EXPECT_EQ(shown["spec"], first.result["context"]["config"]);
  EXPECT_EQ(shown["context"]["command_line"], first.result["context"]["command_line"]);
  EXPECT_EQ(shown["context"]["workload"]["fingerprint"], first.result["workload"]["fingerprint"]);
  const Ran show_table = history({"show", "latest"});
  ASSERT_EQ(show_table.code, 0) << show_table.err;
  const std::string p50 = fmt_ms(again.result["summary"]["ttft"]["p50"].get<double>());
  EXPECT_NE(show_table.out.find("ttft.p50 (ms)"), std::string::npos) << show_table.out;
  EXPECT_NE(show_table.out.find(p50), std::string::npos) << p50 << "\n" << show_table.out;
  EXPECT_TRUE(std::regex_search(show_table.out, std::regex("^id +2\n"))) << show_table.out;

  // trend: one point per run, oldest first, the result files' figures.
  const json trend = history_json({"trend", "ttft.p50"});
  ASSERT_EQ(trend["runs"].size(), 2u);
  EXPECT_DOUBLE_EQ(trend["runs"][0]["value"].get<double>(),
                   first.result["summary"]["ttft"]["p50"].get<double>());
  EXPECT_DOUBLE_EQ(trend["runs"][1]["value"].get<double>(),
                   again.result["summary"]["ttft"]["p50"].get<double>());
  const Ran trend_table = history({"trend", "ttft.p50"});
  ASSERT_EQ(trend_table.code, 0) << trend_table.err;
  EXPECT_NE(trend_table.out.find(p50), std::string::npos) << trend_table.out;
  const Ran unknown_metric = history({"trend", "ttft.p42"});
  EXPECT_EQ(unknown_metric.code, 2);
  EXPECT_NE(unknown_metric.err.find("'ttft.p42'"), std::string::npos) << unknown_metric.err;

  // tag: a name for one run, which moves when given to another.
  ASSERT_EQ(history({"tag", "1", "baseline"}).code, 0);
  EXPECT_EQ(history_json({"show", "baseline"})["id"], 1);
  ASSERT_EQ(history({"tag", "2", "baseline"}).code, 0);
  EXPECT_EQ(history_json({"show", "baseline"})["id"], 2);
  EXPECT_EQ(history_json({"list"})[0]["tags"], json::array());
  const Ran bad_tag = history({"tag", "7", "x"});
  EXPECT_EQ(bad_tag.code, 2);
  EXPECT_NE(bad_tag.err.find("no run 7"), std::string::npos) << bad_tag.err;

  // rm: gone, and named as unknown afterwards.
  ASSERT_EQ(history({"rm", "1"}).code, 0);
  const Ran gone = history({"show", "1"});
  EXPECT_EQ(gone.code, 2);
  EXPECT_NE(gone.err.find("no run 1"), std::string::npos) << gone.err;
  const Ran unknown = history({"show", "nope"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("'nope'"), std::string::npos) << unknown.err;
  EXPECT_EQ(history_json({"list"}).size(), 1u);
  EXPECT_EQ(history_json({"list", "--since", "2999-01-01"}).size(), 0u);
  EXPECT_EQ(history({"list", "--since", "yesterday"}).code, 2);
}

// The default database is $XDG_DATA_HOME/llmbench/results.db; --no-store stores nothing.
TEST_F(HistoryE2e, TheDefaultDatabaseAndNoStore) {
  const fs::path xdg = dir_ / "xdg";
  ::setenv("XDG_DATA_HOME", xdg.c_str(), 1);
  Sim sim({"--ttft", "5ms", "--itl", "1ms"});
  const RunOutcome none =
      testing::run(sim.url(), {"--no-store", "--requests", "4", "--max-tokens", "4"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out.find("stored as"), std::string::npos) << none.out;
  EXPECT_FALSE(fs::exists(xdg / "llmbench")) << "--no-store made no database";

  const RunOutcome stored = testing::run(sim.url(), {"--requests", "4", "--max-tokens", "4"});
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  const std::string path = (xdg / "llmbench" / "results.db").string();
  EXPECT_NE(stored.out.find("stored as run 1 in " + path), std::string::npos) << stored.out;
  const Ran list = llmbench({"history", "list", "--format", "json"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out).size(), 1u);

  const RunOutcome quiet = testing::run(sim.url(), {"--requests", "2", "--quiet"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, "") << "--quiet prints nothing, not even where the run was stored";

  const RunOutcome both = testing::run(sim.url(), {"--no-store", "--db", db_, "--requests", "2"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--no-store"), std::string::npos) << both.err;
  ::unsetenv("XDG_DATA_HOME");
}

// A database that cannot be opened is a usage error before anything is sent: the URL below
// is unreachable, so reaching the engine first would exit 3.
TEST_F(HistoryE2e, AnUnwritableDatabaseIsRefusedBeforeAnyTraffic) {
  std::ofstream(dir_ / "a-file") << "not a folder";
  const std::string bad = (dir_ / "a-file" / "results.db").string();
  const RunOutcome r = testing::run("http://127.0.0.1:1", {"--db", bad, "--requests", "1"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--db"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  // Not a database at all: refused the same way, and the file is left as it was.
  std::ofstream(dir_ / "text.db") << "just some text that is no SQLite database, long enough";
  const RunOutcome text =
      testing::run("http://127.0.0.1:1", {"--db", (dir_ / "text.db").string(), "--requests", "1"});
  EXPECT_EQ(text.exit_code, 2) << text.err;
  EXPECT_EQ(slurp(dir_ / "text.db"), "just some text that is no SQLite database, long enough");
  const Ran missing = history({"show", "latest"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find(db_), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(db_)) << "reading commands create no database";
}

// A key of a server that echoes every request header into its answers (finish reasons,
// texts) and in the URL: none of it reaches the database's bytes.
TEST_F(HistoryE2e, NoSecretReachesTheDatabase) {
  constexpr const char* kKey = "sk-PLANTED-history-5c1e";
  constexpr const char* kQueryKey = "PLANTED-query-a8d0";
  ::setenv("LLMBENCH_HISTORY_KEY", kKey, 1);
  // Errors that quote the request head, Authorization included, into every record.
  testing::EchoServer server(testing::EchoServer::Mode::kErrorJson);
  const std::string url = server.url() + "/v1?model=m&api_key=" + kQueryKey;
  const RunOutcome r =
      bench(url, {"--engine", "openai", "--api", "openai-chat", "--model", "m", "--requests", "3",
                  "--api-key-env", "LLMBENCH_HISTORY_KEY", "--timeout", "10s"});
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 4) << r.exit_code << r.err;
  std::string heads;
  for (const std::string& h : server.heads()) heads += h;
  ASSERT_NE(heads.find(std::string("Bearer ") + kKey), std::string::npos) << "the key was sent";
  const json shown = history_json({"show", "1"});
  ASSERT_EQ(shown["requests_stored"], 3) << "the echoes were stored, redacted";
  std::string bytes;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    if (fs::exists(db_ + suffix)) bytes += slurp(db_ + suffix);
  }
  ASSERT_GT(bytes.size(), 4096u);
  EXPECT_EQ(bytes.find("PLANTED"), std::string::npos);
  EXPECT_NE(bytes.find("[REDACTED]"), std::string::npos) << "the echoes were there to redact";
  ::unsetenv("LLMBENCH_HISTORY_KEY");
}

// Ctrl-C or SIGTERM: the partial result is stored, marked as the result file marks it.
TEST_F(HistoryE2e, AnInterruptedRunIsStoredAsInterrupted) {
  Sim sim({"--ttft", "10ms", "--itl", "2ms"});
  const fs::path output = dir_ / "interrupted.json";
  Child run({LLMBENCH_BINARY, "run", "--url", sim.url(), "--duration", "60s", "--concurrency", "2",
             "--max-tokens", "8", "--no-progress", "--output", output.string(), "--db", db_});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  run.signal(SIGTERM);
  ASSERT_EQ(run.wait(), 130) << run.err();
  const json result = json::parse(slurp(output));
  ASSERT_TRUE(result["context"]["interrupted"].get<bool>());
  const json list = history_json({"list"});
  ASSERT_EQ(list.size(), 1u) << run.out() << run.err();
  EXPECT_EQ(list[0]["interrupted"], true);
  EXPECT_EQ(list[0]["stop_reason"], "interrupted");
  EXPECT_EQ(list[0]["requests_stored"], result["requests"].size());
  EXPECT_GT(result["requests"].size(), 0u);
  const json shown = history_json({"show", "1"});
  EXPECT_EQ(shown["context"]["interrupted"], true);
  EXPECT_EQ(shown["summary"], result["summary"]);
  const Ran table = history({"list"});
  EXPECT_NE(table.out.find("1*"), std::string::npos) << table.out;
}

// --request-detail none: the summary and time series are stored, no request rows.
TEST_F(HistoryE2e, RequestDetailNoneStoresNoRequests) {
  Sim sim({"--ttft", "5ms", "--itl", "1ms"});
  const RunOutcome none = bench(sim.url(), {"--requests", "6", "--request-detail", "none"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  const RunOutcome compact = bench(sim.url(), {"--requests", "6", "--request-detail", "compact"});
  ASSERT_EQ(compact.exit_code, 0) << compact.err;
  const json list = history_json({"list"});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["requests_stored"], 0);
  EXPECT_EQ(list[1]["requests_stored"], 6);
  EXPECT_EQ(history_json({"show", "1"})["summary"], none.result["summary"]);
  EXPECT_EQ(history_json({"show", "1"})["summary"]["requests"], 6);
}

}  // namespace
}  // namespace llmbench

namespace llmbench {
namespace {

// `compare` takes history references — ids, tags, `latest` — as it takes result files, and
// refuses two stored runs of different workloads.
TEST_F(HistoryE2e, CompareTakesIdsTagsAndLatest) {
  Sim sim({"--ttft", "5ms", "--itl", "1ms"});
  for (int i = 0; i < 2; ++i) ASSERT_EQ(bench(sim.url(), {"--requests", "10"}).exit_code, 0);
  ASSERT_EQ(bench(sim.url(), {"--requests", "11"}).exit_code, 0);
  ASSERT_EQ(history({"tag", "1", "baseline"}).code, 0);
  const Ran same = llmbench({"compare", "baseline", "2", "--db", db_, "--format", "json"});
  ASSERT_EQ(same.code, 0) << same.err;
  const json report = json::parse(same.out);
  ASSERT_FALSE(report["sections"][0]["figures"].empty());
  EXPECT_EQ(report["sections"][0]["figures"][0]["figure"], "ttft.p50");
  EXPECT_TRUE(report["sections"][0]["figures"][0]["base"].is_number());
  const Ran other = llmbench({"compare", "baseline", "latest", "--db", db_});
  EXPECT_EQ(other.code, 2) << other.out;  // 10 requests against 11: another workload
  EXPECT_NE(other.err.find("differ"), std::string::npos) << other.err;
  const Ran missing = llmbench({"compare", "baseline", "nope", "--db", db_});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("'nope'"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace llmbench
