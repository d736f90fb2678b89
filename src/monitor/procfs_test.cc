#include "monitor/procfs.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench::monitor {
namespace {

namespace fs = std::filesystem;

// Samples as a 5.15 kernel writes them.
constexpr std::string_view kProcStat =
    "cpu  4705 356 584 3699176 23 0 5 7 0 0\n"
    "cpu0 1393 280 290 1846392 12 0 3 4 0 0\n"
    "cpu1 3312 76 294 1852784 11 0 2 3 0 0\n"
    "intr 114930548 113199788 3 0 5 263 0 4 [... 1000 more]\n"
    "ctxt 1990473\n"
    "btime 1062191376\n"
    "processes 2915\n"
    "procs_running 1\n"
    "procs_blocked 0\n"
    "softirq 183433 0 21755 12 39 1137 231 21459 2263\n";

constexpr std::string_view kMeminfo =
    "MemTotal:       16314324 kB\n"
    "MemFree:         1010168 kB\n"
    "MemAvailable:    9876543 kB\n"
    "Buffers:          437652 kB\n"
    "Cached:          8201612 kB\n"
    "HugePages_Total:       0\n"
    "Hugepagesize:       2048 kB\n";

constexpr std::string_view kNetDev =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo: 9999999   10000    0    0    0     0          0         0  9999999   10000    0 "
    "   0    0     0       0          0\n"
    "  eth0: 1000000    2000    0    0    0     0          0         0   500000    1500    0 "
    "   0    0     0       0          0\n"
    "  eth1:   24000      30    0    0    0     0          0         0     4000      20    0 "
    "   0    0     0       0          0\n";

// /proc/<pid>/stat of a process whose comm is "a) (b": the fields start after the last ')'.
// utime 150, stime 50, num_threads 7.
constexpr std::string_view kPidStat =
    "4242 (a) (b) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 50 0 0 20 0 7 0 12345 "
    "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

constexpr std::string_view kPidStatus =
    "Name:\ta) (b\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Pid:\t4242\n"
    "VmPeak:\t  300000 kB\n"
    "VmRSS:\t    8192 kB\n"
    "Threads:\t7\n";

TEST(ProcStat, ParsesTotalAndCores) {
  auto times = parse_proc_stat(kProcStat);
  ASSERT_TRUE(times.has_value()) << times.error().message;
  // busy = user + nice + system + irq + softirq + steal; total = busy + idle + iowait.
  EXPECT_EQ(times->all.busy, 4705U + 356 + 584 + 0 + 5 + 7);
  EXPECT_EQ(times->all.total, times->all.busy + 3699176 + 23);
  ASSERT_EQ(times->cores.size(), 2U);
  EXPECT_EQ(times->cores[0].busy, 1393U + 280 + 290 + 3 + 4);
  EXPECT_EQ(times->cores[1].total, 3312U + 76 + 294 + 2 + 3 + 1852784 + 11);
}

TEST(ProcStat, OldKernelWithFourCounters) {
  auto times = parse_proc_stat("cpu 10 20 30 40\ncpu0 10 20 30 40\n");
  ASSERT_TRUE(times.has_value());
  EXPECT_EQ(times->all.busy, 60U);
  EXPECT_EQ(times->all.total, 100U);
}

TEST(ProcStat, EveryTruncationIsAnErrorOrAValueNeverACrash) {
  for (std::size_t cut = 0; cut <= kProcStat.size(); ++cut) {
    auto times = parse_proc_stat(kProcStat.substr(0, cut));
    if (times) {
      EXPECT_LE(times->cores.size(), 2U);
    }
  }
}

TEST(ProcStat, HostileContent) {
  EXPECT_FALSE(parse_proc_stat("").has_value());
  EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n").has_value());    // no cpu line
  EXPECT_FALSE(parse_proc_stat("cpu 1 2 x 4\n").has_value());   // not a number
  EXPECT_FALSE(parse_proc_stat("cpu 1 2\n").has_value());       // too few counters
  EXPECT_FALSE(parse_proc_stat("cpu -1 2 3 4\n").has_value());  // negative
  EXPECT_FALSE(parse_proc_stat("cpu 99999999999999999999999 2 3 4\n").has_value());  // > 2^64
  // Sums past 2^64 are refused rather than wrapped.
  EXPECT_FALSE(parse_proc_stat("cpu 18446744073709551615 18446744073709551615 0 0\n").has_value());
  // A line that only starts like one is ignored.
  auto times = parse_proc_stat("cpufreq x\ncpu 1 2 3 4\n");
  ASSERT_TRUE(times.has_value());
  EXPECT_TRUE(times->cores.empty());
}

TEST(Meminfo, Parses) {
  auto memory = parse_meminfo(kMeminfo);
  ASSERT_TRUE(memory.has_value()) << memory.error().message;
  EXPECT_EQ(memory->total_bytes, 16314324.0 * 1024);
  EXPECT_EQ(memory->available_bytes, 9876543.0 * 1024);
  EXPECT_EQ(memory->used_bytes(), (16314324.0 - 9876543.0) * 1024);
}

TEST(Meminfo, HostileContent) {
  EXPECT_FALSE(parse_meminfo("").has_value());
  EXPECT_FALSE(parse_meminfo("MemTotal: 100 kB\n").has_value());  // no MemAvailable
  EXPECT_FALSE(parse_meminfo("MemTotal: kB\nMemAvailable: 5 kB\n").has_value());
  EXPECT_FALSE(parse_meminfo("MemTotal: -3 kB\nMemAvailable: 5 kB\n").has_value());
  EXPECT_TRUE(parse_meminfo("MemTotal:1\nMemAvailable:1").has_value());  // no unit, no newline
  for (std::size_t cut = 0; cut <= kMeminfo.size(); ++cut)
    (void)parse_meminfo(kMeminfo.substr(0, cut));
}

TEST(NetDev, SumsEveryInterfaceButLoopback) {
  auto bytes = parse_net_dev(kNetDev);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
  EXPECT_EQ(bytes->rx_bytes, 1000000.0 + 24000);
  EXPECT_EQ(bytes->tx_bytes, 500000.0 + 4000);
}

TEST(NetDev, OldFormatWithoutSpaceAfterTheColon) {
  auto bytes = parse_net_dev("eth0:100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->rx_bytes, 100.0);
  EXPECT_EQ(bytes->tx_bytes, 200.0);
}

TEST(NetDev, HostileContent) {
  EXPECT_FALSE(parse_net_dev("eth0: 1 2 3\n").has_value());  // truncated line
  EXPECT_FALSE(parse_net_dev("eth0: 1 2 3 4 5 6 7 8 x 0\n").has_value());
  auto none = parse_net_dev("");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->rx_bytes, 0.0);
  for (std::size_t cut = 0; cut <= kNetDev.size(); ++cut)
    (void)parse_net_dev(kNetDev.substr(0, cut));
}

TEST(ProcessStat, CommWithSpacesAndParentheses) {
  auto times = parse_process(kPidStat, kPidStatus);
  ASSERT_TRUE(times.has_value()) << times.error().message;
  EXPECT_EQ(times->cpu_ticks, 200U);
  EXPECT_EQ(times->threads, 7U);
  EXPECT_EQ(times->rss_bytes, 8192.0 * 1024);
}

TEST(ProcessStat, KernelThreadHasNoRss) {
  auto times = parse_process(kPidStat, "Name:\tkworker/0:1\nThreads:\t1\n");
  ASSERT_TRUE(times.has_value());
  EXPECT_EQ(times->rss_bytes, 0.0);
}

TEST(ProcessStat, HostileContent) {
  EXPECT_FALSE(parse_process("", "").has_value());
  EXPECT_FALSE(parse_process("4242 (no closing paren S 1 2 3", kPidStatus).has_value());
  EXPECT_FALSE(parse_process("4242 (x)", kPidStatus).has_value());
  EXPECT_FALSE(parse_process("4242 (x) S 1 2 3 4 5 6 7 8 9 10 11 12", kPidStatus).has_value());
  EXPECT_FALSE(parse_process("1 (x) S 1 1 1 0 -1 0 0 0 0 0 99999999999999999999999 1 0 0 20 0 1 0",
                             kPidStatus)
                   .has_value());
  EXPECT_FALSE(parse_process("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 99999999999 0", "")
                   .has_value());  // threads past 2^32
  EXPECT_FALSE(parse_process(kPidStat, "VmRSS:\tlots kB\n").has_value());
  for (std::size_t cut = 0; cut <= kPidStat.size(); ++cut) {
    auto times = parse_process(kPidStat.substr(0, cut), kPidStatus);
    if (times) {
      EXPECT_EQ(times->cpu_ticks, 200U);
    }
  }
  for (std::size_t cut = 0; cut <= kPidStatus.size(); ++cut) {
    (void)parse_process(kPidStat, kPidStatus.substr(0, cut));
  }
}

// A /proc-like tree under the temporary directory, removed at the end of the test.
class FakeProc {
 public:
  FakeProc() {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("llmbench-procfs-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(root_ / "net");
  }
  FakeProc(const FakeProc&) = delete;
  FakeProc& operator=(const FakeProc&) = delete;
  ~FakeProc() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  void write(const fs::path& relative, std::string_view text) const {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative, std::ios::binary | std::ios::trunc) << text;
  }
  [[nodiscard]] const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

std::string net_dev_with(std::uint64_t rx, std::uint64_t tx) {
  return "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n"
         "    lo: 777 1 0 0 0 0 0 0 777 1 0 0 0 0 0 0\n"
         "  eth0: " +
         std::to_string(rx) + " 1 0 0 0 0 0 0 " + std::to_string(tx) + " 1 0 0 0 0 0 0\n";
}

TEST(HostSampler, RatesOverTheIntervalBetweenTwoSamples) {
  FakeProc proc;
  proc.write("stat",
             "cpu  100 0 100 800 0 0 0 0 0 0\n"
             "cpu0 50 0 50 400 0 0 0 0 0 0\n"
             "cpu1 50 0 50 400 0 0 0 0 0 0\n");
  proc.write("meminfo", kMeminfo);
  proc.write("net/dev", net_dev_with(10000, 4000));
  HostSampler sampler(proc.root());
  HostReading first = sampler.sample(100.0);
  EXPECT_TRUE(first.errors.empty()) << first.errors.front();
  EXPECT_FALSE(first.cpu_percent.has_value());
  ASSERT_EQ(first.core_percent.size(), 2U);
  EXPECT_FALSE(first.core_percent[0].has_value());
  EXPECT_FALSE(first.net_rx_bytes_per_s.has_value());
  EXPECT_EQ(first.memory_total_bytes, 16314324.0 * 1024);  // memory needs no interval
  EXPECT_EQ(first.memory_used_bytes, (16314324.0 - 9876543.0) * 1024);

  // All: busy +50 of total +100. cpu0: busy +40 of +50; cpu1: busy +10 of +50.
  proc.write("stat",
             "cpu  130 10 110 850 0 0 0 0 0 0\n"
             "cpu0 80 0 60 410 0 0 0 0 0 0\n"
             "cpu1 50 10 50 440 0 0 0 0 0 0\n");
  proc.write("net/dev", net_dev_with(10000 + 2048, 4000 + 512));
  HostReading second = sampler.sample(102.0);
  EXPECT_TRUE(second.errors.empty()) << second.errors.front();
  EXPECT_EQ(second.cpu_percent, 50.0);
  ASSERT_EQ(second.core_percent.size(), 2U);
  EXPECT_EQ(second.core_percent[0], 80.0);
  EXPECT_EQ(second.core_percent[1], 20.0);
  EXPECT_EQ(second.net_rx_bytes_per_s, 1024.0);  // +2048 B over 2 s
  EXPECT_EQ(second.net_tx_bytes_per_s, 256.0);
}

TEST(HostSampler, MissingFilesAreErrorLinesNotCrashes) {
  FakeProc proc;
  HostSampler sampler(proc.root());
  HostReading reading = sampler.sample(1.0);
  EXPECT_EQ(reading.errors.size(), 3U);
  EXPECT_FALSE(reading.memory_total_bytes.has_value());
  proc.write("stat", "garbage\n");
  proc.write("meminfo", "MemTotal: 1 kB\n");
  proc.write("net/dev", "eth0: 1\n");
  reading = sampler.sample(2.0);
  EXPECT_EQ(reading.errors.size(), 3U);
  EXPECT_FALSE(reading.cpu_percent.has_value());
}

TEST(HostSampler, CountersGoingBackwardsGiveNoRate) {
  FakeProc proc;
  proc.write("stat", "cpu 100 0 100 800\ncpu0 100 0 100 800\n");
  proc.write("meminfo", kMeminfo);
  proc.write("net/dev", net_dev_with(5000, 5000));
  HostSampler sampler(proc.root());
  (void)sampler.sample(0.0);
  proc.write("stat", "cpu 10 0 10 80\ncpu0 10 0 10 80\ncpu1 1 1 1 1\n");  // and a new core
  proc.write("net/dev", net_dev_with(100, 6000));
  HostReading reading = sampler.sample(1.0);
  EXPECT_FALSE(reading.cpu_percent.has_value());
  EXPECT_EQ(reading.core_percent.size(), 2U);
  EXPECT_FALSE(reading.core_percent[0].has_value());
  EXPECT_FALSE(reading.net_rx_bytes_per_s.has_value());
  EXPECT_EQ(reading.net_tx_bytes_per_s, 1000.0);
}

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

TEST(ProcessSampler, OwnProcess) {
  ProcessSampler sampler(getpid());
  EXPECT_EQ(sampler.pid(), getpid());
  ProcessReading first = sampler.sample(monotonic_seconds());
  EXPECT_FALSE(first.exited);
  EXPECT_TRUE(first.errors.empty()) << first.errors.front();
  EXPECT_FALSE(first.cpu_percent.has_value());
  // Spin until this thread has had 0.2 s of CPU (10 s of wall time at most): on a busy machine
  // a fixed wall-clock spin may get too little CPU to reach one clock tick.
  volatile std::uint64_t sink = 0;
  double wall_start = monotonic_seconds();
  double cpu_start = thread_cpu_seconds();
  while (thread_cpu_seconds() - cpu_start < 0.2 && monotonic_seconds() - wall_start < 10) {
    sink = sink + 1;
  }
  ProcessReading second = sampler.sample(monotonic_seconds());
  EXPECT_FALSE(second.exited);
  EXPECT_TRUE(second.errors.empty()) << second.errors.front();
  ASSERT_TRUE(second.cpu_percent.has_value());
  EXPECT_GT(*second.cpu_percent, 0.0);
  ASSERT_TRUE(second.rss_bytes.has_value());
  EXPECT_GT(*second.rss_bytes, 0.0);
  ASSERT_TRUE(second.threads.has_value());
  EXPECT_GE(*second.threads, 1.0);
  EXPECT_FALSE(process_name(getpid()).empty());
}

TEST(ProcessSampler, GoneProcessHasExited) {
  FakeProc proc;  // no <pid> directory in it
  ProcessSampler sampler(4242, proc.root());
  ProcessReading reading = sampler.sample(1.0);
  EXPECT_TRUE(reading.exited);
  EXPECT_FALSE(reading.cpu_percent.has_value());
  EXPECT_EQ(process_name(4242, proc.root()), "");
}

TEST(ProcessSampler, FixtureProcessRatesAndExit) {
  FakeProc proc;
  proc.write("4242/stat", kPidStat);  // 200 ticks
  proc.write("4242/status", kPidStatus);
  proc.write("4242/comm", "a) (b\n");
  ProcessSampler sampler(4242, proc.root());
  ProcessReading first = sampler.sample(10.0);
  EXPECT_EQ(first.rss_bytes, 8192.0 * 1024);
  EXPECT_EQ(first.threads, 7.0);
  EXPECT_EQ(process_name(4242, proc.root()), "a) (b");
  std::string later(kPidStat);
  later.replace(later.find(" 150 50 "), 8, " 250 50 ");  // +100 ticks
  proc.write("4242/stat", later);
  ProcessReading second = sampler.sample(12.0);
  ASSERT_TRUE(second.cpu_percent.has_value());
  double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_DOUBLE_EQ(*second.cpu_percent, 100.0 * (100.0 / ticks_per_second) / 2.0);
  fs::remove_all(proc.root() / "4242");
  EXPECT_TRUE(sampler.sample(14.0).exited);
}

TEST(ProcessSampler, NonexistentPidInRealProcHasExited) {
  // Far above pid_max (at most 2^22 on Linux).
  ProcessSampler sampler(0x7ffffff0);
  EXPECT_TRUE(sampler.sample(monotonic_seconds()).exited);
}

// A TCP socket bound to 127.0.0.1 on a kernel-chosen port; listening when asked.
class LocalSocket {
 public:
  explicit LocalSocket(bool listening) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    if (listening && listen(fd_, 1) != 0) return;
    socklen_t length = sizeof address;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return;
    port_ = ntohs(address.sin_port);
  }
  LocalSocket(const LocalSocket&) = delete;
  LocalSocket& operator=(const LocalSocket&) = delete;
  ~LocalSocket() {
    if (fd_ >= 0) close(fd_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

TEST(FindListeningPid, OwnListeningSocket) {
  LocalSocket listener(true);
  ASSERT_NE(listener.port(), 0);
  std::string why;
  auto pid = find_listening_pid(listener.port(), &why);
  ASSERT_TRUE(pid.has_value()) << why;
  EXPECT_EQ(*pid, getpid());
}

TEST(FindListeningPid, BoundButNotListeningIsNotFound) {
  LocalSocket bound(false);  // holds the port so nobody else listens on it meanwhile
  ASSERT_NE(bound.port(), 0);
  std::string why;
  EXPECT_FALSE(find_listening_pid(bound.port(), &why).has_value());
  EXPECT_NE(why.find("no process listens on TCP port " + std::to_string(bound.port())),
            std::string::npos)
      << why;
}

constexpr std::string_view kTcpHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n";

TEST(FindListeningPid, Tcp6FixtureWithAFakeDescriptorLink) {
  FakeProc proc;
  // tcp: port 8000 only as an established connection (01), which does not count.
  proc.write("net/tcp", std::string(kTcpHeader) +
                            "   0: 0100007F:1F40 0100007F:A2C4 01 00000000:00000000 "
                            "00:00000000 00000000  1000        0 999 1 0000000000000000 20 4 "
                            "30 10 -1\n"
                            "   1: 0100007F:0050");  // truncated
  // tcp6: [::]:8000 listening (0A), inode 12345.
  proc.write("net/tcp6", std::string(kTcpHeader) +
                             "   0: 00000000000000000000000000000000:1F40 "
                             "00000000000000000000000000000000:0000 0A 00000000:00000000 "
                             "00:00000000 00000000  1000        0 12345 1 0000000000000000 "
                             "100 0 0 10 0\n");
  fs::create_directories(proc.root() / "77" / "fd");
  fs::create_symlink("/dev/null", proc.root() / "77" / "fd" / "0");
  fs::create_directories(proc.root() / "4242" / "fd");
  fs::create_symlink("socket:[999]", proc.root() / "4242" / "fd" / "3");
  fs::create_symlink("socket:[12345]", proc.root() / "4242" / "fd" / "4");
  fs::create_directories(proc.root() / "self");
  fs::create_directories(proc.root() / "99");  // no fd directory: skipped

  std::string why;
  auto pid = find_listening_pid(8000, &why, proc.root());
  ASSERT_TRUE(pid.has_value()) << why;
  EXPECT_EQ(*pid, 4242);

  EXPECT_FALSE(find_listening_pid(8001, &why, proc.root()).has_value());
  EXPECT_NE(why.find("no process listens on TCP port 8001"), std::string::npos) << why;

  fs::remove(proc.root() / "4242" / "fd" / "4");
  EXPECT_FALSE(find_listening_pid(8000, &why, proc.root()).has_value());
  EXPECT_NE(why.find("no process in"), std::string::npos) << why;
}

TEST(FindListeningPid, UnreadableTablesSayWhy) {
  FakeProc proc;
  std::string why;
  EXPECT_FALSE(find_listening_pid(80, &why, proc.root()).has_value());
  EXPECT_NE(why.find("cannot read the TCP tables"), std::string::npos) << why;
  EXPECT_FALSE(find_listening_pid(80, nullptr, proc.root()).has_value());  // why is optional
}

}  // namespace
}  // namespace llmbench::monitor
