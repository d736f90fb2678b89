#include "workload/lengths.h"

#include <algorithm>
#include <cmath>

#include "core/text.h"

namespace llmbench::workload {

namespace {

std::int64_t clip(double value, std::int64_t lo, std::int64_t hi) {
  const double rounded = std::round(value);
  if (!(rounded >= static_cast<double>(lo))) return lo;  // NaN too
  if (rounded >= static_cast<double>(hi)) return hi;
  return static_cast<std::int64_t>(rounded);
}

std::string number(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

LengthDistribution fixed_length(std::int64_t n) {
  LengthDistribution d;
  d.a = static_cast<double>(n);
  return d;
}

std::int64_t LengthDistribution::sample(std::mt19937_64& rng) const {
  switch (kind) {
    case LengthKind::kFixed:
      return static_cast<std::int64_t>(a);
    case LengthKind::kUniform:
      return std::uniform_int_distribution<std::int64_t>(static_cast<std::int64_t>(a),
                                                         static_cast<std::int64_t>(b))(rng);
    case LengthKind::kNormal:
      return clip(std::normal_distribution<double>(a, b)(rng), min, std::min(max, kMaxDrawn));
    case LengthKind::kLognormal:
      return clip(std::lognormal_distribution<double>(std::log(a), b)(rng), min,
                  std::min(max, kMaxDrawn));
    case LengthKind::kEmpirical:
      if (empirical.empty()) return 1;
      return empirical[std::uniform_int_distribution<std::size_t>(0, empirical.size() - 1)(rng)];
    case LengthKind::kContextLimit:
      return static_cast<std::int64_t>(a);  // resolved against the engine before the run
  }
  return 1;
}

std::int64_t LengthDistribution::upper_bound() const {
  switch (kind) {
    case LengthKind::kUniform:
      return static_cast<std::int64_t>(b);
    case LengthKind::kNormal:
    case LengthKind::kLognormal:
      return max;
    case LengthKind::kEmpirical:
      return empirical.empty() ? 1 : *std::max_element(empirical.begin(), empirical.end());
    default:
      return static_cast<std::int64_t>(a);
  }
}

std::int64_t LengthDistribution::lower_bound() const {
  switch (kind) {
    case LengthKind::kNormal:
    case LengthKind::kLognormal:
      return min;
    case LengthKind::kEmpirical:
      return empirical.empty() ? 1 : *std::min_element(empirical.begin(), empirical.end());
    default:
      return static_cast<std::int64_t>(a);
  }
}

std::string LengthDistribution::describe() const {
  auto bounds = [&] {
    if (min == 1 && max == INT64_MAX) return std::string();
    return ":" + std::to_string(min) + ":" + (max == INT64_MAX ? "inf" : std::to_string(max));
  };
  switch (kind) {
    case LengthKind::kFixed:
      return number(a);
    case LengthKind::kUniform:
      return "uniform:" + number(a) + ":" + number(b);
    case LengthKind::kNormal:
      return "normal:" + number(a) + ":" + number(b) + bounds();
    case LengthKind::kLognormal:
      return "lognormal:" + number(a) + ":" + number(b) + bounds();
    case LengthKind::kEmpirical:
      return "empirical";
    case LengthKind::kContextLimit:
      return "context-limit";
  }
  return {};
}

Expected<LengthDistribution> parse_length_distribution(std::string_view text, LengthOf of) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "': " + why);
  };
  const std::vector<std::string_view> parts = split(text, ':');
  if (parts.empty()) return bad("a length is required");
  const std::string_view kind = parts[0];
  std::vector<double> values;
  for (std::size_t i = (parse_number(kind) ? 0 : 1); i < parts.size(); ++i) {
    if (parts[i] == "inf") {
      values.push_back(static_cast<double>(INT64_MAX));
      continue;
    }
    const auto v = parse_number(parts[i]);
    if (!v) return bad("'" + std::string(parts[i]) + "' is not a number");
    values.push_back(*v);
  }
  LengthDistribution d;
  auto whole_positive = [&](double v) { return v >= 1 && v == std::floor(v) && v < 1e12; };
  auto class_range = [&](std::int64_t lo, std::int64_t hi) {
    d.kind = LengthKind::kUniform;
    d.a = static_cast<double>(lo);
    d.b = static_cast<double>(hi);
    return d;
  };
  if (parse_number(kind) || kind == "fixed") {
    if (values.size() != 1 || !whole_positive(values[0]))
      return bad("a fixed length is a whole number ≥ 1");
    d.a = values[0];
    return d;
  }
  if (kind == "short" || kind == "medium" || kind == "long") {
    if (!values.empty()) return bad("a length class takes no values");
    // The catalog's classes (docs/workloads.md): prompts 5–20 / 100–500 / 1000–4000,
    // completions 10–50 / 100–500 / 1000–2000.
    if (kind == "short") return of == LengthOf::kPrompt ? class_range(5, 20) : class_range(10, 50);
    if (kind == "medium") return class_range(100, 500);
    return of == LengthOf::kPrompt ? class_range(1000, 4000) : class_range(1000, 2000);
  }
  if (kind == "context-limit") {
    if (of != LengthOf::kPrompt) return bad("context-limit applies to prompts only");
    d.kind = LengthKind::kContextLimit;
    return d;
  }
  if (kind == "empirical") {
    if (!values.empty()) return bad("empirical takes its lengths from --dataset");
    d.kind = LengthKind::kEmpirical;
    return d;
  }
  if (kind == "uniform") {
    if (values.size() != 2 || !whole_positive(values[0]) || !whole_positive(values[1]) ||
        values[1] < values[0]) {
      return bad("uniform:MIN:MAX with whole numbers 1 ≤ MIN ≤ MAX");
    }
    d.kind = LengthKind::kUniform;
    d.a = values[0];
    d.b = values[1];
    return d;
  }
  if (kind == "normal" || kind == "lognormal") {
    if (values.size() != 2 && values.size() != 4) {
      return bad(std::string(kind) + ":" + (kind == "normal" ? "MEAN:STDDEV" : "MEDIAN:SIGMA") +
                 "[:MIN:MAX]");
    }
    if (!(values[0] > 0) || !(values[1] >= 0))
      return bad("the centre must be > 0 and the spread ≥ 0");
    d.kind = kind == "normal" ? LengthKind::kNormal : LengthKind::kLognormal;
    d.a = values[0];
    d.b = values[1];
    if (values.size() == 4) {
      if (!whole_positive(values[2]) || values[3] < values[2])
        return bad("MIN:MAX with 1 ≤ MIN ≤ MAX");
      d.min = static_cast<std::int64_t>(values[2]);
      d.max = values[3] >= 9e18 ? INT64_MAX : static_cast<std::int64_t>(values[3]);
    }
    return d;
  }
  return bad(
      "expected N, uniform:MIN:MAX, normal:MEAN:SD, lognormal:MEDIAN:SIGMA, empirical, "
      "short, medium, long or context-limit");
}

}  // namespace llmbench::workload
