// What the monitors cost the client (issue 13: sampling at 10 Hz costs less than 1 % of a core).
// Runs a ResourceMonitor in this process for SECONDS per configuration while the main thread
// sleeps, and reports the process's CPU time over the wall time, as % of one core: the
// monitors' threads are the only ones working. The simulator whose /metrics is scraped runs on
// a thread of its own, whose CPU time (the engine's side of a scrape) is taken out.
//
//   monitor_overhead [SECONDS (10)] [NVML_LIBRARY (libnvidia-ml.so.1)]
//
// Each configuration runs 3 times; the median is reported (the machine is shared).

#include <fmt/format.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "monitor/resource_monitor.h"
#include "net/url.h"
#include "sim/sim_server.h"

namespace {

using namespace llmbench;

double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double thread_cpu_seconds(std::thread& thread) {
  clockid_t clock{};
  if (pthread_getcpuclockid(thread.native_handle(), &clock) != 0) return 0;
  timespec t{};
  ::clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

struct Config {
  std::string name;
  Duration interval;
  bool gpu, host, process, scrape;
};

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10;
  const std::string nvml = argc > 2 ? argv[2] : "libnvidia-ml.so.1";

  boost::asio::io_context io;
  sim::SimOptions sim_options;
  sim_options.dialect = sim::Dialect::kVllm;
  sim::SimServer server(io, sim_options);
  const auto port = server.start();
  if (!port) {
    fmt::print(stderr, "cannot start the simulator: {}\n", port.error().message);
    return 1;
  }
  std::thread sim_thread([&io] { io.run(); });
  const net::Url metrics = *net::parse_url(fmt::format("http://127.0.0.1:{}/metrics", *port));

  const std::vector<Config> configs = {
      {"host + process @ 10 Hz", std::chrono::milliseconds(100), false, true, true, false},
      {"GPU + host + process @ 10 Hz", std::chrono::milliseconds(100), true, true, true, false},
      {"GPU + host + process @ 10 Hz, /metrics @ 1 Hz", std::chrono::milliseconds(100), true, true,
       true, true},
      {"everything @ 100 Hz, /metrics @ 10 Hz", std::chrono::milliseconds(10), true, true, true,
       true},
  };
  fmt::print("monitor overhead: {:g} s per run, median of 3, % of one core (NVML: {})\n", seconds,
             nvml);
  for (const Config& config : configs) {
    std::vector<double> percents;
    std::string gpu_status;
    for (int repeat = 0; repeat < 3; ++repeat) {
      monitor::MonitorOptions options;
      options.interval = config.interval;
      options.gpu = config.gpu;
      options.nvml_library = nvml;
      options.host = config.host;
      if (config.process) options.engine_pid = ::getpid();
      if (config.scrape) {
        options.metrics_url = metrics;
        options.engine = "vllm";
        options.scrape_interval = config.interval == std::chrono::milliseconds(10)
                                      ? std::chrono::milliseconds(100)
                                      : std::chrono::seconds(1);
      }
      monitor::ResourceMonitor monitors(options, SteadyClock::now());
      for (const MonitorStatus& s : monitors.status()) {
        if (s.monitor == "gpu") gpu_status = s.detail;
      }
      const double cpu0 = process_cpu_seconds();
      const double sim0 = thread_cpu_seconds(sim_thread);
      const auto wall0 = SteadyClock::now();
      monitors.start();
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      const MonitorData data = monitors.stop();
      const double wall = to_seconds(SteadyClock::now() - wall0);
      const double cpu = process_cpu_seconds() - cpu0 - (thread_cpu_seconds(sim_thread) - sim0);
      percents.push_back(100 * cpu / wall);
      if (repeat == 0) {
        std::size_t points = 0;
        for (const MonitorSeries& s : data.series) points += s.points.size();
        fmt::print("  {:<48} {} series, {} samples, {} scrapes\n", config.name, data.series.size(),
                   points, data.scrapes);
      }
    }
    std::sort(percents.begin(), percents.end());
    fmt::print("  {:<48} {:.3f} % of a core (runs {:.3f} / {:.3f} / {:.3f}){}\n", config.name,
               percents[1], percents[0], percents[1], percents[2],
               config.gpu ? " [" + gpu_status + "]" : "");
  }
  server.stop();
  io.stop();
  sim_thread.join();
  return 0;
}
