#include "monitor/procfs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <limits>
#include <system_error>
#include <utility>

namespace llmbench::monitor {

namespace {

// /proc files are read whole; none that is read here is near this size, a larger one is not
// what it claims to be.
constexpr std::size_t kMaxProcFileBytes = 4U << 20;
// find_listening_pid's budget: processes and file descriptors looked at before it gives up.
constexpr std::size_t kMaxProcessesScanned = 1U << 17;
constexpr std::size_t kMaxLinksRead = 1U << 21;

// A busy server's TCP tables hold ~150 bytes per connection; the listeners come first.
constexpr std::size_t kMaxTcpTableBytes = 64U << 20;

struct FileText {
  std::string text;
  int error = 0;           // errno when the file could not be read
  bool truncated = false;  // the file went on past the bound
};

FileText read_file(const std::filesystem::path& path, std::size_t max_bytes = kMaxProcFileBytes) {
  FileText result;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    result.error = errno;
    return result;
  }
  std::array<char, 8192> buffer{};
  while (true) {
    if (result.text.size() >= max_bytes) {
      result.truncated = true;
      break;
    }
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      result.error = errno;
      break;
    }
    if (n == 0) break;
    result.text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return result;
}

std::string read_error(const std::filesystem::path& path, int error) {
  // error_code's message, unlike strerror, is safe beside other threads.
  return fmt::format("{}: {}", path.string(),
                     std::error_code(error, std::generic_category()).message());
}

// Splits on spaces and tabs, skipping empty fields.
class Fields {
 public:
  explicit Fields(std::string_view text) : rest_(text) {}
  std::optional<std::string_view> next() {
    std::size_t start = rest_.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
      rest_ = {};
      return std::nullopt;
    }
    rest_.remove_prefix(start);
    std::size_t end = rest_.find_first_of(" \t");
    std::string_view field = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
    return field;
  }

 private:
  std::string_view rest_;
};

std::optional<std::uint64_t> parse_u64(std::string_view text, int base = 10) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
  if (a > std::numeric_limits<std::uint64_t>::max() - b) return std::nullopt;
  return a + b;
}

// Calls fn(line) for each line, the last one also when it lacks its newline.
template <class Fn>
void for_each_line(std::string_view text, Fn fn) {
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!fn(line)) return;
  }
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// One "cpu…" line's counters after the name: user nice system idle iowait irq softirq steal
// (guest and guest_nice are already inside user and nice). Kernels before 2.6.11 give fewer;
// at least the first four are required.
std::optional<CpuTicks> parse_cpu_counters(Fields fields) {
  std::array<std::uint64_t, 8> v{};
  std::size_t n = 0;
  while (n < v.size()) {
    auto field = fields.next();
    if (!field) break;
    auto value = parse_u64(*field);
    if (!value) return std::nullopt;
    v[n++] = *value;
  }
  if (n < 4) return std::nullopt;
  const auto [user, nice, system, idle, iowait, irq, softirq, steal] = v;
  std::optional<std::uint64_t> busy = user;
  for (std::uint64_t part : {nice, system, irq, softirq, steal}) {
    if (busy) busy = checked_add(*busy, part);
  }
  std::optional<std::uint64_t> total = busy;
  for (std::uint64_t part : {idle, iowait}) {
    if (total) total = checked_add(*total, part);
  }
  if (!busy || !total) return std::nullopt;
  return CpuTicks{*busy, *total};
}

std::optional<double> percent(std::uint64_t before_part, std::uint64_t before_whole,
                              std::uint64_t after_part, std::uint64_t after_whole) {
  // A counter that went backwards (a CPU hot-plugged, a VM migrated) has no rate.
  if (after_part < before_part || after_whole <= before_whole) return std::nullopt;
  std::uint64_t part = after_part - before_part;
  std::uint64_t whole = after_whole - before_whole;
  if (part > whole) return std::nullopt;
  return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

Expected<CpuTimes> parse_proc_stat(std::string_view text) {
  CpuTimes times;
  bool have_all = false;
  std::optional<Error> error;
  for_each_line(text, [&](std::string_view line) {
    if (!starts_with(line, "cpu")) return true;
    Fields fields(line);
    std::string_view name = fields.next().value_or("");
    bool is_all = name == "cpu";
    bool is_core = !is_all && parse_u64(name.substr(3)).has_value();
    if (!is_all && !is_core) return true;
    auto ticks = parse_cpu_counters(fields);
    if (!ticks) {
      error = Error{ErrorCode::kProtocol,
                    fmt::format("/proc/stat: malformed line \"{}\"", line.substr(0, 120))};
      return false;
    }
    if (is_all) {
      times.all = *ticks;
      have_all = true;
    } else {
      times.cores.push_back(*ticks);
    }
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  if (!have_all) return make_error(ErrorCode::kProtocol, "/proc/stat: no \"cpu\" line");
  return times;
}

Expected<MemoryInfo> parse_meminfo(std::string_view text) {
  std::optional<double> total;
  std::optional<double> available;
  for_each_line(text, [&](std::string_view line) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return true;
    std::string_view key = line.substr(0, colon);
    if (key != "MemTotal" && key != "MemAvailable") return true;
    Fields fields(line.substr(colon + 1));
    auto number = fields.next();
    auto value = number ? parse_u64(*number) : std::nullopt;
    if (!value) return true;                              // left unset: reported as missing below
    double bytes = static_cast<double>(*value) * 1024.0;  // the kernel writes kB
    (key == "MemTotal" ? total : available) = bytes;
    return true;
  });
  if (!total) return make_error(ErrorCode::kProtocol, "/proc/meminfo: no readable MemTotal");
  if (!available) {
    return make_error(ErrorCode::kProtocol,
                      "/proc/meminfo: no readable MemAvailable (kernel before 3.14?)");
  }
  return MemoryInfo{*total, *available};
}

Expected<NetBytes> parse_net_dev(std::string_view text) {
  NetBytes bytes;
  std::optional<Error> error;
  for_each_line(text, [&](std::string_view line) {
    // "  eth0: 1234 …" (older kernels: "eth0:1234 …"); the two header lines have no colon.
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return true;
    Fields name_field(line.substr(0, colon));
    auto name = name_field.next();
    if (!name || *name == "lo") return true;
    Fields fields(line.substr(colon + 1));
    std::array<std::uint64_t, 9> v{};  // rx: bytes packets errs drop fifo frame compressed
                                       // multicast; tx: bytes
    for (auto& slot : v) {
      auto field = fields.next();
      auto value = field ? parse_u64(*field) : std::nullopt;
      if (!value) {
        error = Error{ErrorCode::kProtocol,
                      fmt::format("/proc/net/dev: malformed line \"{}\"", line.substr(0, 120))};
        return false;
      }
      slot = *value;
    }
    bytes.rx_bytes += static_cast<double>(v[0]);
    bytes.tx_bytes += static_cast<double>(v[8]);
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return bytes;
}

Expected<ProcessTimes> parse_process(std::string_view stat, std::string_view status) {
  // "pid (comm) state ppid …": comm may hold anything, ")" included, so the fields start
  // after the last ")".
  std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos) {
    return make_error(ErrorCode::kProtocol, "/proc/<pid>/stat: no \")\" after the command");
  }
  Fields fields(stat.substr(close + 1));
  // Field numbers as in proc(5): state is 3, utime 14, stime 15, num_threads 20.
  std::optional<std::uint64_t> utime;
  std::optional<std::uint64_t> stime;
  std::optional<std::uint64_t> threads;
  for (int number = 3; number <= 20; ++number) {
    auto field = fields.next();
    if (!field) break;
    if (number == 14) utime = parse_u64(*field);
    if (number == 15) stime = parse_u64(*field);
    if (number == 20) threads = parse_u64(*field);
  }
  if (!utime || !stime || !threads) {
    return make_error(ErrorCode::kProtocol,
                      "/proc/<pid>/stat: utime, stime or num_threads missing or malformed");
  }
  auto ticks = checked_add(*utime, *stime);
  if (!ticks || *threads > std::numeric_limits<std::uint32_t>::max()) {
    return make_error(ErrorCode::kProtocol, "/proc/<pid>/stat: counter out of range");
  }
  ProcessTimes times;
  times.cpu_ticks = *ticks;
  times.threads = static_cast<std::uint32_t>(*threads);
  // VmRSS is absent for kernel threads and zombies, which have no memory of their own: 0.
  bool malformed_rss = false;
  for_each_line(status, [&](std::string_view line) {
    if (!starts_with(line, "VmRSS:")) return true;
    Fields rss_fields(line.substr(6));
    auto number = rss_fields.next();
    auto kb = number ? parse_u64(*number) : std::nullopt;
    if (kb) {
      times.rss_bytes = static_cast<double>(*kb) * 1024.0;
    } else {
      malformed_rss = true;
    }
    return false;
  });
  if (malformed_rss) return make_error(ErrorCode::kProtocol, "/proc/<pid>/status: bad VmRSS");
  return times;
}

HostSampler::HostSampler(std::filesystem::path proc_root) : root_(std::move(proc_root)) {}

namespace {

// Reads `path` and parses it whole; nullopt with an error line when either fails.
template <class Parse>
auto read_and_parse(const std::filesystem::path& path, Parse parse,
                    std::vector<std::string>& errors)
    -> std::optional<typename decltype(parse(std::string_view()))::value_type> {
  FileText file = read_file(path);
  if (file.error != 0) {
    errors.push_back(read_error(path, file.error));
    return std::nullopt;
  }
  if (file.truncated) {
    errors.push_back(fmt::format("{}: larger than {} bytes", path.string(), kMaxProcFileBytes));
    return std::nullopt;
  }
  auto parsed = parse(file.text);
  if (!parsed) {
    errors.push_back(parsed.error().message);
    return std::nullopt;
  }
  return std::move(*parsed);
}

}  // namespace

HostReading HostSampler::sample(double now_s) {
  HostReading reading;
  double interval = now_s - last_t_;

  std::optional<CpuTimes> cpu = read_and_parse(root_ / "stat", parse_proc_stat, reading.errors);
  if (cpu) {
    reading.core_percent.assign(cpu->cores.size(), std::nullopt);
    if (last_cpu_) {
      reading.cpu_percent =
          percent(last_cpu_->all.busy, last_cpu_->all.total, cpu->all.busy, cpu->all.total);
      if (last_cpu_->cores.size() == cpu->cores.size()) {
        for (std::size_t i = 0; i < cpu->cores.size(); ++i) {
          const CpuTicks& before = last_cpu_->cores[i];
          const CpuTicks& after = cpu->cores[i];
          reading.core_percent[i] = percent(before.busy, before.total, after.busy, after.total);
        }
      } else {
        reading.errors.push_back(fmt::format("/proc/stat: {} cores listed, {} before",
                                             cpu->cores.size(), last_cpu_->cores.size()));
      }
    }
  }
  // A failed read leaves no previous value, so no rate spans a gap of unknown length.
  last_cpu_ = std::move(cpu);

  if (auto memory = read_and_parse(root_ / "meminfo", parse_meminfo, reading.errors)) {
    reading.memory_total_bytes = memory->total_bytes;
    reading.memory_used_bytes = memory->used_bytes();
  }

  std::optional<NetBytes> net =
      read_and_parse(root_ / "net" / "dev", parse_net_dev, reading.errors);
  if (net && last_net_ && interval > 0) {
    // Counters of an interface that went away make the sum drop: no rate then.
    if (net->rx_bytes >= last_net_->rx_bytes) {
      reading.net_rx_bytes_per_s = (net->rx_bytes - last_net_->rx_bytes) / interval;
    }
    if (net->tx_bytes >= last_net_->tx_bytes) {
      reading.net_tx_bytes_per_s = (net->tx_bytes - last_net_->tx_bytes) / interval;
    }
  }
  last_net_ = net;
  last_t_ = now_s;
  return reading;
}

ProcessSampler::ProcessSampler(pid_t pid, std::filesystem::path proc_root)
    : pid_(pid), root_(std::move(proc_root)), ticks_per_second_(sysconf(_SC_CLK_TCK)) {
  if (ticks_per_second_ <= 0) ticks_per_second_ = 100;  // USER_HZ on every Linux port
}

ProcessReading ProcessSampler::sample(double now_s) {
  ProcessReading reading;
  std::filesystem::path dir = root_ / std::to_string(pid_);
  FileText stat = read_file(dir / "stat");
  if (stat.error == ENOENT || stat.error == ESRCH) {
    reading.exited = true;
    last_ticks_.reset();
    return reading;
  }
  if (stat.error != 0) {
    reading.errors.push_back(read_error(dir / "stat", stat.error));
    last_ticks_.reset();
    return reading;
  }
  FileText status = read_file(dir / "status");
  if (status.error == ENOENT || status.error == ESRCH) {
    reading.exited = true;  // gone between the two reads
    last_ticks_.reset();
    return reading;
  }
  if (status.error != 0) reading.errors.push_back(read_error(dir / "status", status.error));
  auto times = parse_process(stat.text, status.text);
  if (!times) {
    reading.errors.push_back(fmt::format("pid {}: {}", pid_, times.error().message));
    last_ticks_.reset();
    return reading;
  }
  if (status.error == 0) reading.rss_bytes = times->rss_bytes;
  reading.threads = times->threads;
  double interval = now_s - last_t_;
  if (last_ticks_ && interval > 0) {
    if (times->cpu_ticks >= *last_ticks_) {
      double seconds = static_cast<double>(times->cpu_ticks - *last_ticks_) /
                       static_cast<double>(ticks_per_second_);
      reading.cpu_percent = 100.0 * seconds / interval;
    } else {
      reading.errors.push_back(
          fmt::format("pid {}: CPU time went backwards (another process took the pid?)", pid_));
    }
  }
  last_ticks_ = times->cpu_ticks;
  last_t_ = now_s;
  return reading;
}

namespace {

// The inodes of LISTEN sockets on `port` in one /proc/net/tcp or tcp6 file:
//   "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid
//    timeout inode", local_address "0100007F:1F90" (tcp6: 32 hex digits), st "0A" = LISTEN.
void listening_inodes(std::string_view text, std::uint16_t port,
                      std::vector<std::uint64_t>& inodes) {
  for_each_line(text, [&](std::string_view line) {
    Fields fields(line);
    std::array<std::string_view, 10> f{};
    for (auto& slot : f) {
      auto field = fields.next();
      if (!field) return true;  // the header or a truncated line
      slot = *field;
    }
    if (f[3] != "0A") return true;
    std::size_t colon = f[1].rfind(':');
    if (colon == std::string_view::npos) return true;
    auto local_port = parse_u64(f[1].substr(colon + 1), 16);
    auto inode = parse_u64(f[9]);
    if (local_port && *local_port == port && inode && *inode != 0) inodes.push_back(*inode);
    return true;
  });
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::optional<pid_t> find_listening_pid(std::uint16_t port, std::string* why,
                                        const std::filesystem::path& proc_root) {
  auto say = [why](std::string text) {
    if (why != nullptr) *why = std::move(text);
  };
  std::vector<std::uint64_t> inodes;
  std::vector<std::string> unreadable;
  bool truncated = false;
  for (const char* name : {"tcp", "tcp6"}) {
    std::filesystem::path path = proc_root / "net" / name;
    FileText table = read_file(path, kMaxTcpTableBytes);
    if (table.error != 0) {
      unreadable.push_back(read_error(path, table.error));
      continue;
    }
    truncated = truncated || table.truncated;
    listening_inodes(table.text, port, inodes);
  }
  if (inodes.empty()) {
    if (unreadable.size() == 2) {
      say(fmt::format("cannot read the TCP tables: {}; {}", unreadable[0], unreadable[1]));
    } else {
      say(fmt::format("no process listens on TCP port {} (per {}{})", port,
                      (proc_root / "net" / "tcp[6]").string(),
                      truncated ? ", read only in part: larger than 64 MiB" : ""));
    }
    return std::nullopt;
  }

  std::vector<std::string> wanted;
  wanted.reserve(inodes.size());
  for (std::uint64_t inode : inodes) wanted.push_back(fmt::format("socket:[{}]", inode));

  std::error_code ec;
  std::filesystem::directory_iterator processes(proc_root, ec);
  if (ec) {
    say(fmt::format("a socket listens on TCP port {} but {} cannot be listed: {}", port,
                    proc_root.string(), ec.message()));
    return std::nullopt;
  }
  std::size_t scanned = 0;
  std::size_t links = 0;
  std::size_t hidden = 0;  // fd directories that could not be read
  bool budget_spent = false;
  for (auto it = processes; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::string name = it->path().filename().string();
    if (!all_digits(name)) continue;
    if (++scanned > kMaxProcessesScanned) {
      budget_spent = true;
      break;
    }
    std::error_code fd_ec;
    std::filesystem::directory_iterator fds(it->path() / "fd", fd_ec);
    if (fd_ec) {
      // Another user's process (EACCES), or one that exited while listed (ENOENT).
      if (fd_ec != std::errc::no_such_file_or_directory) ++hidden;
      continue;
    }
    for (auto fd = fds; fd != std::filesystem::directory_iterator(); fd.increment(fd_ec)) {
      if (fd_ec) break;
      if (++links > kMaxLinksRead) {
        budget_spent = true;
        break;
      }
      std::error_code link_ec;
      std::filesystem::path target = std::filesystem::read_symlink(fd->path(), link_ec);
      if (link_ec) continue;
      const std::string& text = target.native();
      for (const std::string& socket : wanted) {
        if (text == socket) {
          auto pid = parse_u64(name);
          if (pid && *pid <= static_cast<std::uint64_t>(std::numeric_limits<pid_t>::max())) {
            return static_cast<pid_t>(*pid);
          }
        }
      }
    }
    if (budget_spent) break;
  }
  if (budget_spent) {
    say(
        fmt::format("a socket listens on TCP port {}; its owner was not found within {} "
                    "processes / {} descriptors",
                    port, kMaxProcessesScanned, kMaxLinksRead));
  } else if (hidden > 0) {
    say(
        fmt::format("a socket listens on TCP port {} but its owner is not visible: the file "
                    "descriptors of {} processes could not be read (another user's; run as "
                    "that user or root)",
                    port, hidden));
  } else {
    say(
        fmt::format("a socket listens on TCP port {} but no process in {} holds it (another "
                    "PID namespace?)",
                    port, proc_root.string()));
  }
  return std::nullopt;
}

std::string process_name(pid_t pid, const std::filesystem::path& proc_root) {
  FileText comm = read_file(proc_root / std::to_string(pid) / "comm");
  if (comm.error != 0) return "";
  std::string& name = comm.text;
  while (!name.empty() && (name.back() == '\n' || name.back() == '\0')) name.pop_back();
  return name;
}

}  // namespace llmbench::monitor
