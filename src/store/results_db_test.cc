#include "store/results_db.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

namespace llmbench::store {
namespace {

namespace fs = std::filesystem;

class ResultsDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("llmbench_db_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    path_ = dir_ / "nested" / "results.db";  // the folder is made
  }
  void TearDown() override { fs::remove_all(dir_); }

  static NewRun run(std::string engine, std::string started_at, std::size_t requests) {
    NewRun r;
    r.started_at = std::move(started_at);
    r.engine = std::move(engine);
    r.model = "m";
    r.scenario = "chat";
    r.fingerprint = "sha256:ab";
    r.spec_json = R"({"concurrency":4})";
    r.context_json = R"({"host":"h"})";
    r.summary_json = R"({"requests":)" + std::to_string(requests) + "}";
    for (std::size_t i = 0; i < requests; ++i) {
      r.request_lines.push_back(R"({"id":)" + std::to_string(i) + "}");
    }
    r.window_lines = {R"({"start":0})", R"({"start":1})"};
    return r;
  }

  fs::path dir_, path_;
};

TEST_F(ResultsDbTest, StoresListsAndReadsRunsBackWhole) {
  auto db = ResultsDb::open(path_);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(db->schema_version(), kSchemaVersion);
  const auto a = db->add(run("vllm", "2026-12-01T10:00:00Z", 3));
  const auto b = db->add(run("ollama", "2026-12-01T11:00:00Z", 2));
  ASSERT_TRUE(a && b);
  EXPECT_LT(*a, *b);

  const auto all = db->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].engine, "vllm");
  EXPECT_EQ((*all)[0].requests, 3u);
  RunFilter only_ollama;
  only_ollama.engine = "ollama";
  EXPECT_EQ(db->list(only_ollama)->size(), 1u);
  RunFilter since;
  since.since = "2026-12-01T10:30:00Z";
  EXPECT_EQ(db->list(since)->front().engine, "ollama");

  const auto stored = db->get(*a);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->row.summary_json, R"({"requests":3})");
  EXPECT_EQ(stored->request_lines,
            (std::vector<std::string>{R"({"id":0})", R"({"id":1})", R"({"id":2})"}));
  EXPECT_EQ(stored->window_lines.size(), 2u);
  EXPECT_FALSE(db->get(999));

  // WAL, so readers do not block the writer.
  SQLite::Database raw(path_.string());
  EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(ResultsDbTest, TagsAndReferencesResolve) {
  auto db = ResultsDb::open(path_);
  ASSERT_TRUE(db);
  EXPECT_FALSE(db->resolve("latest"));  // nothing stored yet
  const std::int64_t a = *db->add(run("vllm", "2026-12-01T10:00:00Z", 1));
  const std::int64_t b = *db->add(run("vllm", "2026-12-01T11:00:00Z", 1));
  ASSERT_TRUE(db->tag(a, "baseline"));
  EXPECT_EQ(*db->resolve("baseline"), a);
  EXPECT_EQ(*db->resolve("latest"), b);
  EXPECT_EQ(*db->resolve(std::to_string(a)), a);
  ASSERT_TRUE(db->tag(b, "baseline"));  // a tag names one run: it moves
  EXPECT_EQ(*db->resolve("baseline"), b);
  EXPECT_TRUE(db->get(a)->row.tags.empty());
  EXPECT_FALSE(db->tag(a, "latest"));
  EXPECT_FALSE(db->tag(a, "17"));
  EXPECT_FALSE(db->tag(999, "x"));
  const auto unknown = db->resolve("nope");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("neither a run id"), std::string::npos);
  EXPECT_FALSE(db->resolve("123456789012345678901234567890"));  // an error, not a throw
}

TEST_F(ResultsDbTest, RemovingARunRemovesItsRowsAndTags) {
  auto db = ResultsDb::open(path_);
  ASSERT_TRUE(db);
  const std::int64_t a = *db->add(run("vllm", "2026-12-01T10:00:00Z", 5));
  ASSERT_TRUE(db->tag(a, "old"));
  ASSERT_TRUE(db->remove(a));
  EXPECT_FALSE(db->remove(a));
  EXPECT_FALSE(db->resolve("old"));
  SQLite::Database raw(path_.string());
  EXPECT_EQ(raw.execAndGet("SELECT count(*) FROM requests").getInt(), 0);
  EXPECT_EQ(raw.execAndGet("SELECT count(*) FROM windows").getInt(), 0);
}

TEST_F(ResultsDbTest, AnEmptyDatabaseIsMigratedAndANewerOneRefused) {
  fs::create_directories(path_.parent_path());
  {
    SQLite::Database raw(path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE unrelated (x)");  // a version-0 file with something in it
  }
  {
    auto db = ResultsDb::open(path_);
    ASSERT_TRUE(db) << db.error().message;
    EXPECT_EQ(db->schema_version(), kSchemaVersion);
    EXPECT_TRUE(db->add(run("vllm", "2026-12-01T10:00:00Z", 1)));
  }
  {
    SQLite::Database raw(path_.string(), SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA user_version = 99");
  }
  const auto newer = ResultsDb::open(path_);
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.error().message.find("schema version 99, newer than"), std::string::npos)
      << newer.error().message;
}

// The schema of a version-1 database exactly as version 1 of this file created it (the first
// migration, verbatim): pinned here so the 1 → 2 migration is tested against the real thing.
constexpr const char* kVersion1Sql = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL,
  engine TEXT NOT NULL,
  model TEXT NOT NULL,
  scenario TEXT NOT NULL DEFAULT '',
  fingerprint TEXT NOT NULL DEFAULT '',
  spec TEXT NOT NULL,
  context TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX runs_by_engine_model ON runs (engine, model, started_at);
CREATE TABLE requests (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
CREATE TABLE windows (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  window TEXT NOT NULL,
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
CREATE TABLE tags (
  name TEXT PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE
);
)sql";

TEST_F(ResultsDbTest, AVersion1DatabaseIsMigratedAndItsRunsReadBackWhole) {
  fs::create_directories(path_.parent_path());
  {
    SQLite::Database raw(path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec(kVersion1Sql);
    raw.exec("PRAGMA user_version = 1");
    raw.exec(
        "INSERT INTO runs (started_at, engine, model, scenario, fingerprint, spec, context, "
        "summary) VALUES ('2026-11-02T08:00:00Z', 'tgi', 'm1', 'chat/short', 'sha256:01', "
        "'{\"seed\":7}', '{\"tool_version\":\"0.9.0\",\"interrupted\":true,\"stop_reason\":"
        "\"interrupted\"}', '{\"requests\":2}')");
    raw.exec("INSERT INTO requests VALUES (1, 0, '{\"id\":0}'), (1, 1, '{\"id\":1}')");
    raw.exec("INSERT INTO windows VALUES (1, 0, '{\"t\":0}')");
    raw.exec("INSERT INTO tags VALUES ('old-baseline', 1)");
    // A version-1 run whose context says nothing of the new columns: they stay unknown.
    raw.exec(
        "INSERT INTO runs (started_at, engine, model, spec, context, summary) VALUES "
        "('2026-11-03T08:00:00Z', 'vllm', 'm1', '{}', '{}', '{}')");
  }
  auto db = ResultsDb::open(path_);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(db->schema_version(), 2);
  {
    SQLite::Database raw(path_.string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(raw.execAndGet("PRAGMA user_version").getInt(), 2);
  }

  const auto old = db->get(1);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->row.started_at, "2026-11-02T08:00:00Z");
  EXPECT_EQ(old->row.engine, "tgi");
  EXPECT_EQ(old->row.scenario, "chat/short");
  EXPECT_EQ(old->row.fingerprint, "sha256:01");
  EXPECT_EQ(old->spec_json, R"({"seed":7})");
  EXPECT_EQ(old->row.summary_json, R"({"requests":2})");
  EXPECT_EQ(old->request_lines, (std::vector<std::string>{R"({"id":0})", R"({"id":1})"}));
  EXPECT_EQ(old->window_lines, (std::vector<std::string>{R"({"t":0})"}));
  EXPECT_EQ(old->row.tags, (std::vector<std::string>{"old-baseline"}));
  // Filled from the old run's context by the migration.
  EXPECT_EQ(old->row.stop_reason, "interrupted");
  EXPECT_EQ(old->row.interrupted, std::optional<bool>(true));
  EXPECT_EQ(old->row.tool_version, "0.9.0");
  const auto bare = db->get(2);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->row.stop_reason, "");
  EXPECT_EQ(bare->row.interrupted, std::nullopt);

  NewRun fresh = run("vllm", "2026-12-01T10:00:00Z", 1);
  fresh.stop_reason = "max_error_rate";
  fresh.interrupted = false;
  fresh.tool_version = "1.2.3";
  const auto id = db->add(fresh);
  ASSERT_TRUE(id) << id.error().message;
  const auto stored = db->get(*id);
  EXPECT_EQ(stored->row.stop_reason, "max_error_rate");
  EXPECT_EQ(stored->row.interrupted, std::optional<bool>(false));
  EXPECT_EQ(stored->row.tool_version, "1.2.3");
  EXPECT_EQ(*db->resolve("old-baseline"), 1);
}

TEST_F(ResultsDbTest, RequestLinesAreStreamedFromAFile) {
  fs::create_directories(dir_);
  const fs::path lines = dir_ / "requests.jsonl";
  {
    std::ofstream out(lines);
    out << "{\"id\":0}\n\n{\"id\":1}\n{\"id\":2}";  // a blank line skipped, no final newline
  }
  auto db = ResultsDb::open(path_);
  ASSERT_TRUE(db);
  NewRun r = run("vllm", "2026-12-01T10:00:00Z", 0);
  r.request_lines_file = lines;
  const auto id = db->add(r);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(db->get(*id)->request_lines,
            (std::vector<std::string>{R"({"id":0})", R"({"id":1})", R"({"id":2})"}));
  EXPECT_EQ(db->get(*id, ResultsDb::Rows::kNone)->row.requests, 3u);
  EXPECT_TRUE(db->get(*id, ResultsDb::Rows::kNone)->request_lines.empty());
  r.request_lines_file = dir_ / "missing.jsonl";
  const auto missing = db->add(r);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing.jsonl"), std::string::npos);
  EXPECT_EQ(db->list()->size(), 1u) << "nothing of the failed run is stored";
}

// A writer killed in the middle of storing a run: the database is intact and every earlier
// run reads back whole; the interrupted one is absent.
TEST_F(ResultsDbTest, AWriterKilledMidRunLeavesEarlierRunsWhole) {
  {
    auto db = ResultsDb::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->add(run("vllm", "2026-12-01T10:00:00Z", 100)));
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SQLite::Database raw(path_.string(), SQLite::OPEN_READWRITE);
    raw.exec("BEGIN");
    raw.exec(
        "INSERT INTO runs (started_at, engine, model, spec, context, summary) VALUES "
        "('2026-12-01T12:00:00Z', 'tgi', 'm', '{}', '{}', '{}')");
    for (int i = 0; i < 5000; ++i) {
      raw.exec("INSERT INTO requests (run_id, idx, record) VALUES (last_insert_rowid(), " +
               std::to_string(i) + ", '{}')");
    }
    ::raise(SIGKILL);  // mid-transaction, nothing committed
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto db = ResultsDb::open(path_);
  ASSERT_TRUE(db) << db.error().message;
  SQLite::Database raw(path_.string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("PRAGMA integrity_check").getString(), "ok");
  const auto runs = db->list();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().engine, "vllm");
  EXPECT_EQ(db->get(runs->front().id)->request_lines.size(), 100u);
}

}  // namespace
}  // namespace llmbench::store
