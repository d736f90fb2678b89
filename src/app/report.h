#pragma once
// The report use case (docs/reports.md): the report model of a result file, a stored run, a
// suite output, a comparison or a history trend, and writing it as HTML, Markdown and CSV.
// `llmbench report INPUT` re-renders any of them; `run`, `suite`, `compare`, `demo` and
// `history trend` render theirs through the same functions, so a report reads the same
// whichever command made it.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/history.h"
#include "metrics/report_model.h"
#include "report/compare_report.h"

namespace llmbench::app {

struct ReportOutputs {
  std::optional<std::filesystem::path> html, markdown, csv;
  std::string generator;     // "" = "llmbench VERSION"
  std::string generated_at;  // ISO 8601 UTC; "" = now
  [[nodiscard]] bool any() const { return html || markdown || csv; }
};

// Before any work (or traffic): each output is writable (report::check_output), no two are
// the same file, and none is one of `inputs` (a report never overwrites what it reads).
// Throws Failure(kExitUsage) naming the option (--html, --markdown, --csv).
void check_report_outputs(const ReportOutputs& outputs,
                          const std::vector<std::filesystem::path>& inputs = {});

// Writes every output that is set; what fails is in `errors` ("--html: …"), the others are
// written all the same. Returns the paths written.
std::vector<std::filesystem::path> write_report_outputs(const metrics::ReportModel& model,
                                                        const ReportOutputs& outputs,
                                                        std::vector<std::string>& errors);

// The model of one result file (a run, or a sweep / stepped run with its levels).
// Throws Failure(kExitUsage) naming the file when it is not a readable result.
metrics::ReportModel result_report(const std::filesystem::path& result,
                                   const metrics::ReportBudget& budget = {});

// A suite output (its folder or suite.json): every run that has a result, and when the suite
// ran two or more engines, each engine against the first (the `compare SUITE` comparison).
metrics::ReportModel suite_report(const std::filesystem::path& suite,
                                  const std::filesystem::path& db = {},
                                  const metrics::ReportBudget& budget = {});

// A comparison as `compare` made it, with the runs it read (overlaid CDFs, per-repetition
// spread) where their files or stored runs can still be read.
metrics::ReportModel comparison_report(const report::CompareReport& comparison,
                                       const std::filesystem::path& db,
                                       const metrics::ReportBudget& budget = {});

// `history trend FIGURE`: the figure over runs.
metrics::ReportModel trend_report(const std::string& figure, const std::vector<TrendPoint>& points,
                                  const std::vector<std::vector<std::string>>& tags);

// `llmbench report INPUT`: a result file, a suite output, a `compare --format json` output, or
// a run of the history (an id, a tag, `latest`) in `db`. Throws Failure(kExitUsage) naming
// INPUT when it is none of them.
metrics::ReportModel load_report(const std::string& input, const std::filesystem::path& db,
                                 const metrics::ReportBudget& budget = {});

}  // namespace llmbench::app
