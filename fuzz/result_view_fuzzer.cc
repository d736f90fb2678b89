// report::parse_run_view (a result file into the report model): any bytes are read or refused
// with a message, never a crash; what is read renders as HTML, Markdown and CSV, and the page's
// data is valid JSON with no '<' (so no text can end its <script> element).

#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "report/model_report.h"
#include "report/result_view.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A small budget, so the fuzzer exercises sampling and merging with small inputs.
  llmbench::metrics::ReportBudget budget;
  budget.cdf_points = 8;
  budget.histogram_bins = 4;
  budget.max_windows = 3;
  budget.sample_values = 5;
  budget.scatter_points = 2;
  auto run = llmbench::report::parse_run_view(text, "fuzz.json", "", budget);
  if (!run) {
    LLMBENCH_FUZZ_CHECK(!run.error().message.empty(), "an error without a message");
    return 0;
  }
  llmbench::metrics::ReportModel model;
  model.runs.push_back(std::move(*run));
  const std::string json = llmbench::report::report_model_json(model);
  LLMBENCH_FUZZ_CHECK(!nlohmann::json::parse(json, nullptr, false).is_discarded(),
                      "the model's JSON does not parse");
  const std::string page = llmbench::report::render_html(model);
  const std::size_t start = page.find("id=\"llmbench-data\">");
  LLMBENCH_FUZZ_CHECK(start != std::string::npos, "no data script");
  const std::size_t end = page.find("</script>", start);
  LLMBENCH_FUZZ_CHECK(page.substr(start + 19, end - start - 19).find('<') == std::string::npos,
                      "a '<' inside the data script");
  (void)llmbench::report::render_markdown(model);
  (void)llmbench::report::render_csv(model);
  return 0;
}
