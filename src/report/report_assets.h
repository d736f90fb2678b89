#pragma once
// The HTML report's assets, embedded at build time (cmake/embed_report_assets.cmake): Apache
// ECharts as installed from npm by scripts/setup.sh (third_party/npm, pinned), and the page's
// own script and style (src/report/html/).

#include <string_view>

namespace llmbench::report::assets {

std::string_view chart_library();
std::string_view chart_library_version();  // "6.0.0"
std::string_view report_js();
std::string_view report_css();

}  // namespace llmbench::report::assets
