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

std::string text_of(const Json& object, const char* key) {
  const auto v = object.find(key);
  return v != object.end() && v->is_string() ? v->get<std::string>() : std::string();
}

void read_context(const Json& context, ResultFigures& out) {
  if (!context.is_object()) return;
  out.started_at = text_of(context, "started_at");
  if (const auto config = context.find("config"); config != context.end() && config->is_object()) {
    out.engine = text_of(*config, "engine");
    out.model = text_of(*config, "model");
  }
}

void read_summary(const Json& summary, ResultFigures& out) {
  for (const char* metric : {"ttft", "itl", "tpot", "e2e_latency"}) {
    const auto stats = summary.find(metric);
    if (stats == summary.end() || !stats->is_object()) continue;
    for (const char* stat : {"p50", "p90", "p95", "p99", "mean"}) {
      if (const auto v = stats->find(stat); v != stats->end() && v->is_number()) {
        out.figures[std::string(metric) + "." + stat] = v->get<double>();
      }
    }
    const auto ci = stats->find("ci");
    if (ci == stats->end() || !ci->is_object()) continue;
    const double level =
        ci->contains("level") && (*ci)["level"].is_number() ? (*ci)["level"].get<double>() : 0.95;
    for (const auto& [stat, bounds] : ci->items()) {
      if (!bounds.is_array() || bounds.size() != 2 || !bounds[0].is_number() ||
          !bounds[1].is_number()) {
        continue;
      }
      out.intervals[std::string(metric) + "." + stat] = {bounds[0].get<double>(),
                                                         bounds[1].get<double>(), level, "summary"};
    }
  }
  for (const char* name : {"output_token_throughput", "request_throughput", "success_rate",
                           "cost_per_million_output_tokens", "cost_per_thousand_requests",
                           "output_tokens_per_gpu_second"}) {
    if (const auto v = summary.find(name); v != summary.end() && v->is_number()) {
      out.figures[name] = v->get<double>();
    }
  }
  // The monitors' figures (docs/monitors.md): energy from the GPUs' counters, the largest
  // memory in use. Absent when not measured.
  if (const auto energy = summary.find("energy"); energy != summary.end() && energy->is_object()) {
    for (const char* name : {"joules_per_output_token", "output_tokens_per_joule",
                             "average_power_w", "joules_per_request"}) {
      if (const auto v = energy->find(name); v != energy->end() && v->is_number()) {
        out.figures[name] = v->get<double>();
      }
    }
  }
  if (const auto resources = summary.find("resources"); resources != summary.end()) {
    const MemoryMaxima memory = memory_maxima(*resources);
    if (memory.gpu_used_bytes) out.figures["gpu_memory_max_bytes"] = *memory.gpu_used_bytes;
    if (memory.gpu_engine_bytes) {
      out.figures["gpu_engine_memory_max_bytes"] = *memory.gpu_engine_bytes;
    }
    if (memory.engine_rss_bytes) out.figures["engine_rss_max_bytes"] = *memory.engine_rss_bytes;
  }
}

}  // namespace

MemoryMaxima memory_maxima(const Json& resources) {
  MemoryMaxima out;
  if (!resources.is_object()) return out;
  for (const auto& [name, figure] : resources.items()) {
    if (!figure.is_object()) continue;
    const auto max = figure.find("max");
    if (max == figure.end() || !max->is_number()) continue;
    const double value = max->get<double>();
    if (name.starts_with("gpu_memory_bytes.") && name.ends_with("_used")) {
      out.gpu_used_bytes = out.gpu_used_bytes.value_or(0) + value;
    } else if (name.starts_with("gpu_memory_bytes.") && name.ends_with("_engine")) {
      out.gpu_engine_bytes = out.gpu_engine_bytes.value_or(0) + value;
    } else if (name == "engine_memory_bytes.rss") {
      out.engine_rss_bytes = value;
    }
  }
  return out;
}

namespace {

void read_fingerprint(const Json& root, ResultFigures& out) {
  const auto workload = root.find("workload");
  if (workload == root.end() || !workload->is_object()) return;
  const auto f = workload->find("fingerprint");
  if (f == workload->end() || !f->is_object()) return;
  FingerprintParts parts;
  parts.workload = text_of(*f, "workload");
  parts.prompts = text_of(*f, "prompts");
  parts.lengths = text_of(*f, "lengths");
  parts.load = text_of(*f, "load");
  if (const auto n = f->find("requests_hashed"); n != f->end() && n->is_number_unsigned()) {
    parts.requests_hashed = n->get<std::uint64_t>();
  }
  if (!parts.workload.empty()) out.fingerprint = std::move(parts);
}

// One per-request record: its values go to the window its end falls in (failures skipped).
void read_request(const Json& r, double window, ResultFigures& out) {
  if (!r.is_object()) return;
  if (const auto error = r.find("error"); error != r.end() && !error->is_null()) return;
  const auto timestamps = r.find("timestamps");
  if (timestamps == r.end() || !timestamps->is_object()) return;
  const auto end = timestamps->find("end");
  if (end == timestamps->end() || !end->is_number()) return;
  const double at = end->get<double>() / window;
  if (!(at >= 0) || at >= static_cast<double>(kMaxWindows)) return;
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
  if (const auto context = root.find("context"); context != root.end()) {
    read_context(*context, out);
  }
  read_summary(*summary, out);
  read_fingerprint(root, out);
  const auto requests = root.find("requests");
  if (requests == root.end() || !requests->is_array() || !(window > 0)) return out;
  for (const Json& r : *requests) read_request(r, window, out);
  return out;
}

Expected<ResultFigures> stored_result_figures(
    const std::string& source, std::string_view summary_json, std::string_view context_json,
    const std::string& fingerprint, const std::vector<std::string>& request_lines, double window) {
  const Json summary = Json::parse(summary_json, nullptr, false);
  if (summary.is_discarded() || !summary.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, source + ": its stored summary is not JSON");
  }
  ResultFigures out;
  out.source = source;
  if (!context_json.empty()) {
    const Json context = Json::parse(context_json, nullptr, false);
    if (!context.is_discarded()) read_context(context, out);
  }
  read_summary(summary, out);
  if (!fingerprint.empty()) out.fingerprint = FingerprintParts{fingerprint, "", "", "", 0};
  if (!(window > 0)) return out;
  for (const std::string& line : request_lines) {
    const Json r = Json::parse(line, nullptr, false);
    if (!r.is_discarded()) read_request(r, window, out);
  }
  return out;
}

}  // namespace llmbench::report
