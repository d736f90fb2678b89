#pragma once
// Renderers of the report model (metrics/report_model.h): the self-contained HTML page, its
// data as JSON, Markdown for a pull request, and CSV. They format the model, never compute:
// every figure they show was computed in metrics/ (STYLE.md 5).

#include <string>

#include "metrics/report_model.h"

namespace llmbench::report {

// The model as JSON (the page's data, schema in docs/reports.md): `null` for every figure
// that was not measured.
std::string report_model_json(const metrics::ReportModel& model);

// One HTML file: the data, the charting library (Apache ECharts, embedded at build time), the
// page's script and style, all inline. It opens from disk with no network, and never
// interprets text from the model as markup.
std::string render_html(const metrics::ReportModel& model);

// A summary per run and, for comparisons, the verdict table; fit to paste into a pull
// request. "—" for every figure that was not measured.
std::string render_markdown(const metrics::ReportModel& model);

// Long form, one figure a row: `section,run,figure,stat,value,unit`, so a new figure adds
// rows, never columns. Values not measured are empty.
std::string render_csv(const metrics::ReportModel& model);

// The version of the embedded charting library ("6.0.0"), for docs and --version.
std::string_view chart_library_version();

}  // namespace llmbench::report
