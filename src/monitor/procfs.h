#pragma once
// The host and a local engine process from /proc (Linux): CPU per core and in total, memory,
// network bytes; a process's CPU, resident memory and threads; the process listening on a TCP
// port. Every reader takes the /proc root so tests read fixture trees. A file that cannot be
// read gives nullopt figures and an error line, never a crash.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace llmbench::monitor {

// /proc/stat "cpu" lines, in clock ticks.
struct CpuTicks {
  std::uint64_t busy = 0;   // user + nice + system + irq + softirq + steal
  std::uint64_t total = 0;  // busy + idle + iowait
};
struct CpuTimes {
  CpuTicks all;
  std::vector<CpuTicks> cores;  // cpu0, cpu1, … in order
};
Expected<CpuTimes> parse_proc_stat(std::string_view text);

struct MemoryInfo {
  double total_bytes = 0, available_bytes = 0;  // MemTotal, MemAvailable (kB × 1024)
  [[nodiscard]] double used_bytes() const { return total_bytes - available_bytes; }
};
Expected<MemoryInfo> parse_meminfo(std::string_view text);

// /proc/net/dev: received and sent bytes summed over every interface but `lo`.
struct NetBytes {
  double rx_bytes = 0, tx_bytes = 0;
};
Expected<NetBytes> parse_net_dev(std::string_view text);

// /proc/<pid>/stat and /proc/<pid>/status.
struct ProcessTimes {
  std::uint64_t cpu_ticks = 0;  // utime + stime
  std::uint32_t threads = 0;
  double rss_bytes = 0;  // from status VmRSS
};
// `stat` is /proc/<pid>/stat (the command name may hold spaces and parentheses), `status` is
// /proc/<pid>/status.
Expected<ProcessTimes> parse_process(std::string_view stat, std::string_view status);

// One host reading, as rates over the interval since the previous one.
struct HostReading {
  std::optional<double> cpu_percent;  // all cores: 100 × busy/total over the interval
  std::vector<std::optional<double>> core_percent;  // per core, same
  std::optional<double> memory_used_bytes, memory_total_bytes;
  std::optional<double> net_rx_bytes_per_s, net_tx_bytes_per_s;
  std::vector<std::string> errors;
};
struct ProcessReading {
  std::optional<double> cpu_percent;  // of one core: 100 × ticks/(ticks per s × interval)
  std::optional<double> rss_bytes;
  std::optional<double> threads;
  bool exited = false;  // the process is gone
  std::vector<std::string> errors;
};

// Samples the host; the first sample() has no rates (nullopt), each later one the rates since
// the one before. `now_s` is the caller's monotonic time in seconds.
class HostSampler {
 public:
  explicit HostSampler(std::filesystem::path proc_root = "/proc");
  HostReading sample(double now_s);

 private:
  std::filesystem::path root_;
  std::optional<CpuTimes> last_cpu_;
  std::optional<NetBytes> last_net_;
  double last_t_ = 0;
};

class ProcessSampler {
 public:
  ProcessSampler(pid_t pid, std::filesystem::path proc_root = "/proc");
  ProcessReading sample(double now_s);
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
  std::filesystem::path root_;
  std::optional<std::uint64_t> last_ticks_;
  double last_t_ = 0;
  long ticks_per_second_;
};

// The process listening on TCP `port` (IPv4 or IPv6, any address): the LISTEN socket's inode
// in <root>/net/tcp and tcp6, then the <root>/<pid>/fd link naming socket:[inode]. nullopt
// when no listener is found or its owner cannot be seen (another user's process without
// privileges); `why` then says which.
std::optional<pid_t> find_listening_pid(std::uint16_t port, std::string* why = nullptr,
                                        const std::filesystem::path& proc_root = "/proc");

// The command name of a process (/proc/<pid>/comm), or "".
std::string process_name(pid_t pid, const std::filesystem::path& proc_root = "/proc");

}  // namespace llmbench::monitor
