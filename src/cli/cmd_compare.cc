// `llmbench compare BASE NEW` and `llmbench compare SUITE` (docs/compare.md): argv → an
// app::CompareRequest, the report → the chosen format, the gate → the exit code.

#include <filesystem>
#include <iostream>
#include <sstream>

#include "app/compare.h"
#include "app/report.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "report/output_file.h"

namespace llmbench::cli {

namespace {

struct CompareArgs {
  app::CompareRequest request;
  std::string format = "table";
  std::string output;
  std::string db;
  std::string html;
};

}  // namespace

Action add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Compare results: significance, verdicts and a regression gate");
  cmd->footer(
      "Inputs: a result file; a suite output (folder or suite.json) with :ENGINE; a history "
      "reference (42, latest, a tag). Commas join repetitions: a.json,b.json,c.json.\n"
      "Examples:\n"
      "  llmbench compare base.json new.json\n"
      "  llmbench compare results/suite-x:vllm results/suite-x:tgi --max-regression 5%\n"
      "  llmbench compare results/suite-x                 # every engine against the first\n"
      "  llmbench compare baseline latest --slo ttft.p99<=500ms --format markdown\n"
      "Exit codes: 0 ok, 1 a significant regression beyond its limit or an --slo gate failed, "
      "2 bad usage or inputs refused, 5 --output not written.");
  cmd->add_option("inputs", args->request.inputs, "BASE NEW, or one suite output")
      ->required()
      ->expected(1, 2);
  cmd->add_option("--figures", args->request.figures,
                  "Figures to compare, e.g. ttft.p99,itl.p50 (default: TTFT, ITL, TPOT, E2E at "
                  "p50/p90/p99, throughputs, success rate)");
  cmd->add_option("--alpha", args->request.alpha, "Significance level")->capture_default_str();
  cmd->add_option("--noise", args->request.noise,
                  "Relative change below which a significant one is 'within noise'")
      ->capture_default_str();
  cmd->add_option("--max-regression", args->request.max_regression,
                  "Gate: exit 1 on a significant regression beyond this, e.g. 5% or "
                  "ttft.p99=10%,output_token_throughput=3%");
  cmd->add_option("--slo", args->request.slo,
                  "Absolute gate on NEW, e.g. ttft.p99<=500ms,output_token_throughput>=100");
  cmd->add_option("--format", args->format, "table|markdown|json")->capture_default_str();
  cmd->add_option("--output", args->output, "Write the comparison here (atomically)");
  cmd->add_option("--html", args->html,
                  "Also write the comparison as an HTML report (overlaid CDFs, verdicts, the "
                  "runs), one file that opens offline");
  cmd->add_flag("--force", args->request.force,
                "Compare even when the workload fingerprints differ (with a warning)");
  cmd->add_option("--db", args->db,
                  "History database (default: $XDG_DATA_HOME/llmbench/results.db)");
  return [args]() -> int {
    report::CompareFormat format = report::CompareFormat::kTable;
    if (args->format == "markdown") {
      format = report::CompareFormat::kMarkdown;
    } else if (args->format == "json") {
      format = report::CompareFormat::kJson;
    } else if (args->format != "table") {
      throw CommandError{kExitUsage,
                         "--format: expected table, markdown or json, got '" + args->format + "'"};
    }
    if (!args->output.empty()) {
      const auto target = report::check_output(args->output);
      if (!target) throw CommandError{kExitUsage, "--output: " + target.error().message};
      // An output over one of the results it compares would destroy that result.
      for (const std::string& side : args->request.inputs) {
        std::string_view rest = side;
        while (!rest.empty()) {
          const std::size_t comma = rest.find(',');
          const std::filesystem::path item(std::string(rest.substr(0, comma)));
          rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
          std::error_code ec;
          if (std::filesystem::is_regular_file(item, ec) &&
              std::filesystem::equivalent(item, args->output, ec)) {
            throw CommandError{kExitUsage, "--output " + args->output +
                                               ": is one of the results compared; refused"};
          }
        }
      }
    }
    app::ReportOutputs html;
    if (!args->html.empty()) {
      html.html = args->html;
      std::vector<std::filesystem::path> inputs;
      for (const std::string& side : args->request.inputs) {
        std::string_view rest = side;
        while (!rest.empty()) {
          const std::size_t comma = rest.find(',');
          inputs.emplace_back(std::string(rest.substr(0, comma)));
          rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
      }
      if (!args->output.empty()) inputs.emplace_back(args->output);
      app::check_report_outputs(html, inputs);
    }
    args->request.db = args->db;
    const app::CompareSpec spec = app::resolve_compare(args->request);
    const report::CompareReport report = app::run_compare(spec);
    if (html.any()) {
      std::vector<std::string> errors;
      app::write_report_outputs(app::comparison_report(report, spec.db), html, errors);
      for (const std::string& error : errors) std::cerr << "llmbench: " << error << "\n";
      if (!errors.empty()) return app::kExitNotWritten;
      std::cerr << "wrote " << args->html << "\n";
    }
    if (args->output.empty()) {
      report::write_compare(std::cout, report, format);
      std::cout.flush();
    } else {
      const auto written = report::write_output(
          args->output, [&](std::ostream& out) { report::write_compare(out, report, format); });
      if (!written) {
        std::cerr << "llmbench: cannot write " << args->output << ": " << written.error().message
                  << "\n";
        return app::kExitNotWritten;
      }
      for (const std::string& w : report.warnings) std::cerr << "llmbench: warning: " << w << "\n";
    }
    if (report.gate_failed()) {
      for (const std::string& line : report.failure_lines()) {
        std::cerr << "llmbench: gate failed: " << line << "\n";
      }
      return kExitCheckFailed;
    }
    return kExitOk;
  };
}

}  // namespace llmbench::cli
