#pragma once
// The live dashboard a run draws on a terminal, and the one-line form written when stderr is
// not a terminal. Pure formatting of a metrics::LiveSnapshot: no I/O, no clock, no
// terminal control sequences (the drawing, in cli/, owns those).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/live.h"

namespace llmbench::report {

// The dashboard's lines, none longer than `width` columns (so a narrow terminal never wraps
// them), without newlines. A figure nothing measured shows as "—". The progress bar is over
// requests done / total when the total is known, else over elapsed / planned duration, with
// an ETA; with neither, the elapsed time and the count. width 0 is taken as 1.
std::vector<std::string> dashboard_lines(const metrics::LiveSnapshot& s, std::size_t width);

// One line with the same figures, for logs (no bar, no width limit).
std::string progress_line(const metrics::LiveSnapshot& s);

// `text` cut to at most `width` columns, counting each UTF-8 code point as one column (all
// the dashboard writes is single-width).
std::string cut_to_width(std::string_view text, std::size_t width);
// The columns `text` takes, counted the same way.
std::size_t display_columns(std::string_view text);

// "1:05", "12:00:03": a duration of whole seconds for the bar and the ETA.
std::string clock_text(double seconds);

}  // namespace llmbench::report
