#pragma once
// The results history (issue 11): every run in one SQLite database (SQLiteCpp over Debian's
// libsqlite3), at $XDG_DATA_HOME/llmbench/results.db unless --db says otherwise. WAL journal,
// one transaction per run (a writer killed mid-run leaves the earlier runs whole), a schema
// version in PRAGMA user_version with migrations applied in order on open.
// Not thread-safe: one ResultsDb per thread; several processes may share the file.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace SQLite {
class Database;
}

namespace llmbench::store {

// The schema this build writes; a database of a newer version is refused, an older one
// migrated.
inline constexpr int kSchemaVersion = 2;

// $XDG_DATA_HOME/llmbench/results.db, else $HOME/.local/share/llmbench/results.db.
std::filesystem::path default_db_path();

// One run as stored: the result's parts as JSON text (already redacted by the writer).
struct NewRun {
  std::string started_at;  // ISO 8601 UTC
  std::string engine, model, scenario;
  std::string fingerprint;  // workload fingerprint ("sha256:…"), "" when unknown
  std::string spec_json, context_json, summary_json;
  std::vector<std::string> request_lines;  // one JSON object per request (none: detail none)
  // Or, for runs of millions of requests, the same lines read from this file as they are
  // stored (memory stays bounded); empty lines are skipped. Used when not empty.
  std::filesystem::path request_lines_file;
  std::vector<std::string> window_lines;  // one JSON object per time-series window
  // Schema 2: why the run ended ("completed", "interrupted", "max_error_rate"…), whether it was
  // cut short (a partial result), and the llmbench that measured it.
  std::string stop_reason = "completed";
  bool interrupted = false;
  std::string tool_version;
};

struct RunRow {
  std::int64_t id = 0;
  std::string started_at, engine, model, scenario, fingerprint;
  std::vector<std::string> tags;
  std::uint64_t requests = 0;  // request rows stored
  std::string summary_json;    // the run's summary (as in the result file's "summary")
  // Schema 2 columns; a run stored by a version-1 database has them from its context when the
  // migration could read them there, else "" / nullopt (unknown).
  std::string stop_reason;
  std::optional<bool> interrupted;
  std::string tool_version;
};

struct StoredRun {
  RunRow row;  // its summary_json is the run's summary
  std::string spec_json, context_json;
  std::vector<std::string> request_lines, window_lines;
};

struct RunFilter {
  std::optional<std::string> engine, model, scenario;
  std::optional<std::string> since;  // ISO 8601: runs started at or after
};

class ResultsDb {
 public:
  // Opens or creates the database (and its folder), applies the migrations it lacks.
  static Expected<ResultsDb> open(const std::filesystem::path& path);
  ResultsDb(ResultsDb&&) noexcept;
  ResultsDb& operator=(ResultsDb&&) noexcept;
  ~ResultsDb();

  // The run and all its rows in one transaction: all of it is stored, or none.
  Expected<std::int64_t> add(const NewRun& run);
  Expected<std::vector<RunRow>> list(const RunFilter& filter = {});
  // With Rows::kNone, request_lines and window_lines stay empty (row.requests still counts the
  // stored requests): for showing a run without reading its millions of rows.
  enum class Rows { kAll, kNone };
  Expected<StoredRun> get(std::int64_t id, Rows rows = Rows::kAll);
  // A tag names one run; tagging another run with it moves it.
  Expected<void> tag(std::int64_t id, const std::string& name);
  Expected<void> remove(std::int64_t id);
  // "42" (an id), "latest", or a tag.
  Expected<std::int64_t> resolve(const std::string& reference);
  [[nodiscard]] int schema_version() const;

 private:
  ResultsDb(std::unique_ptr<SQLite::Database> db, std::filesystem::path path);
  Error failure(std::string_view doing, const std::exception& e) const;
  std::unique_ptr<SQLite::Database> db_;
  std::filesystem::path path_;
};

}  // namespace llmbench::store
