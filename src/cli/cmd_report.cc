// `llmbench report INPUT` (docs/reports.md): argv → the report model of a result file, a
// stored run, a suite output or a comparison → HTML, Markdown and CSV files, or Markdown on
// stdout when no file is named.

#include <iostream>

#include "app/report.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "report/model_report.h"
#include "store/results_db.h"

namespace llmbench::cli {

Action add_report_command(CLI::App& app) {
  struct Args {
    std::string input, html, markdown, csv, db;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Render a result, a stored run, a suite or a comparison as HTML, Markdown or CSV");
  cmd->footer(
      "INPUT: a result file; a suite output (folder or suite.json); a comparison written by "
      "`compare --format json --output F`; or a run of the history (42, latest, a tag).\n"
      "Without --html, --markdown or --csv the Markdown summary goes to stdout.\n"
      "Examples:\n"
      "  llmbench report results/run.json --html run.html\n"
      "  llmbench report results/suite-x --html suite.html --markdown suite.md\n"
      "  llmbench report latest --html latest.html\n"
      "  llmbench report cmp.json --html cmp.html     # cmp.json from compare --format json\n"
      "  llmbench report results/run.json >> $GITHUB_STEP_SUMMARY\n"
      "Exit codes: 0 ok, 2 bad usage or an input that is no result, 5 an output not written.");
  cmd->add_option("input", args->input, "Result file, suite output, comparison or history run")
      ->required();
  cmd->add_option("--html", args->html, "Write the HTML report here (one file, opens offline)");
  cmd->add_option("--markdown", args->markdown, "Write the Markdown summary here");
  cmd->add_option("--csv", args->csv,
                  "Write the report's figures here, long form: section,run,figure,stat,value,unit");
  cmd->add_option("--db", args->db,
                  "History database (default: $XDG_DATA_HOME/llmbench/results.db)");
  return [args]() -> int {
    app::ReportOutputs outputs;
    if (!args->html.empty()) outputs.html = args->html;
    if (!args->markdown.empty()) outputs.markdown = args->markdown;
    if (!args->csv.empty()) outputs.csv = args->csv;
    app::check_report_outputs(outputs, {std::filesystem::path(args->input)});
    const std::filesystem::path db =
        args->db.empty() ? store::default_db_path() : std::filesystem::path(args->db);
    const metrics::ReportModel model = app::load_report(args->input, db);
    if (!outputs.any()) {
      app::ReportOutputs to_stdout;
      to_stdout.markdown = "-";
      std::vector<std::string> errors;
      app::write_report_outputs(model, to_stdout, errors);
      return errors.empty() ? kExitOk : app::kExitNotWritten;
    }
    std::vector<std::string> errors;
    for (const auto& path : app::write_report_outputs(model, outputs, errors)) {
      std::cerr << "wrote " << path.string() << "\n";
    }
    for (const std::string& error : errors) std::cerr << "llmbench: " << error << "\n";
    return errors.empty() ? kExitOk : app::kExitNotWritten;
  };
}

}  // namespace llmbench::cli
