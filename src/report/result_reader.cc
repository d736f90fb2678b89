#include "report/result_reader.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

namespace llmbench::report {

namespace {

using Json = nlohmann::json;

constexpr std::uintmax_t kMaxResultBytes = std::uintmax_t{1} << 30;
constexpr std::size_t kMaxWindows = 1'000'000;

void add(std::vector<std::vector<double>>& windows, std::size_t index, double value) {
  if (windows.size() <= index) windows.resize(index + 1);
  windows[index].push_back(value);
}

}  // namespace

Expected<ResultFigures> read_result_figures(const std::filesystem::path& path, double window) {
  const auto where = [&path](const std::string& what) {
    return make_error(ErrorCode::kInvalidArgument, path.string() + ": " + what);
  };
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot read " + path.string() + ": " + ec.message());
  if (size > kMaxResultBytes) return where("larger than 1 GiB; not an llmbench result");
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, "cannot read " + path.string());
  const Json root = Json::parse(in, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return where("not JSON");
  const auto summary = root.find("summary");
  if (summary == root.end() || !summary->is_object()) {
    return where("no summary: not an llmbench result");
  }

  ResultFigures out;
  out.source = path.string();
  if (const auto context = root.find("context"); context != root.end() && context->is_object()) {
    out.started_at = context->value("started_at", "");
    if (const auto config = context->find("config");
        config != context->end() && config->is_object()) {
      out.engine = config->value("engine", "");
      out.model = config->value("model", "");
    }
  }
  for (const char* metric : {"ttft", "itl", "tpot", "e2e_latency"}) {
    const auto stats = summary->find(metric);
    if (stats == summary->end() || !stats->is_object()) continue;
    for (const char* stat : {"p50", "p90", "p95", "p99", "mean"}) {
      if (const auto v = stats->find(stat); v != stats->end() && v->is_number()) {
        out.figures[std::string(metric) + "." + stat] = v->get<double>();
      }
    }
  }
  for (const char* name : {"output_token_throughput", "request_throughput", "success_rate"}) {
    if (const auto v = summary->find(name); v != summary->end() && v->is_number()) {
      out.figures[name] = v->get<double>();
    }
  }

  const auto requests = root.find("requests");
  if (requests == root.end() || !requests->is_array() || !(window > 0)) return out;
  for (const Json& r : *requests) {
    if (!r.is_object()) continue;
    if (const auto error = r.find("error"); error != r.end() && !error->is_null()) continue;
    const auto timestamps = r.find("timestamps");
    if (timestamps == r.end() || !timestamps->is_object()) continue;
    const auto end = timestamps->find("end");
    if (end == timestamps->end() || !end->is_number()) continue;
    const double at = end->get<double>() / window;
    if (!(at >= 0) || at >= static_cast<double>(kMaxWindows)) continue;
    const auto index = static_cast<std::size_t>(at);
    for (const char* metric : {"ttft", "tpot", "e2e_latency"}) {
      if (const auto v = r.find(metric); v != r.end() && v->is_number()) {
        add(out.windows[metric], index, v->get<double>());
      }
    }
    if (const auto gaps = r.find("itl"); gaps != r.end() && gaps->is_array()) {
      for (const Json& gap : *gaps) {
        if (gap.is_number()) add(out.windows["itl"], index, gap.get<double>());
      }
    }
  }
  return out;
}

}  // namespace llmbench::report
