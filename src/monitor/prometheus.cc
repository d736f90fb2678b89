#include "monitor/prometheus.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "core/text.h"

namespace llmbench::monitor {

std::string_view to_string(MetricType type) {
  switch (type) {
    case MetricType::kUntyped:
      return "untyped";
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kInfo:
      return "info";
    case MetricType::kStateSet:
      return "stateset";
    case MetricType::kGaugeHistogram:
      return "gaugehistogram";
  }
  return "untyped";
}

std::optional<std::string_view> MetricSample::label(std::string_view label_name) const {
  for (const Label& l : labels) {
    if (l.name == label_name) return std::string_view(l.value);
  }
  return std::nullopt;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A sample value, `le` or `quantile` as the formats write it: a decimal or exponent form with
// an optional sign, or Inf / NaN in any case (Go's ParseFloat, which Prometheus uses, accepts
// "+Inf", "inf", "NaN"...). std::from_chars is locale-independent, unlike strtod and stod.
std::optional<double> parse_float(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  // from_chars takes no sign of its own here, and "nan(...)" is no Prometheus number.
  if (text.empty() || text.front() == '+' || text.front() == '-' ||
      text.find('(') != std::string_view::npos) {
    return std::nullopt;
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return negative ? -value : value;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view skip_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  return text;
}

// The next run of non-blank bytes, removed from `text`.
std::string_view take_token(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && !is_blank(text[n])) ++n;
  const std::string_view token = text.substr(0, n);
  text.remove_prefix(n);
  return token;
}

bool is_name_start(char c, bool colon_allowed) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (colon_allowed && c == ':');
}
bool is_name_char(char c, bool colon_allowed) {
  return is_name_start(c, colon_allowed) || (c >= '0' && c <= '9');
}

// The longest metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, colon_allowed) or label name (no colon)
// at the front of `text`, removed from it; empty when `text` does not start with one.
std::string_view take_name(std::string_view& text, bool colon_allowed) {
  if (text.empty() || !is_name_start(text.front(), colon_allowed)) return {};
  std::size_t n = 1;
  while (n < text.size() && is_name_char(text[n], colon_allowed)) ++n;
  const std::string_view name = text.substr(0, n);
  text.remove_prefix(n);
  return name;
}

bool is_metric_name(std::string_view text) {
  std::string_view rest = text;
  return !take_name(rest, true).empty() && rest.empty();
}

// Bytes from the input shown in a message: at most 40 of them, as valid UTF-8, quoted.
std::string quoted(std::string_view text) {
  std::string valid;
  append_valid_utf8(valid, text.substr(0, 40));
  // Control characters are shown, never passed on: the message reaches a terminal, and an
  // escape sequence from a hostile server could redraw it.
  std::string out = "\"";
  for (const char c : valid) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  if (text.size() > 40) out += "...";
  out += '"';
  return out;
}

// HELP text: \\ and \n are escapes; any other backslash stays as written (the text is for
// people, and 0.0.4 writers differ on what they escape).
std::string unescape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '\\' || text[i + 1] == 'n')) {
      out += text[i + 1] == 'n' ? '\n' : '\\';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Which sample names a family of each type holds, beside its base name.
bool family_accepts(const MetricFamily& family, std::string_view sample_name) {
  const std::string_view base = family.name;
  if (sample_name.size() < base.size() || sample_name.substr(0, base.size()) != base) return false;
  const std::string_view suffix = sample_name.substr(base.size());
  switch (family.type) {
    case MetricType::kUntyped:
    case MetricType::kGauge:
    case MetricType::kStateSet:
      return suffix.empty();
    case MetricType::kCounter:
      return suffix.empty() || suffix == "_total" || suffix == "_created";
    case MetricType::kHistogram:
      return suffix == "_bucket" || suffix == "_sum" || suffix == "_count" || suffix == "_created";
    case MetricType::kGaugeHistogram:
      return suffix == "_bucket" || suffix == "_gsum" || suffix == "_gcount";
    case MetricType::kSummary:
      return suffix.empty() || suffix == "_sum" || suffix == "_count" || suffix == "_created";
    case MetricType::kInfo:
      return suffix.empty() || suffix == "_info";
  }
  return false;
}

constexpr std::string_view kSampleSuffixes[] = {"_total", "_created", "_bucket", "_sum",
                                                "_count", "_gsum",    "_gcount", "_info"};

std::optional<MetricType> type_named(std::string_view word) {
  if (word == "counter") return MetricType::kCounter;
  if (word == "gauge") return MetricType::kGauge;
  if (word == "histogram") return MetricType::kHistogram;
  if (word == "summary") return MetricType::kSummary;
  if (word == "untyped" || word == "unknown") return MetricType::kUntyped;
  if (word == "info") return MetricType::kInfo;
  if (word == "stateset") return MetricType::kStateSet;
  if (word == "gaugehistogram") return MetricType::kGaugeHistogram;
  return std::nullopt;
}

}  // namespace

const MetricFamily* Exposition::find(std::string_view family_name) const {
  for (const MetricFamily& f : families) {
    if (f.name == family_name) return &f;
  }
  // A counter's family is its base name; callers may ask for it as exposed ("x_total").
  if (ends_with(family_name, "_total")) {
    const std::string_view base = family_name.substr(0, family_name.size() - 6);
    for (const MetricFamily& f : families) {
      if (f.type == MetricType::kCounter && f.name == base) return &f;
    }
  }
  return nullptr;
}

// ---- The incremental parser ----

struct ExpositionParser::State {
  // What the text said about a family beyond MetricFamily's fields.
  struct Seen {
    bool typed = false;  // a # TYPE line was applied
    bool help = false;
    bool unit = false;
  };

  explicit State(ExpositionLimits l) : limits(l) {}

  ExpositionLimits limits;
  Exposition out;
  std::vector<Seen> seen;                              // parallel to out.families
  std::unordered_map<std::string, std::size_t> index;  // family name → position
  std::optional<std::size_t> current;  // the family whose samples may follow unwarned
  std::string line;                    // the line being received, when it spans pieces
  std::size_t line_number = 0;         // lines completed
  std::size_t overlong = 0;            // bytes of the current line once over the bound, else 0
  std::size_t body_bytes = 0;
  std::size_t samples = 0;
  bool eof_seen = false;
  bool finished = false;
  std::optional<Error> error;

  void fail(std::string_view what) {
    if (!error) {
      error = Error{ErrorCode::kProtocol, fmt::format("line {}: {}", line_number, what)};
    }
  }
  void warn(std::string_view what) {
    if (out.warnings.size() < Exposition::kMaxWarnings) {
      out.warnings.push_back(fmt::format("line {}: {}", line_number, what));
    }
  }

  void feed(std::string_view bytes);
  void end_of_line(std::string_view text);
  void comment(std::string_view text);
  void sample(std::string_view text);
  std::size_t add_family(std::string name);
  std::optional<std::size_t> family_for_metadata(std::string_view name, std::string_view keyword);
  std::size_t family_for_sample(std::string_view name);
  bool parse_labels(std::string_view& text, std::string_view metric, std::vector<Label>& labels);
};

void ExpositionParser::State::feed(std::string_view bytes) {
  while (!bytes.empty() && !error) {
    const std::size_t newline = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, newline);
    if (overlong > 0) {
      overlong += piece.size();
    } else if (line.size() + piece.size() > limits.max_line_bytes) {
      overlong = line.size() + piece.size();
      line.clear();
      line.shrink_to_fit();
    } else if (newline == std::string_view::npos || !line.empty()) {
      line.append(piece);
    }
    if (newline == std::string_view::npos) return;
    bytes.remove_prefix(newline + 1);
    ++line_number;
    if (overlong > 0) {
      fail(fmt::format("{} bytes, more than the {} a line may have", overlong,
                       limits.max_line_bytes));
      return;
    }
    // A line wholly inside this piece is read where it lies, without a copy.
    if (line.empty()) {
      end_of_line(piece);
    } else {
      end_of_line(line);
      line.clear();
    }
  }
}

void ExpositionParser::State::end_of_line(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.find('\0') != std::string_view::npos) return fail("a NUL byte");
  text = skip_blanks(text);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  if (text.empty()) return;
  if (eof_seen) return fail("data after # EOF");
  if (text.front() == '#') return comment(text);
  sample(text);
}

std::size_t ExpositionParser::State::add_family(std::string name) {
  const std::size_t at = out.families.size();
  index.emplace(name, at);
  MetricFamily family;
  family.name = std::move(name);
  out.families.push_back(std::move(family));
  seen.emplace_back();
  return at;
}

// The family a # HELP, # TYPE or # UNIT line describes: the current one when the name is its
// own (or, for a counter, its name + "_total", as 0.0.4 writers name it), a new one for a new
// name; nullopt, with a warning, for a family already closed.
std::optional<std::size_t> ExpositionParser::State::family_for_metadata(std::string_view name,
                                                                        std::string_view keyword) {
  if (current) {
    const MetricFamily& f = out.families[*current];
    if (f.name == name || (f.type == MetricType::kCounter && name.size() == f.name.size() + 6 &&
                           name.substr(0, f.name.size()) == f.name && ends_with(name, "_total"))) {
      return current;
    }
  }
  if (index.contains(std::string(name))) {
    warn(fmt::format("# {} for {} after its family was closed; ignored", keyword, name));
    return std::nullopt;
  }
  current = add_family(std::string(name));
  return current;
}

void ExpositionParser::State::comment(std::string_view text) {
  text = skip_blanks(text.substr(1));
  const std::string_view keyword = take_token(text);
  if (keyword == "EOF") {
    // OpenMetrics ends with "# EOF"; a comment that merely starts so is still a comment.
    if (skip_blanks(text).empty()) eof_seen = true;
    return;
  }
  if (keyword != "HELP" && keyword != "TYPE" && keyword != "UNIT") return;  // a comment
  text = skip_blanks(text);
  const std::string_view name = take_token(text);
  if (name.empty()) return;  // "# HELP" alone is a comment (as Prometheus reads it)
  if (!is_metric_name(name)) {
    return fail(fmt::format("# {} for {}, which is no metric name", keyword, quoted(name)));
  }
  // One blank separates the name from the text; the text keeps any further blanks.
  if (!text.empty()) text.remove_prefix(1);
  if (keyword == "HELP") {
    if (!is_valid_utf8(text)) return fail(fmt::format("help text of {} is not UTF-8", name));
    const auto at = family_for_metadata(name, keyword);
    if (!at) return;
    if (seen[*at].help) return warn(fmt::format("a second # HELP for {}; the first kept", name));
    seen[*at].help = true;
    out.families[*at].help = unescape_help(text);
    return;
  }
  text = skip_blanks(text);
  if (keyword == "UNIT") {
    if (!is_valid_utf8(text)) return fail(fmt::format("unit of {} is not UTF-8", name));
    const auto at = family_for_metadata(name, keyword);
    if (!at) return;
    if (seen[*at].unit) return warn(fmt::format("a second # UNIT for {}; the first kept", name));
    seen[*at].unit = true;
    out.families[*at].unit = std::string(text);
    return;
  }
  const auto type = type_named(text);
  if (!type) {
    // One metric of a kind we do not know loses nothing we read: its samples stay untyped.
    warn(fmt::format("unknown metric type {} for {}; read as untyped", quoted(text), name));
  }
  const auto at = family_for_metadata(name, keyword);
  if (!at) return;
  MetricFamily& family = out.families[*at];
  if (seen[*at].typed) return warn(fmt::format("a second # TYPE for {}; the first kept", name));
  if (!family.samples.empty()) {
    return warn(fmt::format("# TYPE for {} after its samples; ignored", name));
  }
  seen[*at].typed = true;
  family.type = type.value_or(MetricType::kUntyped);
  // 0.0.4 writers type a counter by its sample's name ("# TYPE x_total counter"); the family
  // is the base name, as in OpenMetrics, unless that name is taken.
  if (family.type == MetricType::kCounter && ends_with(family.name, "_total")) {
    std::string base = family.name.substr(0, family.name.size() - 6);
    if (!base.empty() && !index.contains(base)) {
      index.erase(family.name);
      index.emplace(base, *at);
      family.name = std::move(base);
    }
  }
}

// The family a sample of `name` belongs to: the current one when its type takes that name,
// else one seen before (with a warning: its samples were not together), else a new untyped one.
std::size_t ExpositionParser::State::family_for_sample(std::string_view name) {
  if (current && family_accepts(out.families[*current], name)) return *current;
  std::optional<std::size_t> found;
  if (const auto it = index.find(std::string(name));
      it != index.end() && family_accepts(out.families[it->second], name)) {
    found = it->second;
  }
  for (const std::string_view suffix : kSampleSuffixes) {
    if (found) break;
    if (!ends_with(name, suffix)) continue;
    const auto it = index.find(std::string(name.substr(0, name.size() - suffix.size())));
    if (it != index.end() && family_accepts(out.families[it->second], name)) found = it->second;
  }
  if (found) {
    warn(fmt::format("a sample of {} after its family was closed", out.families[*found].name));
  } else if (index.contains(std::string(name))) {
    // The name is taken by a family whose type does not take it (e.g. a histogram "x"
    // followed by a bare sample "x"): a family of the same name cannot be added.
    found = index[std::string(name)];
    warn(fmt::format("a sample {} that its {} family does not take; kept there", name,
                     to_string(out.families[*found].type)));
  } else {
    found = add_family(std::string(name));
  }
  current = found;
  return *found;
}

bool ExpositionParser::State::parse_labels(std::string_view& text, std::string_view metric,
                                           std::vector<Label>& labels) {
  text.remove_prefix(1);  // '{'
  for (;;) {
    text = skip_blanks(text);
    if (!text.empty() && text.front() == '}') break;
    if (text.empty()) {
      fail(fmt::format("labels of {} not closed", metric));
      return false;
    }
    const std::string_view label_name = take_name(text, false);
    if (label_name.empty()) {
      fail(fmt::format("a label name expected in {} at {}", metric, quoted(text)));
      return false;
    }
    text = skip_blanks(text);
    if (text.empty() || text.front() != '=') {
      fail(fmt::format("label {} of {} has no '='", label_name, metric));
      return false;
    }
    text = skip_blanks(text.substr(1));
    if (text.empty() || text.front() != '"') {
      fail(fmt::format("value of label {} of {} not quoted", label_name, metric));
      return false;
    }
    text.remove_prefix(1);
    std::string value;
    bool closed = false;
    std::size_t i = 0;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\') {
        value += c;
        continue;
      }
      if (i + 1 == text.size()) break;  // the line ends inside the value
      const char next = text[i + 1];
      if (next != '\\' && next != '"' && next != 'n') {
        fail(fmt::format("bad escape {} in label {} of {}", quoted(text.substr(i, 2)), label_name,
                         metric));
        return false;
      }
      value += next == 'n' ? '\n' : next;
      ++i;
    }
    if (!closed) {
      fail(fmt::format("label value not closed (label {} of {})", label_name, metric));
      return false;
    }
    text.remove_prefix(i + 1);
    if (!is_valid_utf8(value)) {
      fail(fmt::format("value of label {} of {} is not UTF-8", label_name, metric));
      return false;
    }
    for (const Label& l : labels) {
      if (l.name == label_name) {
        fail(fmt::format("label {} twice in {}", label_name, metric));
        return false;
      }
    }
    if (labels.size() == limits.max_labels_per_sample) {
      fail(fmt::format("{} has more than the {} labels a sample may have", metric,
                       limits.max_labels_per_sample));
      return false;
    }
    labels.push_back(Label{std::string(label_name), std::move(value)});
    text = skip_blanks(text);
    if (!text.empty() && text.front() == ',') {
      text.remove_prefix(1);  // a trailing comma before '}' is allowed
      continue;
    }
    if (!text.empty() && text.front() == '}') break;
    if (text.empty()) {
      fail(fmt::format("labels of {} not closed", metric));
      return false;
    }
    fail(fmt::format("',' or '}}' expected after label {} of {}", label_name, metric));
    return false;
  }
  text.remove_prefix(1);  // '}'
  return true;
}

void ExpositionParser::State::sample(std::string_view text) {
  const std::string_view rest_at_name = text;
  const std::string_view name = take_name(text, true);
  if (name.empty()) {
    return fail(fmt::format("a metric name expected at {}", quoted(rest_at_name)));
  }
  MetricSample s;
  s.name = std::string(name);
  // Blanks may stand between the name and its labels (Prometheus's own parser takes them).
  if (const std::string_view at_labels = skip_blanks(text);
      !at_labels.empty() && at_labels.front() == '{') {
    text = at_labels;
    if (!parse_labels(text, name, s.labels)) return;
  }
  if (!text.empty() && !is_blank(text.front())) {
    return fail(fmt::format("unexpected {} after {}", quoted(text), name));
  }
  text = skip_blanks(text);
  const std::string_view value_text = take_token(text);
  if (value_text.empty()) return fail(fmt::format("{} has no value", name));
  const auto value = parse_float(value_text);
  if (!value) return fail(fmt::format("value {} of {} is not a number", quoted(value_text), name));
  s.value = *value;
  text = skip_blanks(text);
  // OpenMetrics exemplars ("# {trace_id=...} 0.5") follow the value or the timestamp; they
  // describe one observation and are not kept.
  if (!text.empty() && text.front() != '#') {
    const std::string_view stamp_text = take_token(text);
    const auto stamp = parse_float(stamp_text);
    if (!stamp || !std::isfinite(*stamp)) {
      return fail(fmt::format("timestamp {} of {} is not a number", quoted(stamp_text), name));
    }
    s.timestamp = *stamp;
    text = skip_blanks(text);
    if (!text.empty() && text.front() != '#') {
      return fail(fmt::format("unexpected {} after the timestamp of {}", quoted(text), name));
    }
  }
  if (samples == limits.max_samples) {
    return fail(fmt::format("more than the {} samples a scrape may have", limits.max_samples));
  }
  ++samples;
  const std::size_t at = family_for_sample(name);
  MetricFamily& family = out.families[at];
  const bool histogram =
      family.type == MetricType::kHistogram || family.type == MetricType::kGaugeHistogram;
  if (histogram && ends_with(name, "_bucket")) {
    const auto le = s.label("le");
    if (!le) return fail(fmt::format("histogram bucket {} without an le label", name));
    if (!parse_float(*le))
      return fail(fmt::format("le {} of {} is not a number", quoted(*le), name));
  }
  if (family.type == MetricType::kSummary && name.size() == family.name.size()) {
    const auto quantile = s.label("quantile");
    if (!quantile) return fail(fmt::format("summary sample {} without a quantile label", name));
    if (!parse_float(*quantile)) {
      return fail(fmt::format("quantile {} of {} is not a number", quoted(*quantile), name));
    }
  }
  family.samples.push_back(std::move(s));
}

ExpositionParser::ExpositionParser(ExpositionLimits limits)
    : state_(std::make_shared<State>(limits)) {}

void ExpositionParser::feed(std::string_view bytes) {
  State& st = *state_;
  if (st.error || st.finished) return;
  const std::size_t room = st.limits.max_body_bytes - st.body_bytes;
  const bool over = bytes.size() > room;
  if (over) bytes = bytes.substr(0, room);
  st.body_bytes += bytes.size();
  st.feed(bytes);
  if (over && !st.error) {
    ++st.line_number;  // the line being received when the bound was reached
    st.fail(
        fmt::format("the body is over the {} bytes a scrape may have", st.limits.max_body_bytes));
  }
}

Expected<Exposition> ExpositionParser::finish() {
  State& st = *state_;
  if (!st.finished && !st.error) {
    if (st.overlong > 0) {
      ++st.line_number;
      st.fail(fmt::format("{} bytes, more than the {} a line may have", st.overlong,
                          st.limits.max_line_bytes));
    } else if (!st.line.empty()) {  // the last line may go without its newline
      ++st.line_number;
      st.end_of_line(st.line);
      st.line.clear();
    }
  }
  st.finished = true;
  if (st.error) return tl::unexpected<Error>(*st.error);
  return std::move(st.out);
}

Expected<Exposition> parse_exposition(std::string_view text, ExpositionLimits limits) {
  ExpositionParser parser(limits);
  parser.feed(text);
  return parser.finish();
}

// ---- Histograms ----

std::optional<HistogramBuckets> histogram_of(const MetricFamily& family) {
  const bool gauge_histogram = family.type == MetricType::kGaugeHistogram;
  if (family.type != MetricType::kHistogram && !gauge_histogram) return std::nullopt;
  const std::string bucket_name = family.name + "_bucket";
  const std::string sum_name = family.name + (gauge_histogram ? "_gsum" : "_sum");
  const std::string count_name = family.name + (gauge_histogram ? "_gcount" : "_count");

  struct Group {
    std::vector<std::pair<double, double>> buckets;
    std::optional<double> sum, count;
  };
  std::vector<Group> groups;  // in order of first appearance
  std::map<std::string, std::size_t> group_at;
  // A label set (less `le`) as one key, independent of the labels' order.
  auto key_of = [](const MetricSample& s) {
    std::vector<const Label*> labels;
    for (const Label& l : s.labels) {
      if (l.name != "le") labels.push_back(&l);
    }
    std::sort(labels.begin(), labels.end(),
              [](const Label* a, const Label* b) { return a->name < b->name; });
    std::string key;
    for (const Label* l : labels) {
      key += l->name;
      key += '\0';
      key += l->value;
      key += '\0';
    }
    return key;
  };
  for (const MetricSample& s : family.samples) {
    const bool is_bucket = s.name == bucket_name;
    if (!is_bucket && s.name != sum_name && s.name != count_name) continue;
    std::optional<double> le;
    if (is_bucket) {
      const auto text = s.label("le");
      if (text) le = parse_float(*text);
      if (!le || std::isnan(*le)) continue;
    }
    const auto [it, added] = group_at.emplace(key_of(s), groups.size());
    if (added) groups.emplace_back();
    Group& g = groups[it->second];
    if (is_bucket) {
      g.buckets.emplace_back(*le, s.value);
    } else if (s.name == sum_name) {
      g.sum = s.value;
    } else {
      g.count = s.value;
    }
  }

  std::optional<HistogramBuckets> total;
  for (Group& g : groups) {
    if (g.buckets.empty()) continue;
    std::stable_sort(g.buckets.begin(), g.buckets.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    // Equal bounds ("1" and "1.0") are one bucket, as Prometheus coalesces them.
    std::vector<std::pair<double, double>> merged;
    for (const auto& b : g.buckets) {
      if (!merged.empty() && merged.back().first == b.first) {
        merged.back().second += b.second;
      } else {
        merged.push_back(b);
      }
    }
    if (merged.back().first != kInf) {
      merged.emplace_back(kInf, g.count.value_or(merged.back().second));
    }
    const double count = g.count.value_or(merged.back().second);
    if (!total) {
      total = HistogramBuckets{std::move(merged), g.sum.value_or(0), count};
      continue;
    }
    const bool same_bounds =
        merged.size() == total->buckets.size() &&
        std::equal(merged.begin(), merged.end(), total->buckets.begin(),
                   [](const auto& a, const auto& b) { return a.first == b.first; });
    if (!same_bounds) continue;
    for (std::size_t i = 0; i < merged.size(); ++i) total->buckets[i].second += merged[i].second;
    total->sum += g.sum.value_or(0);
    total->count += count;
  }
  return total;
}

std::optional<HistogramBuckets> histogram_delta(const HistogramBuckets& later,
                                                const HistogramBuckets& earlier) {
  if (later.buckets.size() != earlier.buckets.size()) return std::nullopt;
  HistogramBuckets delta;
  delta.buckets.reserve(later.buckets.size());
  for (std::size_t i = 0; i < later.buckets.size(); ++i) {
    if (later.buckets[i].first != earlier.buckets[i].first) return std::nullopt;
    const double d = later.buckets[i].second - earlier.buckets[i].second;
    if (d < 0) return std::nullopt;  // a cumulative count went down: the engine restarted
    delta.buckets.emplace_back(later.buckets[i].first, d);
  }
  if (later.count < earlier.count) return std::nullopt;
  delta.count = later.count - earlier.count;
  delta.sum = later.sum - earlier.sum;
  return delta;
}

namespace {

// The bucket holding the observation of rank q × total, as Prometheus's bucketQuantile finds
// it, over counts forced monotonic (a count that is NaN, negative or lower than the one before
// is read as the one before).
struct RankedBucket {
  std::size_t index = 0;  // into the buckets
  bool last = false;      // the +Inf bucket
  double start = 0;       // the lower bound (0 for the lowest bucket)
  double end = 0;         // the upper bound
  double fraction = 0;    // where the rank falls between start and end, 0..1
};

std::optional<RankedBucket> rank_bucket(const HistogramBuckets& h, double q) {
  const auto& b = h.buckets;
  if (std::isnan(q) || b.size() < 2 || b.back().first != kInf) return std::nullopt;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (std::isnan(b[i].first) || (i > 0 && b[i].first < b[i - 1].first)) return std::nullopt;
  }
  q = std::clamp(q, 0.0, 1.0);
  std::vector<double> counts(b.size());
  double previous = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const double c = b[i].second;
    previous = c > previous ? c : previous;  // false for NaN
    counts[i] = previous;
  }
  const double total = counts.back();
  if (!(total > 0) || !std::isfinite(total)) return std::nullopt;
  const double rank = q * total;
  std::size_t i = 0;
  while (i + 1 < b.size() && counts[i] < rank) ++i;
  RankedBucket r;
  r.index = i;
  r.last = i + 1 == b.size();
  r.end = b[i].first;
  if (r.last) return r;
  const double below = i > 0 ? counts[i - 1] : 0;
  r.start = i > 0 ? b[i - 1].first : 0;
  const double in_bucket = counts[i] - below;
  r.fraction = in_bucket > 0 ? std::clamp((rank - below) / in_bucket, 0.0, 1.0) : 0;
  return r;
}

}  // namespace

std::optional<double> histogram_quantile(const HistogramBuckets& buckets, double q) {
  const auto r = rank_bucket(buckets, q);
  if (!r) return std::nullopt;
  if (r->last) return buckets.buckets[r->index - 1].first;  // the largest finite bound
  // A lowest bucket that ends at or below 0 has no lower bound to interpolate from.
  if (r->index == 0 && r->end <= 0) return r->end;
  double v = r->start + (r->end - r->start) * r->fraction;
  if (!std::isfinite(v)) v = r->end;  // a bound of -Inf below: no width to interpolate in
  return std::clamp(v, r->start, r->end);
}

std::optional<double> histogram_resolution(const HistogramBuckets& buckets, double q) {
  const auto r = rank_bucket(buckets, q);
  if (!r) return std::nullopt;
  if (r->last) return kInf;
  if (!(r->end > 0)) return std::nullopt;
  return (r->end - r->start) / r->end;
}

std::optional<double> family_value(const Exposition& exposition, std::string_view family,
                                   std::string_view label, std::string_view value) {
  const MetricFamily* f = exposition.find(family);
  if (f == nullptr) return std::nullopt;
  if (f->type != MetricType::kCounter && f->type != MetricType::kGauge &&
      f->type != MetricType::kUntyped) {
    return std::nullopt;
  }
  const std::string total_name = f->name + "_total";
  std::optional<double> sum;
  for (const MetricSample& s : f->samples) {
    // A counter's _created sample is a timestamp, not a count.
    if (s.name != f->name && !(f->type == MetricType::kCounter && s.name == total_name)) continue;
    if (!label.empty() && s.label(label) != value) continue;
    sum = sum.value_or(0) + s.value;
  }
  return sum;
}

}  // namespace llmbench::monitor
