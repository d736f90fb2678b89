#include "store/results_db.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <string_view>

namespace llmbench::store {

namespace {

// Migration i takes a database from user_version i to i + 1; never edited once released (a
// change of schema is a new entry).
constexpr std::array<std::string_view, kSchemaVersion> kMigrations = {
    // 0 → 1: runs with their spec, context and summary; per-request records and time-series
    // windows as JSON rows; tags naming runs.
    R"sql(
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
)sql",
    // 1 → 2: why each run ended, whether it is a partial (interrupted) result, and the llmbench
    // version that measured it, as columns, so a history can be filtered on them without
    // parsing every context. Runs stored before get them from their context JSON where it has
    // them (interrupted stays NULL, unknown, where it does not).
    R"sql(
ALTER TABLE runs ADD COLUMN stop_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN interrupted INTEGER;
ALTER TABLE runs ADD COLUMN tool_version TEXT NOT NULL DEFAULT '';
UPDATE runs SET
  stop_reason = coalesce(json_extract(context, '$.stop_reason'), ''),
  interrupted = json_extract(context, '$.interrupted'),
  tool_version = coalesce(json_extract(context, '$.tool_version'), '')
WHERE json_valid(context);
)sql",
};

constexpr const char* kRowColumns =
    "id, started_at, engine, model, scenario, fingerprint, summary, stop_reason, interrupted, "
    "tool_version, (SELECT count(*) FROM requests WHERE run_id = runs.id)";

RunRow read_row(SQLite::Statement& q) {
  RunRow row;
  row.id = q.getColumn(0).getInt64();
  row.started_at = q.getColumn(1).getString();
  row.engine = q.getColumn(2).getString();
  row.model = q.getColumn(3).getString();
  row.scenario = q.getColumn(4).getString();
  row.fingerprint = q.getColumn(5).getString();
  row.summary_json = q.getColumn(6).getString();
  row.stop_reason = q.getColumn(7).getString();
  if (!q.getColumn(8).isNull()) row.interrupted = q.getColumn(8).getInt() != 0;
  row.tool_version = q.getColumn(9).getString();
  row.requests = static_cast<std::uint64_t>(q.getColumn(10).getInt64());
  return row;
}

std::vector<std::string> texts(SQLite::Database& db, const char* sql, std::int64_t id) {
  SQLite::Statement q(db, sql);
  q.bind(1, id);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

}  // namespace

std::filesystem::path default_db_path() {
  if (const char* data = std::getenv("XDG_DATA_HOME"); data != nullptr && *data == '/') {
    return std::filesystem::path(data) / "llmbench" / "results.db";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr && *home != '\0' ? home : ".") / ".local" / "share" /
         "llmbench" / "results.db";
}

ResultsDb::ResultsDb(std::unique_ptr<SQLite::Database> db, std::filesystem::path path)
    : db_(std::move(db)), path_(std::move(path)) {}
ResultsDb::ResultsDb(ResultsDb&&) noexcept = default;
ResultsDb& ResultsDb::operator=(ResultsDb&&) noexcept = default;
ResultsDb::~ResultsDb() = default;

Error ResultsDb::failure(std::string_view doing, const std::exception& e) const {
  return Error{ErrorCode::kIo,
               "results database " + path_.string() + ": " + std::string(doing) + ": " + e.what()};
}

Expected<ResultsDb> ResultsDb::open(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "results database " + path.string() + ": cannot create " +
                                          path.parent_path().string() + ": " + ec.message());
  }
  try {
    auto db = std::make_unique<SQLite::Database>(path.string(),
                                                 SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    // Another llmbench writing: wait for its transaction rather than fail at once.
    db->setBusyTimeout(10'000);
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA foreign_keys = ON");
    const int version = db->execAndGet("PRAGMA user_version").getInt();
    if (version > kSchemaVersion) {
      return make_error(ErrorCode::kIo,
                        "results database " + path.string() + " has schema version " +
                            std::to_string(version) + ", newer than this llmbench's " +
                            std::to_string(kSchemaVersion) + ": use a newer llmbench or --db");
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      SQLite::Transaction migration(*db);
      db->exec(std::string(kMigrations[static_cast<std::size_t>(v)]));
      db->exec("PRAGMA user_version = " + std::to_string(v + 1));
      migration.commit();
    }
    return ResultsDb(std::move(db), path);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kIo, "results database " + path.string() + ": " + e.what());
  }
}

int ResultsDb::schema_version() const { return db_->execAndGet("PRAGMA user_version").getInt(); }

Expected<std::int64_t> ResultsDb::add(const NewRun& run) {
  try {
    SQLite::Transaction transaction(*db_);
    SQLite::Statement insert(*db_,
                             "INSERT INTO runs (started_at, engine, model, scenario, fingerprint, "
                             "spec, context, summary, stop_reason, interrupted, tool_version) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, run.started_at);
    insert.bind(2, run.engine);
    insert.bind(3, run.model);
    insert.bind(4, run.scenario);
    insert.bind(5, run.fingerprint);
    insert.bind(6, run.spec_json);
    insert.bind(7, run.context_json);
    insert.bind(8, run.summary_json);
    insert.bind(9, run.stop_reason);
    insert.bind(10, run.interrupted ? 1 : 0);
    insert.bind(11, run.tool_version);
    insert.exec();
    const std::int64_t id = db_->getLastInsertRowid();
    const auto rows = [this, id](const char* sql, const std::vector<std::string>& lines) {
      SQLite::Statement q(*db_, sql);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        q.bind(1, id);
        q.bind(2, static_cast<std::int64_t>(i));
        q.bind(3, lines[i]);
        q.exec();
        q.reset();
      }
    };
    if (run.request_lines_file.empty()) {
      rows("INSERT INTO requests (run_id, idx, record) VALUES (?, ?, ?)", run.request_lines);
    } else {
      std::ifstream in(run.request_lines_file, std::ios::binary);
      if (!in) {
        return make_error(ErrorCode::kIo, "results database " + path_.string() + ": cannot read " +
                                              run.request_lines_file.string());
      }
      SQLite::Statement q(*db_, "INSERT INTO requests (run_id, idx, record) VALUES (?, ?, ?)");
      std::int64_t index = 0;
      for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        q.bind(1, id);
        q.bind(2, index++);
        q.bind(3, line);
        q.exec();
        q.reset();
      }
      if (in.bad()) {
        return make_error(ErrorCode::kIo, "results database " + path_.string() + ": reading " +
                                              run.request_lines_file.string() + " failed");
      }
    }
    rows("INSERT INTO windows (run_id, idx, window) VALUES (?, ?, ?)", run.window_lines);
    transaction.commit();
    return id;
  } catch (const std::exception& e) {
    return tl::unexpected(failure("storing the run", e));
  }
}

Expected<std::vector<RunRow>> ResultsDb::list(const RunFilter& filter) {
  try {
    std::string sql = std::string("SELECT ") + kRowColumns + " FROM runs WHERE 1";
    if (filter.engine) sql += " AND engine = :engine";
    if (filter.model) sql += " AND model = :model";
    if (filter.scenario) sql += " AND scenario = :scenario";
    if (filter.since) sql += " AND started_at >= :since";
    sql += " ORDER BY id";
    SQLite::Statement q(*db_, sql);
    if (filter.engine) q.bind(":engine", *filter.engine);
    if (filter.model) q.bind(":model", *filter.model);
    if (filter.scenario) q.bind(":scenario", *filter.scenario);
    if (filter.since) q.bind(":since", *filter.since);
    std::vector<RunRow> out;
    while (q.executeStep()) {
      RunRow row = read_row(q);
      row.tags = texts(*db_, "SELECT name FROM tags WHERE run_id = ? ORDER BY name", row.id);
      out.push_back(std::move(row));
    }
    return out;
  } catch (const std::exception& e) {
    return tl::unexpected(failure("listing runs", e));
  }
}

Expected<StoredRun> ResultsDb::get(std::int64_t id, Rows rows) {
  try {
    SQLite::Statement q(
        *db_, std::string("SELECT ") + kRowColumns + ", spec, context FROM runs WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "no run " + std::to_string(id) + " in " + path_.string());
    }
    StoredRun run;
    run.row = read_row(q);
    run.spec_json = q.getColumn(11).getString();
    run.context_json = q.getColumn(12).getString();
    run.row.tags = texts(*db_, "SELECT name FROM tags WHERE run_id = ? ORDER BY name", id);
    if (rows == Rows::kAll) {
      run.request_lines =
          texts(*db_, "SELECT record FROM requests WHERE run_id = ? ORDER BY idx", id);
      run.window_lines =
          texts(*db_, "SELECT window FROM windows WHERE run_id = ? ORDER BY idx", id);
    }
    return run;
  } catch (const std::exception& e) {
    return tl::unexpected(failure("reading run " + std::to_string(id), e));
  }
}

Expected<void> ResultsDb::tag(std::int64_t id, const std::string& name) {
  if (name.empty() || name == "latest" ||
      name.find_first_not_of("0123456789") == std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "tag '" + name + "': a tag is a name, not empty, a number or 'latest'");
  }
  try {
    if (auto found = get(id, Rows::kNone); !found) return tl::unexpected(found.error());
    SQLite::Statement q(*db_, "INSERT OR REPLACE INTO tags (name, run_id) VALUES (?, ?)");
    q.bind(1, name);
    q.bind(2, id);
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return tl::unexpected(failure("tagging run " + std::to_string(id), e));
  }
}

Expected<void> ResultsDb::remove(std::int64_t id) {
  try {
    SQLite::Statement q(*db_, "DELETE FROM runs WHERE id = ?");
    q.bind(1, id);
    if (q.exec() == 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        "no run " + std::to_string(id) + " in " + path_.string());
    }
    return {};
  } catch (const std::exception& e) {
    return tl::unexpected(failure("removing run " + std::to_string(id), e));
  }
}

Expected<std::int64_t> ResultsDb::resolve(const std::string& reference) {
  try {
    if (reference == "latest") {
      const SQLite::Column last = db_->execAndGet("SELECT max(id) FROM runs");
      if (last.isNull()) return make_error(ErrorCode::kInvalidArgument, "no run stored yet");
      return last.getInt64();
    }
    if (!reference.empty() && reference.find_first_not_of("0123456789") == std::string::npos) {
      const std::int64_t id = std::stoll(reference);
      if (auto found = get(id, Rows::kNone); !found) return tl::unexpected(found.error());
      return id;
    }
    SQLite::Statement q(*db_, "SELECT run_id FROM tags WHERE name = ?");
    q.bind(1, reference);
    if (!q.executeStep()) {
      return make_error(
          ErrorCode::kInvalidArgument,
          "'" + reference + "' is neither a run id, 'latest' nor a tag in " + path_.string());
    }
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return tl::unexpected(failure("resolving '" + reference + "'", e));
  }
}

}  // namespace llmbench::store
