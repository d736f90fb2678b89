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
inline constexpr int kSchemaVersion = 1;

// $XDG_DATA_HOME/llmbench/results.db, else $HOME/.local/share/llmbench/results.db.
std::filesystem::path default_db_path();

// One run as stored: the result's parts as JSON text (already redacted by the writer).
struct NewRun {
  std::string started_at;  // ISO 8601 UTC
  std::string engine, model, scenario;
  std::string fingerprint;  // workload fingerprint ("sha256:…"), "" when unknown
  std::string spec_json, context_json, summary_json;
  std::vector<std::string> request_lines;  // one JSON object per request (none: detail none)
  std::vector<std::string> window_lines;   // one JSON object per time-series window
};

struct RunRow {
  std::int64_t id = 0;
  std::string started_at, engine, model, scenario, fingerprint;
  std::vector<std::string> tags;
  std::uint64_t requests = 0;  // request rows stored
};

struct StoredRun {
  RunRow row;
  std::string spec_json, context_json, summary_json;
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
  Expected<StoredRun> get(std::int64_t id);
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
