#include "monitor/resource_monitor.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "core/redact.h"
#include "monitor/engine_metrics.h"
#include "monitor/nvml.h"
#include "monitor/procfs.h"
#include "monitor/prometheus.h"

namespace llmbench::monitor {

namespace {

namespace asio = boost::asio;

// How often the engine's process tree is listed again (vLLM starts its engine core and
// workers as child processes; they hold the GPU memory).
constexpr double kProcessTreeRefreshS = 5;
// At most this many distinct problem lines per monitor reach the result's warnings.
constexpr std::size_t kMaxMonitorWarnings = 20;
// Per-core series are drawn in the report only on machines with this many cores or fewer.
constexpr std::size_t kMaxCoresInWindows = 16;
constexpr std::size_t kMaxOllamaPsBytes = std::size_t{1} * 1024 * 1024;
// An engine's first latency bucket up to this wide is fine enough to say something.
constexpr double kFineFirstBucketS = 0.001;

// Whether `host` (a URL's) is this machine: loopback, this host's name, or one of its
// interfaces' addresses.
bool is_loopback_or_local(const std::string& host) {
  if (host == "localhost" || host == "::1" || host.starts_with("127.")) return true;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0 && host == name) return true;
  ifaddrs* addresses = nullptr;
  if (::getifaddrs(&addresses) != 0) return false;
  bool found = false;
  for (const ifaddrs* a = addresses; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const int family = a->ifa_addr->sa_family;
    if (family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    } else if (family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    found = host == text;
  }
  ::freeifaddrs(addresses);
  return found;
}

std::optional<pid_t> parent_of(const std::filesystem::path& stat_path) {
  std::ifstream in(stat_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  std::string state;
  long long parent = 0;
  if (!(rest >> state >> parent) || parent <= 0) return std::nullopt;
  return static_cast<pid_t>(parent);
}

// `root` and every process descending from it, from the parents in <proc>/*/stat.
std::vector<pid_t> process_tree(pid_t root, const std::filesystem::path& proc_root) {
  std::unordered_map<pid_t, std::vector<pid_t>> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(proc_root, ec)) {
    const std::string name = entry.path().filename().string();
    pid_t pid = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (error != std::errc{} || end != name.data() + name.size()) continue;
    if (auto parent = parent_of(entry.path() / "stat")) children[*parent].push_back(pid);
  }
  std::vector<pid_t> tree{root};
  for (std::size_t i = 0; i < tree.size() && tree.size() < 4096; ++i) {
    if (auto it = children.find(tree[i]); it != children.end()) {
      tree.insert(tree.end(), it->second.begin(), it->second.end());
    }
  }
  return tree;
}

std::string http_hint(int status, const std::string& dialect) {
  if (status != 404) return "";
  if (dialect == "llamacpp") return ": start llama-server with --metrics";
  if (dialect == "sglang") return ": start SGLang with --enable-metrics";
  if (dialect == "tgi") return ": TGI also serves them on its own port (--metrics-url)";
  return ": the engine serves no Prometheus metrics here (--metrics-url names another URL)";
}

// Reads a response into the exposition parser (or, for Ollama's /api/ps, into a bounded
// buffer). Past the bound nothing more is kept; the scrape's total timeout bounds the time.
struct ScrapeHandler final : net::ResponseHandler {
  explicit ScrapeHandler(bool json) : json_body(json) {}
  void on_head(int code, std::span<const net::Header> /*headers*/) override { status = code; }
  void on_body(std::string_view bytes, TimePoint /*arrival*/) override {
    received += bytes.size();
    if (status != 200) return;
    if (json_body) {
      if (body.size() + bytes.size() > kMaxOllamaPsBytes) {
        too_large = true;
      } else {
        body.append(bytes);
      }
      return;
    }
    if (received > kMaxScrapeBytes) {
      too_large = true;
      return;
    }
    parser.feed(bytes);
  }
  bool json_body;
  int status = 0;
  std::size_t received = 0;
  bool too_large = false;
  std::string body;
  ExpositionParser parser;
};

struct SeriesSlot {
  std::size_t index = 0;
  std::uint64_t offered = 0;  // samples offered (kept: every stride-th)
  std::uint64_t stride = 1;   // histograms' (a series keeps its own in MonitorSeries)
};

}  // namespace

struct ResourceMonitor::State {
  MonitorOptions options;
  TimePoint origin;

  mutable std::mutex mutex;  // guards data, slots, warned, last_exposition
  MonitorData data;
  std::unordered_map<std::string, SeriesSlot> slots;
  std::unordered_map<std::string, SeriesSlot> histogram_slots;
  std::set<std::string> warned;
  std::map<std::string, std::size_t, std::less<>> warned_per_monitor;
  std::optional<Exposition> last_exposition;

  // The sampler thread's own (and the constructor's, before it starts).
  std::unique_ptr<Nvml> nvml;
  std::optional<HostSampler> host;
  std::optional<pid_t> engine_pid;
  std::unordered_map<pid_t, ProcessSampler> processes;
  double tree_listed_at = -1e300;
  bool engine_gone = false;

  // The scraper thread's own.
  std::optional<MetricsDialect> dialect;
  bool ollama = false;
  bool scraping = false;
  asio::io_context io;
  std::unique_ptr<net::HttpConnection> connection;
  SteadyClockSource clock;

  std::mutex stop_mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::atomic<bool> stopped{false};
  std::thread sampler_thread, scraper_thread;

  double now_s() const { return to_seconds(SteadyClock::now() - origin); }

  void set_status(const std::string& monitor, bool available, std::string detail) {
    std::lock_guard lock(mutex);
    for (MonitorStatus& s : data.status) {
      if (s.monitor == monitor) {
        s.available = available;
        s.detail = std::move(detail);
        return;
      }
    }
    data.status.push_back({monitor, available, std::move(detail)});
  }

  // At most kMaxMonitorWarnings distinct lines per monitor (the text before the first ':'), so
  // a flaky /metrics cannot crowd out the line that says the engine exited.
  void warn_locked(const std::string& line) {
    const std::string monitor = line.substr(0, line.find(':'));
    std::size_t& count = warned_per_monitor[monitor];
    if (count >= kMaxMonitorWarnings || !warned.insert(line).second) return;
    ++count;
    data.warnings.push_back(line);
  }

  // One sample of a series; once a series holds max_points_per_series, every second sample
  // is dropped and later ones are kept one in `stride`.
  void push_locked(const std::string& name, std::string_view unit, std::string_view source,
                   bool counter, double t, double value) {
    if (!std::isfinite(value)) return;
    auto [it, inserted] = slots.try_emplace(name);
    if (inserted) {
      it->second.index = data.series.size();
      data.series.push_back({name, std::string(unit), std::string(source), counter, {}, 1});
    }
    MonitorSeries& series = data.series[it->second.index];
    if (it->second.offered++ % series.stride != 0) return;
    if (series.points.size() >= std::max<std::size_t>(options.max_points_per_series, 2)) {
      std::size_t kept = 0;
      for (std::size_t i = 0; i < series.points.size(); i += 2)
        series.points[kept++] = series.points[i];
      series.points.resize(kept);
      series.stride *= 2;
    }
    series.points.push_back({t, value});
  }

  void push_optional_locked(const std::string& name, std::string_view unit, std::string_view source,
                            double t, const std::optional<double>& value, double scale = 1) {
    if (value) push_locked(name, unit, source, false, t, *value * scale);
  }

  // --- GPU, host, process -------------------------------------------------------------------

  void open_samplers() {
    // The GPUs here are not a remote engine's: their energy per token would be another
    // machine's figure. (`llmbench monitor` on the engine's host reads them.)
    const bool remote_engine = options.engine_url && !options.engine_pid &&
                               !is_loopback_or_local(options.engine_url->host);
    if (options.gpu && remote_engine) {
      set_status("gpu", false,
                 "GPU monitor off: the engine is on another host, so this machine's GPUs are not "
                 "its (run `llmbench monitor` there, or give --engine-pid for a local engine)");
    } else if (options.gpu) {
      auto opened = Nvml::open(options.nvml_library);
      if (!opened) {
        set_status("gpu", false, "GPU monitor not available: " + opened.error().message);
      } else {
        nvml = std::move(*opened);
        std::vector<std::string> names;
        for (const GpuDevice& device : nvml->devices()) {
          GpuIdentity identity{device.index, device.name, device.uuid, {}, {}};
          names.push_back(device.name);
          std::lock_guard lock(mutex);
          data.gpus.push_back(std::move(identity));
        }
        const std::string driver = nvml->driver_version();
        set_status("gpu", true,
                   fmt::format("{} GPU(s): {}{}", names.size(), fmt::join(names, ", "),
                               driver.empty() ? "" : " (driver " + driver + ")"));
      }
    } else {
      set_status("gpu", false, "GPU monitor off (--no-gpu-monitor)");
    }
    if (options.host) {
      if (std::filesystem::exists(std::filesystem::path(options.proc_root) / "stat")) {
        host.emplace(options.proc_root);
        set_status("host", true, "/proc: CPU per core and in total, memory, network bytes");
      } else {
        set_status("host", false, "host monitor not available: no " + options.proc_root + "/stat");
      }
    } else {
      set_status("host", false, "host monitor off");
    }
    find_engine_process();
  }

  void find_engine_process() {
    if (options.engine_pid) {
      engine_pid = options.engine_pid;
      const std::string name = process_name(*engine_pid, options.proc_root);
      if (name.empty() && !std::filesystem::exists(std::filesystem::path(options.proc_root) /
                                                   std::to_string(*engine_pid))) {
        set_status(
            "engine_process", false,
            fmt::format("engine process not available: no process {} (--engine-pid)", *engine_pid));
        engine_pid.reset();
        return;
      }
      set_status("engine_process", true,
                 fmt::format("pid {} ({}), given by --engine-pid", *engine_pid,
                             name.empty() ? "?" : name));
    } else if (options.find_engine_process && options.engine_url &&
               is_loopback_or_local(options.engine_url->host)) {
      std::string why;
      engine_pid = find_listening_pid(options.engine_url->port, &why, options.proc_root);
      if (!engine_pid) {
        set_status("engine_process", false, "engine process not found: " + why);
        return;
      }
      set_status(
          "engine_process", true,
          fmt::format("pid {} ({}), listening on port {}", *engine_pid,
                      process_name(*engine_pid, options.proc_root), options.engine_url->port));
    } else {
      set_status("engine_process", false,
                 options.engine_url && !is_loopback_or_local(options.engine_url->host)
                     ? "engine process not monitored: the engine is on another host "
                       "(--engine-pid names a local one)"
                     : "engine process not monitored");
      return;
    }
    std::lock_guard lock(mutex);
    data.engine_pid = *engine_pid;
    data.engine_process = process_name(*engine_pid, options.proc_root);
  }

  void sample_gpus(double t) {
    if (!nvml) return;
    std::vector<pid_t> engine_tree;
    for (const auto& [pid, sampler] : processes) engine_tree.push_back(pid);
    for (const GpuDevice& device : nvml->devices()) {
      GpuReading r = nvml->read(device.index);
      const std::string gpu = "gpu" + std::to_string(device.index);
      std::lock_guard lock(mutex);
      for (const std::string& error : r.errors)
        warn_locked("GPU " + std::to_string(device.index) + ": " + error);
      push_optional_locked("gpu_utilization_percent." + gpu, "%", "nvml utilization.gpu", t,
                           r.utilization_gpu);
      push_optional_locked("gpu_utilization_percent." + gpu + "_memory", "%",
                           "nvml utilization.memory", t, r.utilization_memory);
      push_optional_locked("gpu_memory_bytes." + gpu + "_used", "bytes", "nvml memory.used", t,
                           r.memory_used_bytes);
      push_optional_locked("gpu_power_w." + gpu, "W", "nvml power usage", t, r.power_w);
      if (r.energy_j) {
        push_locked("gpu_energy_j." + gpu, "J", "nvml total energy consumption", true, t,
                    *r.energy_j);
      }
      push_optional_locked("gpu_temperature_c." + gpu, "°C", "nvml temperature", t,
                           r.temperature_c);
      push_optional_locked("gpu_clock_mhz." + gpu + "_sm", "MHz", "nvml SM clock", t,
                           r.sm_clock_mhz);
      push_optional_locked("gpu_clock_mhz." + gpu + "_memory", "MHz", "nvml memory clock", t,
                           r.memory_clock_mhz);
      push_optional_locked("gpu_pcie_bytes_per_s." + gpu + "_tx", "bytes/s", "nvml PCIe tx", t,
                           r.pcie_tx_bytes_per_s);
      push_optional_locked("gpu_pcie_bytes_per_s." + gpu + "_rx", "bytes/s", "nvml PCIe rx", t,
                           r.pcie_rx_bytes_per_s);
      if (r.processes && engine_pid) {
        // Only when NVML lists one of the engine's processes with its memory: an engine in a
        // container (NVML then lists host pids) or a proxy found by the port is not "0 bytes".
        std::optional<double> engine_bytes;
        for (const GpuProcessMemory& p : *r.processes) {
          if (p.used_bytes && std::find(engine_tree.begin(), engine_tree.end(),
                                        static_cast<pid_t>(p.pid)) != engine_tree.end()) {
            engine_bytes = engine_bytes.value_or(0) + *p.used_bytes;
          }
        }
        push_optional_locked("gpu_memory_bytes." + gpu + "_engine", "bytes",
                             "nvml compute processes of the engine's process tree", t,
                             engine_bytes);
      }
      for (GpuIdentity& identity : data.gpus) {
        if (identity.index != device.index) continue;
        if (r.memory_total_bytes) identity.memory_total_bytes = r.memory_total_bytes;
        if (r.power_limit_w) identity.power_limit_w = r.power_limit_w;
      }
    }
  }

  void sample_host(double t) {
    if (!host) return;
    HostReading r = host->sample(t);
    std::lock_guard lock(mutex);
    for (const std::string& error : r.errors) warn_locked("host: " + error);
    push_optional_locked("host_cpu_percent.total", "%", "/proc/stat", t, r.cpu_percent);
    std::optional<double> busiest;
    for (std::size_t core = 0; core < r.core_percent.size(); ++core) {
      const auto& value = r.core_percent[core];
      if (!value) continue;
      busiest = std::max(busiest.value_or(0), *value);
      // Every core's series only on a machine of at most kMaxCoresInWindows cores: a 224-thread
      // node would multiply the result's size; the busiest core says what matters.
      if (r.core_percent.size() > kMaxCoresInWindows) continue;
      push_locked("host_core_percent.cpu" + std::to_string(core), "%", "/proc/stat", false, t,
                  *value);
    }
    push_optional_locked("host_cpu_percent.busiest_core", "%", "/proc/stat", t, busiest);
    push_optional_locked("host_memory_bytes.used", "bytes", "/proc/meminfo", t,
                         r.memory_used_bytes);
    push_optional_locked("host_net_bytes_per_s.rx", "bytes/s", "/proc/net/dev", t,
                         r.net_rx_bytes_per_s);
    push_optional_locked("host_net_bytes_per_s.tx", "bytes/s", "/proc/net/dev", t,
                         r.net_tx_bytes_per_s);
    if (r.memory_total_bytes && data.find("host_memory_bytes.total") == nullptr) {
      push_locked("host_memory_bytes.total", "bytes", "/proc/meminfo", false, t,
                  *r.memory_total_bytes);
    }
  }

  void sample_engine_process(double t) {
    if (!engine_pid || engine_gone) return;
    if (t - tree_listed_at >= kProcessTreeRefreshS) {
      tree_listed_at = t;
      const std::vector<pid_t> tree = process_tree(*engine_pid, options.proc_root);
      std::erase_if(processes, [&](const auto& entry) {
        return std::find(tree.begin(), tree.end(), entry.first) == tree.end();
      });
      for (pid_t pid : tree) {
        processes.try_emplace(pid, pid, std::filesystem::path(options.proc_root));
      }
    }
    std::optional<double> cpu;
    std::optional<double> rss;
    std::optional<double> threads;
    bool root_exited = false;
    for (auto& [pid, sampler] : processes) {
      ProcessReading r = sampler.sample(t);
      if (r.exited) {
        if (pid == *engine_pid) root_exited = true;
        continue;
      }
      if (r.cpu_percent) cpu = cpu.value_or(0) + *r.cpu_percent;
      if (r.rss_bytes) rss = rss.value_or(0) + *r.rss_bytes;
      if (r.threads) threads = threads.value_or(0) + *r.threads;
    }
    if (root_exited) {
      engine_gone = true;
      std::lock_guard lock(mutex);
      warn_locked(fmt::format("engine process: pid {} exited at t = {:.1f} s", *engine_pid, t));
      return;
    }
    const std::string source = fmt::format("/proc of pid {} and its {} descendant(s)", *engine_pid,
                                           processes.empty() ? 0 : processes.size() - 1);
    std::lock_guard lock(mutex);
    push_optional_locked("engine_cpu_percent.engine", "% of a core", source, t, cpu);
    push_optional_locked("engine_memory_bytes.rss", "bytes", source, t, rss);
    push_optional_locked("engine_threads.threads", "threads", source, t, threads);
  }

  void sample_all() {
    const double t = now_s();
    sample_engine_process(t);  // first: the GPUs' per-process memory needs the engine's tree
    sample_gpus(t);
    sample_host(t);
  }

  void sampler_loop() {
    auto next = SteadyClock::now();
    for (;;) {
      sample_all();
      next += options.interval;
      const auto now = SteadyClock::now();
      if (next < now) next = now;  // late (a slow NVML call): no burst to catch up
      std::unique_lock lock(stop_mutex);
      if (wake.wait_until(lock, next, [this] { return stopping; })) break;
    }
    sample_all();  // the run's end
  }

  // --- the engine's /metrics ----------------------------------------------------------------

  void open_scraper() {
    if (!options.metrics_url) {
      set_status("engine_metrics", false, "engine metrics not scraped");
      return;
    }
    const std::string& engine = options.engine;
    ollama = engine == "ollama";
    dialect = metrics_dialect_for(engine);
    {
      std::lock_guard lock(mutex);
      data.metrics_url = redact(options.metrics_url->to_string());
      data.metrics_dialect = ollama ? "ollama" : dialect ? std::string(to_string(*dialect)) : "";
    }
    auto endpoints = net::resolve(*options.metrics_url);
    if (!endpoints) {
      set_status("engine_metrics", false,
                 "engine metrics not available: " + endpoints.error().message);
      return;
    }
    connection = std::make_unique<net::HttpConnection>(
        io.get_executor(), *options.metrics_url, *endpoints,
        options.metrics_url->tls() ? net::make_tls_context(options.tls) : nullptr, clock);
    scraping = true;
    set_status("engine_metrics", true,
               fmt::format("{} every {:g} s{}", redact(options.metrics_url->to_string()),
                           to_seconds(options.scrape_interval),
                           ollama ? " (Ollama has no /metrics: the loaded models' VRAM)" : ""));
  }

  std::string target() const {
    const net::Url& url = *options.metrics_url;
    return url.with_query(url.base_path.empty() ? (ollama ? "/api/ps" : "/metrics")
                                                : url.base_path);
  }

  void scrape_failed(const std::string& why) {
    std::lock_guard lock(mutex);
    ++data.scrape_failures;
    data.last_scrape_error = why;
    warn_locked("engine metrics: " + why);
  }

  void scrape() {
    if (!scraping) return;
    net::HttpRequest request;
    request.method = "GET";
    request.target = target();
    request.headers = options.metrics_headers;
    request.content_type.clear();
    request.headers.push_back(
        {"Accept", ollama ? "application/json" : "text/plain;version=0.0.4;q=0.9,*/*;q=0.1"});
    const std::string bytes = net::serialize_request(request, *options.metrics_url);
    ScrapeHandler handler(ollama);
    net::Timeouts timeouts;
    timeouts.connect = options.scrape_timeout;
    timeouts.first_token = Duration::zero();
    timeouts.idle = Duration::zero();
    timeouts.total = options.scrape_timeout;
    net::ExchangeResult result;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          result = co_await connection->exchange(bytes, handler, timeouts);
        },
        asio::detached);
    io.restart();
    io.run();
    const double t = now_s();
    if (result.status != net::ExchangeStatus::kOk) {
      scrape_failed(fmt::format("GET {}: {}", request.target,
                                result.message.empty() ? "failed" : result.message));
      return;
    }
    if (handler.status != 200) {
      const std::string dialect_name = ollama    ? "ollama"
                                       : dialect ? std::string(to_string(*dialect))
                                                 : "";
      const std::string why = fmt::format("GET {} answered HTTP {}{}", request.target,
                                          handler.status, http_hint(handler.status, dialect_name));
      scrape_failed(why);
      if (handler.status == 404) {  // it never will: stop asking
        scraping = false;
        set_status("engine_metrics", false, "engine metrics not available: " + why);
      }
      return;
    }
    if (handler.too_large) {
      scrape_failed(fmt::format("GET {}: the answer is larger than {} bytes; ignored",
                                request.target, ollama ? kMaxOllamaPsBytes : kMaxScrapeBytes));
      return;
    }
    if (ollama) {
      read_ollama_ps(t, handler.body);
      return;
    }
    auto exposition = handler.parser.finish();
    if (!exposition) {
      scrape_failed(fmt::format("GET {}: not Prometheus text: {}", request.target,
                                exposition.error().message));
      return;
    }
    if (!dialect) {
      dialect = guess_dialect(*exposition);
      std::lock_guard lock(mutex);
      data.metrics_dialect = dialect ? std::string(to_string(*dialect)) : "unknown";
    }
    record_scrape(t, *exposition);
  }

  void read_ollama_ps(double t, const std::string& body) {
    const nlohmann::json ps = nlohmann::json::parse(body, nullptr, false);
    if (ps.is_discarded() || !ps.is_object() || !ps.contains("models") ||
        !ps["models"].is_array()) {
      scrape_failed("GET /api/ps: not the JSON Ollama answers");
      return;
    }
    double vram = 0;
    double size = 0;
    double loaded = 0;
    for (const auto& model : ps["models"]) {
      if (!model.is_object()) continue;
      ++loaded;
      if (model.contains("size_vram") && model["size_vram"].is_number()) {
        vram += model["size_vram"].get<double>();
      }
      if (model.contains("size") && model["size"].is_number()) size += model["size"].get<double>();
    }
    std::lock_guard lock(mutex);
    ++data.scrapes;
    push_locked("server_model_memory_bytes.vram", "bytes", "ollama /api/ps size_vram", false, t,
                vram);
    push_locked("server_model_memory_bytes.total", "bytes", "ollama /api/ps size", false, t, size);
    push_locked("server_models.loaded", "models", "ollama /api/ps", false, t, loaded);
  }

  void record_scrape(double t, Exposition& exposition) {
    std::lock_guard lock(mutex);
    ++data.scrapes;
    for (const std::string& warning : exposition.warnings)
      warn_locked("engine metrics: " + warning);
    if (!dialect) {
      last_exposition = std::move(exposition);
      return;
    }
    const EngineMetrics m = normalize(exposition, *dialect);
    const auto gauge = [&](const char* name, std::string_view unit,
                           const std::optional<SourcedValue>& value, double scale = 1) {
      if (value) push_locked(name, unit, value->family, false, t, value->value * scale);
    };
    const auto counter = [&](const char* name, std::string_view unit,
                             const std::optional<SourcedValue>& value) {
      if (value) push_locked(name, unit, value->family, true, t, value->value);
    };
    gauge("server_requests.running", "requests", m.requests_running);
    gauge("server_requests.waiting", "requests", m.requests_waiting);
    gauge("server_kv_cache_percent.usage", "%", m.kv_cache_usage, 100);
    if (m.batch_size &&
        (!m.requests_running || m.batch_size->family != m.requests_running->family)) {
      gauge("server_batch_size.batch", "requests", m.batch_size);
    }
    gauge("server_prefix_cache_hit_percent.engine", "%", m.prefix_cache_hit_rate, 100);
    counter("server_prefix_cache_tokens_per_s.queries", "tokens/s", m.prefix_cache_queries);
    counter("server_prefix_cache_tokens_per_s.hits", "tokens/s", m.prefix_cache_hits);
    counter("server_preemptions_per_s.preemptions", "1/s", m.preemptions);
    counter("server_tokens_per_s.prompt", "tokens/s", m.prompt_tokens);
    counter("server_tokens_per_s.generation", "tokens/s", m.generation_tokens);
    counter("server_requests_per_s.finished", "requests/s", m.requests_finished);
    const auto histogram = [&](const char* name, const std::optional<SourcedHistogram>& h) {
      if (!h) return;
      auto it = std::find_if(data.histograms.begin(), data.histograms.end(),
                             [&](const MonitorHistogram& x) { return x.name == name; });
      if (it == data.histograms.end()) {
        data.histograms.push_back({name, h->family, {}, 0});
        it = data.histograms.end() - 1;
      }
      if (!it->snapshots.empty() && h->buckets.count < it->snapshots.back().count) ++it->resets;
      // Bounded like a series: past the bound every second snapshot is dropped and later ones
      // are kept one in `stride`, so the snapshots stay evenly spaced over the whole run.
      SeriesSlot& slot = histogram_slots[name];
      if (slot.offered++ % slot.stride != 0) return;
      if (it->snapshots.size() >= std::max<std::size_t>(options.max_points_per_series / 16, 2)) {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < it->snapshots.size(); i += 2) {
          it->snapshots[kept++] = std::move(it->snapshots[i]);
        }
        it->snapshots.resize(kept);
        slot.stride *= 2;
      }
      it->snapshots.push_back({t, h->buckets.buckets, h->buckets.sum, h->buckets.count});
    };
    histogram("ttft", m.ttft);
    histogram("itl", m.itl);
    histogram("e2e", m.e2e);
    histogram("queue_time", m.queue_time);
    last_exposition = std::move(exposition);
  }

  void scraper_loop() {
    for (;;) {
      const auto next = SteadyClock::now() + options.scrape_interval;
      std::unique_lock lock(stop_mutex);
      if (wake.wait_until(lock, next, [this] { return stopping; })) break;
      lock.unlock();
      scrape();
    }
    scrape();  // the run's end
  }
};

ResourceMonitor::ResourceMonitor(MonitorOptions options, TimePoint origin)
    : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  state_->origin = origin;
  state_->data.interval_s = to_seconds(state_->options.interval);
  state_->data.scrape_interval_s = to_seconds(state_->options.scrape_interval);
  state_->open_samplers();
  state_->open_scraper();
}

ResourceMonitor::~ResourceMonitor() {
  if (!state_->stopped) stop();
}

void ResourceMonitor::measure_idle_baseline(Duration duration,
                                            const std::atomic<bool>& stop_early) {
  State& s = *state_;
  if (!s.nvml || duration <= Duration::zero()) return;
  const auto begin = SteadyClock::now();
  std::vector<EnergyCounter> counters(s.nvml->devices().size());
  std::vector<std::vector<double>> power(s.nvml->devices().size());
  auto next = begin;
  double first_t = 0;
  double last_t = 0;
  bool read = false;
  while (SteadyClock::now() - begin < duration && !stop_early.load()) {
    const double t = s.now_s();
    if (!read) first_t = t;
    read = true;
    last_t = t;
    for (std::size_t i = 0; i < s.nvml->devices().size(); ++i) {
      GpuReading r = s.nvml->read(s.nvml->devices()[i].index);
      if (r.energy_j) counters[i].add(t, *r.energy_j);
      if (r.power_w) power[i].push_back(*r.power_w);
    }
    next += s.options.interval;
    std::this_thread::sleep_until(next);
  }
  const double seconds = to_seconds(SteadyClock::now() - begin);
  // Between the first reading and the last, not the wall time (the loop sleeps after the last).
  const double covered = last_t - first_t;
  std::optional<double> watts;
  for (std::size_t i = 0; i < counters.size(); ++i) {
    // The counter's difference where it moved; the mean of the power readings otherwise.
    if (const auto joules = counters[i].joules(); joules && covered > 0 && *joules > 0) {
      watts = watts.value_or(0) + *joules / covered;
    } else if (!power[i].empty()) {
      double sum = 0;
      for (double w : power[i]) sum += w;
      watts = watts.value_or(0) + sum / static_cast<double>(power[i].size());
    }
  }
  std::lock_guard lock(s.mutex);
  s.data.idle_power_w = watts;
  s.data.idle_baseline_s = seconds;
}

void ResourceMonitor::start() {
  State& s = *state_;
  s.scrape();  // the run's start
  s.sampler_thread = std::thread([&s] { s.sampler_loop(); });
  if (s.scraping) s.scraper_thread = std::thread([&s] { s.scraper_loop(); });
}

MonitorData ResourceMonitor::stop() {
  State& s = *state_;
  if (s.stopped.exchange(true)) return {};
  {
    std::lock_guard lock(s.stop_mutex);
    s.stopping = true;
  }
  s.wake.notify_all();
  if (s.sampler_thread.joinable()) s.sampler_thread.join();
  if (s.scraper_thread.joinable()) s.scraper_thread.join();
  std::lock_guard lock(s.mutex);
  MonitorData data = std::move(s.data);
  for (const MonitorSeries& series : data.series) {
    if (!series.name.starts_with("gpu_energy_j.")) continue;
    for (std::size_t i = 1; i < series.points.size(); ++i) {
      if (series.points[i].value < series.points[i - 1].value) ++data.energy_resets;
    }
  }
  if (data.energy_resets > 0) {
    data.warnings.push_back(fmt::format(
        "a GPU energy counter went down {} time(s) (the driver was reloaded?): energy is summed "
        "over the segments between resets",
        data.energy_resets));
  }
  if (s.last_exposition) {
    for (const MetricFamily& family : s.last_exposition->families) {
      RawMetricFamily raw{family.name, std::string(to_string(family.type)), family.help, {}};
      for (const MetricSample& sample : family.samples) {
        RawMetricFamily::Sample out{sample.name, {}, sample.value};
        for (const Label& label : sample.labels) out.labels.emplace_back(label.name, label.value);
        raw.samples.push_back(std::move(out));
      }
      data.families.push_back(std::move(raw));
    }
  }
  return data;
}

std::vector<LiveReading> ResourceMonitor::latest() const {
  std::lock_guard lock(state_->mutex);
  std::vector<LiveReading> readings;
  for (const MonitorSeries& series : state_->data.series) {
    if (series.points.empty()) continue;
    // A counter is shown as its rate: an energy counter's is the power.
    LiveReading reading{series.name, series.counter && series.unit == "J" ? "W" : series.unit,
                        series.points.back().t, series.points.back().value};
    if (series.counter && series.points.size() >= 2) {
      // A counter is shown as its rate over the last two samples.
      const MonitorPoint& a = series.points[series.points.size() - 2];
      const MonitorPoint& b = series.points.back();
      if (b.t <= a.t || b.value < a.value) continue;
      reading.value = (b.value - a.value) / (b.t - a.t);
    } else if (series.counter) {
      continue;
    }
    readings.push_back(std::move(reading));
  }
  return readings;
}

std::vector<MonitorStatus> ResourceMonitor::status() const {
  std::lock_guard lock(state_->mutex);
  return state_->data.status;
}

// --- aggregation -----------------------------------------------------------------------------

namespace {

// A counter's value at `t`, linear between the samples around it; nullopt outside them.
std::optional<double> counter_at(const std::vector<MonitorPoint>& points, double t) {
  if (points.empty() || t < points.front().t || t > points.back().t) return std::nullopt;
  auto after = std::lower_bound(points.begin(), points.end(), t,
                                [](const MonitorPoint& p, double x) { return p.t < x; });
  if (after == points.begin()) return after->value;
  const MonitorPoint& b = *after;
  const MonitorPoint& a = *(after - 1);
  if (b.t <= a.t) return b.value;
  return a.value + (b.value - a.value) * (t - a.t) / (b.t - a.t);
}

// A counter's increase over [t0, t1], with resets handled as the energy counter's are.
std::optional<double> increase_between(const std::vector<MonitorPoint>& points, double t0,
                                       double t1, std::uint32_t* resets = nullptr) {
  EnergyCounter counter;
  double last_t = -std::numeric_limits<double>::infinity();
  for (const MonitorPoint& p : points) {
    if (p.t < last_t) continue;
    counter.add(p.t, p.value);
    last_t = p.t;
  }
  if (resets) *resets = counter.resets();
  return counter.joules_between(t0, t1);
}

// Snapshots are in time order: binary searches, so a day of windows costs O(n log n).
const HistogramSnapshot* last_at_or_before(const MonitorHistogram& h, double t) {
  const auto after = std::upper_bound(h.snapshots.begin(), h.snapshots.end(), t,
                                      [](double x, const HistogramSnapshot& s) { return x < s.t; });
  return after == h.snapshots.begin() ? nullptr : &*(after - 1);
}

const HistogramSnapshot* first_at_or_after(const MonitorHistogram& h, double t) {
  const auto at = std::lower_bound(h.snapshots.begin(), h.snapshots.end(), t,
                                   [](const HistogramSnapshot& s, double x) { return s.t < x; });
  if (at != h.snapshots.end()) return &*at;
  return h.snapshots.empty() ? nullptr : &h.snapshots.back();
}

HistogramBuckets buckets_of(const HistogramSnapshot& s) { return {s.buckets, s.sum, s.count}; }

// The observations between two snapshots; nullopt when they are one (a single scrape says
// nothing about a span) or the counts went down.
std::optional<HistogramBuckets> delta_of(const HistogramSnapshot* later,
                                         const HistogramSnapshot* earlier) {
  if (later == nullptr || earlier == nullptr || earlier == later || later->t <= earlier->t) {
    return std::nullopt;
  }
  return histogram_delta(buckets_of(*later), buckets_of(*earlier));
}

// The bucket holding quantile q: (lower, upper] bounds.
std::optional<std::pair<double, double>> bucket_of(const HistogramBuckets& h, double q) {
  if (h.count <= 0 || h.buckets.empty()) return std::nullopt;
  const double rank = q * h.count;
  double lower = 0;
  for (const auto& [le, cumulative] : h.buckets) {
    if (cumulative >= rank && cumulative > 0) return std::pair(lower, le);
    lower = le;
  }
  return std::pair(lower, std::numeric_limits<double>::infinity());
}

// ∫ value dt over [t0, t1] (trapezoids, the ends interpolated); nullopt unless the samples
// cover the span.
std::optional<double> integrate(const std::vector<MonitorPoint>& points, double t0, double t1) {
  const auto v0 = counter_at(points, t0);
  const auto v1 = counter_at(points, t1);
  if (!v0 || !v1 || t1 <= t0) return std::nullopt;
  double sum = 0;
  double last_t = t0;
  double last_v = *v0;
  for (const MonitorPoint& p : points) {
    if (p.t <= t0 || p.t < last_t) continue;
    if (p.t >= t1) break;
    sum += (p.t - last_t) * (p.value + last_v) / 2;
    last_t = p.t;
    last_v = p.value;
  }
  return sum + (t1 - last_t) * (*v1 + last_v) / 2;
}

std::string latency_label(std::string_view name) {
  if (name == "ttft") return "TTFT";
  if (name == "itl") return "ITL";
  if (name == "e2e") return "E2E latency";
  return "queue time";
}

}  // namespace

std::vector<std::vector<std::pair<std::string, double>>> window_figures(const MonitorData& data,
                                                                        double window_s,
                                                                        std::size_t windows) {
  std::vector<std::vector<std::pair<std::string, double>>> out(windows);
  if (window_s <= 0 || windows == 0) return out;
  std::size_t cores = 0;
  for (const MonitorSeries& series : data.series) {
    if (series.name.starts_with("host_core_percent.")) ++cores;
  }
  const MonitorSeries* hits = data.find("server_prefix_cache_tokens_per_s.hits");
  const MonitorSeries* queries = data.find("server_prefix_cache_tokens_per_s.queries");
  for (const MonitorSeries& series : data.series) {
    if (series.points.empty()) continue;
    // Energy is a figure of the summary; its rate is the power series beside it.
    if (series.name.starts_with("gpu_energy_j.")) continue;
    if (series.name.starts_with("host_core_percent.") && cores > kMaxCoresInWindows) continue;
    if (series.name == "host_memory_bytes.total") continue;
    if (series.counter) {
      for (std::size_t i = 0; i < windows; ++i) {
        const double a = static_cast<double>(i) * window_s;
        const auto v0 = counter_at(series.points, a);
        const auto v1 = counter_at(series.points, a + window_s);
        if (v0 && v1 && *v1 >= *v0) out[i].emplace_back(series.name, (*v1 - *v0) / window_s);
      }
      continue;
    }
    std::vector<double> sum(windows, 0);
    std::vector<std::uint32_t> count(windows, 0);
    for (const MonitorPoint& p : series.points) {
      if (p.t < 0) continue;
      const auto i = static_cast<std::size_t>(p.t / window_s);
      if (i >= windows) continue;
      sum[i] += p.value;
      ++count[i];
    }
    for (std::size_t i = 0; i < windows; ++i) {
      if (count[i] > 0) out[i].emplace_back(series.name, sum[i] / count[i]);
    }
  }
  if (hits && queries) {
    for (std::size_t i = 0; i < windows; ++i) {
      const double a = static_cast<double>(i) * window_s;
      const auto h0 = counter_at(hits->points, a);
      const auto h1 = counter_at(hits->points, a + window_s);
      const auto q0 = counter_at(queries->points, a);
      const auto q1 = counter_at(queries->points, a + window_s);
      if (!h0 || !h1 || !q0 || !q1 || *h1 < *h0) continue;  // a reset: no figure
      const std::optional<double> h = *h1 - *h0;
      const std::optional<double> q = *q1 - *q0;
      if (*q > 0) out[i].emplace_back("server_prefix_cache_hit_percent.tokens", 100 * *h / *q);
    }
  }
  for (const MonitorHistogram& h : data.histograms) {
    const std::string group = "server_" + h.name + "_s.";
    for (std::size_t i = 0; i < windows; ++i) {
      const double a = static_cast<double>(i) * window_s;
      const HistogramSnapshot* begin = last_at_or_before(h, a);
      const HistogramSnapshot* end = last_at_or_before(h, a + window_s);
      if (begin == nullptr || end == nullptr || end == begin) continue;
      const auto delta = histogram_delta(buckets_of(*end), buckets_of(*begin));
      if (!delta || delta->count <= 0) continue;
      if (const auto p50 = histogram_quantile(*delta, 0.5))
        out[i].emplace_back(group + "p50", *p50);
      if (const auto p99 = histogram_quantile(*delta, 0.99))
        out[i].emplace_back(group + "p99", *p99);
    }
  }
  return out;
}

MonitorSummary summarize(const MonitorData& data, double t0, double t1,
                         std::optional<double> output_tokens, std::optional<double> requests) {
  MonitorSummary summary;
  summary.t0 = t0;
  summary.t1 = t1;
  std::optional<double> joules;
  std::uint32_t resets = 0;
  bool every_gpu_covered = true;
  for (const MonitorSeries& series : data.series) {
    ResourceFigure figure{series.name, series.unit, series.source, {}, {}, {}};
    if (series.counter) {
      // The series' unit is its window rate's ("tokens/s"); an increase is a count.
      if (figure.unit.ends_with("/s")) figure.unit.resize(figure.unit.size() - 2);
      if (figure.unit == "1") figure.unit = "count";
      std::uint32_t series_resets = 0;
      figure.increase = increase_between(series.points, t0, t1, &series_resets);
      if (series.name.starts_with("gpu_energy_j.")) {
        resets += series_resets;
        if (figure.increase) {
          joules = joules.value_or(0) + *figure.increase;
        } else {
          every_gpu_covered = false;
        }
      }
    } else {
      double sum = 0;
      double max = -std::numeric_limits<double>::infinity();
      std::size_t n = 0;
      for (const MonitorPoint& p : series.points) {
        if (p.t < t0 || p.t > t1) continue;
        sum += p.value;
        max = std::max(max, p.value);
        ++n;
      }
      if (n == 0) continue;
      figure.mean = sum / static_cast<double>(n);
      figure.max = max;
    }
    if (figure.mean || figure.increase) summary.figures.push_back(std::move(figure));
  }
  // A GPU without an energy counter (before Volta) but with power readings: the power
  // integrated over the span (METRICS.md M36's fallback), and the source says so.
  bool integrated = false;
  for (const MonitorSeries& series : data.series) {
    if (!series.name.starts_with("gpu_power_w.")) continue;
    const std::string gpu = series.name.substr(std::string_view("gpu_power_w.").size());
    if (data.find("gpu_energy_j." + gpu) != nullptr) continue;
    if (const auto j = integrate(series.points, t0, t1)) {
      joules = joules.value_or(0) + *j;
      integrated = true;
    } else {
      every_gpu_covered = false;
    }
  }
  // Every GPU the monitor saw must have given energy or power over the span: the energy of
  // some GPUs is not the run's.
  for (const GpuIdentity& gpu : data.gpus) {
    const std::string name = "gpu" + std::to_string(gpu.index);
    if (data.find("gpu_energy_j." + name) == nullptr &&
        data.find("gpu_power_w." + name) == nullptr) {
      every_gpu_covered = false;
    }
  }
  if (joules && every_gpu_covered && t1 > t0) {
    EnergyFigures energy;
    if (integrated) {
      energy.source =
          "nvml energy counter where the GPU has one, else its power samples integrated over "
          "time (nvmlDeviceGetPowerUsage)";
    }
    energy.joules = *joules;
    energy.seconds = t1 - t0;
    energy.average_power_w = *joules / energy.seconds;
    if (output_tokens && *output_tokens > 0) {
      energy.joules_per_output_token = *joules / *output_tokens;
      if (*joules > 0) energy.output_tokens_per_joule = *output_tokens / *joules;
    }
    if (requests && *requests > 0) energy.joules_per_request = *joules / *requests;
    if (data.idle_power_w) {
      energy.idle_power_w = data.idle_power_w;
      energy.joules_above_idle = *joules - *data.idle_power_w * energy.seconds;
      if (output_tokens && *output_tokens > 0) {
        energy.joules_above_idle_per_output_token = *energy.joules_above_idle / *output_tokens;
      }
    }
    energy.counter_resets = resets;
    summary.energy = energy;
  }
  for (const MonitorHistogram& h : data.histograms) {
    // The scrape before the span (the first, made before the run, when none is) to the first
    // after it: the span's observations, and a little of its edges.
    const HistogramSnapshot* begin = last_at_or_before(h, t0);
    if (begin == nullptr && !h.snapshots.empty()) begin = &h.snapshots.front();
    const HistogramSnapshot* end = first_at_or_after(h, t1);
    const auto delta = delta_of(end, begin);
    if (!delta || delta->count <= 0) continue;
    ServerLatency latency;
    latency.name = h.name;
    latency.family = h.family;
    latency.count = delta->count;
    latency.mean = delta->sum / delta->count;
    latency.p50 = histogram_quantile(*delta, 0.5);
    latency.p90 = histogram_quantile(*delta, 0.9);
    latency.p99 = histogram_quantile(*delta, 0.99);
    latency.p50_bucket = bucket_of(*delta, 0.5);
    latency.p90_bucket = bucket_of(*delta, 0.9);
    latency.p99_bucket = bucket_of(*delta, 0.99);
    // "Too coarse to say anything": the median is only known to be below the first bound
    // (vLLM's ITL buckets start at 10 ms) or above the last. A first bucket of a millisecond
    // or less still says something, and a queue time of about nothing is a finding.
    const bool below_first = latency.p50_bucket && latency.p50_bucket->first == 0 &&
                             latency.p50_bucket->second > kFineFirstBucketS;
    const bool above_last = latency.p50_bucket && std::isinf(latency.p50_bucket->second);
    std::vector<std::string> notes;
    if (h.name != "queue_time" && (below_first || above_last)) {
      notes.push_back(fmt::format(
          "the engine's {} buckets are too coarse to say anything here: its median lies in "
          "[{:g}, {:g}] s",
          latency_label(h.name), latency.p50_bucket->first, latency.p50_bucket->second));
    } else if (latency.p99_bucket && std::isinf(latency.p99_bucket->second)) {
      notes.push_back(fmt::format("its p99 lies above the engine's largest bucket ({:g} s)",
                                  latency.p99_bucket->first));
    }
    // The scrapes around the span (one failed, or none came before it) may leave part of it
    // out: said, never passed off as the span's.
    const double slack = std::max(data.scrape_interval_s, 0.0) * 1.5 + 0.5;
    if (begin->t > t0 + slack || end->t < t1 - slack) {
      notes.push_back(
          fmt::format("the scrapes cover [{:.1f}, {:.1f}] s of the span [{:.1f}, "
                      "{:.1f}] s",
                      begin->t, end->t, t0, t1));
    }
    latency.warning = fmt::format("{}", fmt::join(notes, "; "));
    summary.server_latency.push_back(std::move(latency));
  }
  return summary;
}

}  // namespace llmbench::monitor
