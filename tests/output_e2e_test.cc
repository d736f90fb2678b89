// End-to-end, issue 10 classes 2 and 8: output files never clobber what they point at, bad
// output paths are refused before the run, a failed write keeps the records, signals and a
// closed stdout leave a valid result, and `suite` records every run however it ended.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/process.h"
#include "support/run_llmbench.h"

namespace llmbench {
namespace {

using nlohmann::json;
using testing::Child;
using testing::Sim;

// A private folder for one test.
class Folder {
 public:
  Folder() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("llmbench_out_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~Folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }
  // The names in the folder, sorted.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> all;
    for (const auto& e : std::filesystem::directory_iterator(path_)) {
      all.push_back(e.path().filename().string());
    }
    std::sort(all.begin(), all.end());
    return all;
  }

 private:
  std::filesystem::path path_;
};

// Waits until a run's spill file (NAME.requests.PID-N.partial.jsonl) is in `dir`: the run has
// started sending.
bool wait_for_spill(const std::filesystem::path& dir) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().filename().string().find(".partial.jsonl") != std::string::npos) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::vector<std::string> run_args(const std::string& url, std::vector<std::string> options) {
  std::vector<std::string> args = {LLMBENCH_BINARY, "run", "--url", url, "--no-progress"};
  args.insert(args.end(), options.begin(), options.end());
  return args;
}

const std::vector<std::string> kSmall = {"--requests", "5",    "--max-tokens",     "3",
                                         "--engine",   "vllm", "--token-counting", "estimate"};

std::vector<std::string> small(std::vector<std::string> more) {
  std::vector<std::string> all = kSmall;
  all.insert(all.end(), more.begin(), more.end());
  return all;
}

// Item 1: a FIFO, a null device and a symlink to it as outputs stay what they were, and the
// FIFO receives the result (before: each was replaced by a renamed regular file). The device
// is a private node like /dev/null: the machine's own is shared with whatever else runs.
TEST(Outputs, AFifoAndANullDeviceStayWhatTheyWereAndReceiveTheBytes) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});
  const Folder dir;
  const auto fifo = dir / "result.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto null = dir / "null";
  if (::mknod(null.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot make a device node here";
  }
  std::filesystem::create_symlink(null, dir / "null.csv");
  // Reads the FIFO until its writer closes it, or gives up once the child has exited without
  // ever opening it (as when a renamed file replaced the FIFO): never hangs.
  std::string received;
  std::atomic<bool> child_done{false};
  std::thread reader([&] {
    const int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    bool writer_seen = false;
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n > 0) {
        received.append(buffer, static_cast<std::size_t>(n));
        writer_seen = true;
      } else if (n == 0 && (writer_seen || child_done)) {
        break;
      } else {
        writer_seen = writer_seen || n < 0;  // EAGAIN: a writer is there, nothing written yet
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    ::close(fd);
  });
  Child child(
      run_args(sim.url(), small({"--output", fifo.string(), "--csv", (dir / "null.csv").string(),
                                 "--summary-csv", "/dev/null"})));
  const int code = child.wait();
  child_done = true;
  reader.join();
  ASSERT_EQ(code, 0) << child.err();
  EXPECT_EQ(json::parse(received)["summary"]["succeeded"], 5);
  EXPECT_TRUE(std::filesystem::is_fifo(std::filesystem::symlink_status(fifo)));
  EXPECT_TRUE(std::filesystem::is_symlink(std::filesystem::symlink_status(dir / "null.csv")));
  EXPECT_TRUE(std::filesystem::is_character_file(std::filesystem::symlink_status(null)));
  EXPECT_EQ(dir.names(), (std::vector<std::string>{"null", "null.csv", "result.fifo"}));
}

// Item 1: `-o -` writes the result to stdout; the human summary then goes to stderr.
TEST(Outputs, DashIsStdoutAndTheSummaryMovesToStderr) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});
  Child child(run_args(sim.url(), small({"--output", "-"})));
  ASSERT_EQ(child.wait(), 0) << child.err();
  EXPECT_EQ(json::parse(child.out())["summary"]["succeeded"], 5);
  EXPECT_NE(child.err().find("TTFT"), std::string::npos) << child.err();
}

// Item 2: bad output paths are exit 2 before any network traffic (the URL is unreachable:
// a check after discovery would exit 3), with a message naming the option(s).
TEST(Outputs, BadOrCollidingPathsAreRefusedBeforeTheRun) {
  const Folder dir;
  std::ofstream(dir / "a.json") << "{}";
  std::ofstream(dir / "prompts.txt") << "hello\n";
  std::filesystem::create_directories(dir / "folder");
  std::filesystem::create_symlink(dir / "a.json", dir / "link.json");
  const std::string a = (dir / "a.json").string();
  struct Case {
    std::vector<std::string> options;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"-o", (dir / "folder").string()}, "--output: cannot write"},
      {{"-o", (dir / "no" / "r.json").string()}, "No such file or directory"},
      {{"-o", (dir / "a.json" / "x").string()}, "Not a directory"},
      {{"-o", "/proc/r.json"},
       "--output: cannot write /proc/r.json: cannot create a file in /proc"},
      {{"-o", a, "--csv", (dir / "." / "a.json").string()}, "--output and --csv are the same file"},
      {{"-o", a, "--summary-csv", (dir / "link.json").string()},
       "--output and --summary-csv are the same file"},
      {{"-o", (dir / "prompts.txt").string(), "--dataset", (dir / "prompts.txt").string()},
       "is the --dataset input"},
      {{"-o", "-", "--summary-csv", "/dev/stdout"}, "only one output may be stdout"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> options = c.options;
    options.insert(options.end(), {"--requests", "1"});
    Child child(run_args("http://127.0.0.1:1", options));
    EXPECT_EQ(child.wait(), 2) << child.err();
    EXPECT_NE(child.err().find(c.message), std::string::npos) << child.err();
    EXPECT_EQ(child.err().find("Success"), std::string::npos) << child.err();
  }
  EXPECT_EQ(testing::slurp(dir / "a.json"), "{}");
  EXPECT_EQ(testing::slurp(dir / "prompts.txt"), "hello\n");
}

// Item 3: a result that cannot be written at the end (a full disk) keeps the run's records
// and says where; exit 5.
TEST(Outputs, AFullDiskKeepsTheRecordsAndSaysWhere) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});
  Child child(run_args(sim.url(), small({"--output", "/dev/full"})));
  EXPECT_EQ(child.wait(), 5) << child.err();
  const std::string err = child.err();
  const std::string said =
      "llmbench: cannot write /dev/full: No space left on device; the run's 5 records are kept "
      "in ";
  const auto at = err.find(said);
  ASSERT_NE(at, std::string::npos) << err;
  const std::string kept = err.substr(at + said.size(), err.find('\n', at) - at - said.size());
  std::ifstream in(kept);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) {
    EXPECT_EQ(json::parse(line)["error"], nullptr);
    ++lines;
  }
  EXPECT_EQ(lines, 5u);
  std::filesystem::remove(kept);
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
}

// Item 4: SIGTERM and SIGHUP end a run as Ctrl-C does: a valid partial result, exit 130.
TEST(Signals, SigtermAndSighupWriteAValidPartialResult) {
  Sim sim({"--ttft", "10ms", "--itl", "20ms"});
  for (const int sig : {SIGTERM, SIGHUP}) {
    SCOPED_TRACE(sig);
    const Folder dir;
    Child child(
        run_args(sim.url(), {"--concurrency", "2", "--requests", "1000", "--max-tokens", "20",
                             "--engine", "vllm", "--output", (dir / "r.json").string()}));
    ASSERT_TRUE(wait_for_spill(dir.path())) << child.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    child.signal(sig);
    ASSERT_EQ(child.wait(), 130) << child.err();
    const json result = json::parse(testing::slurp(dir / "r.json"));
    EXPECT_TRUE(result["context"]["interrupted"].get<bool>());
    EXPECT_EQ(result["requests"].size(), result["summary"]["requests"]);
    EXPECT_EQ(dir.names(), (std::vector<std::string>{"r.json"}));
  }
}

// Item 4: stdout a pipe whose reader is gone (`llmbench run … | head -0`): no death by SIGPIPE
// (exit 141 before), the files are written, no temporary is left.
TEST(Signals, AClosedStdoutLeavesAValidResultAndNoTemporaries) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});
  const Folder dir;
  std::vector<std::string> args = run_args(
      sim.url(), small({"--output", (dir / "r.json").string(), "--csv", (dir / "r.csv").string(),
                        "--summary-csv", (dir / "s.csv").string()}));
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);  // nobody will ever read
    ::dup2(pipe_fds[1], 1);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    std::vector<char*> argv;
    for (std::string& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(json::parse(testing::slurp(dir / "r.json"))["summary"]["succeeded"], 5);
  EXPECT_EQ(dir.names(), (std::vector<std::string>{"r.csv", "r.json", "s.csv"}));
}

std::string quick_suite() {
  return std::string(LLMBENCH_SOURCE_DIR) + "/configs/scenarios/quick_test.yaml";
}

// Item 5: runs that exit non-zero are recorded (exit code, error, no result) in a valid
// suite.json, and the suite exits with the worst code (before: an internal JSON error and no
// suite.json).
TEST(Suite, FailedRunsAreRecordedAndSuiteJsonIsAlwaysWritten) {
  const Folder dir;
  Child child({LLMBENCH_BINARY, "suite", quick_suite(), "--url", "http://127.0.0.1:1", "--engine",
               "vllm", "--requests", "2", "--output-dir", dir.path().string()});
  EXPECT_EQ(child.wait(), 3) << child.err();
  EXPECT_EQ(child.err().find("internal error"), std::string::npos) << child.err();
  const json index = json::parse(testing::slurp(dir / "suite.json"));
  ASSERT_EQ(index["runs"].size(), 7u);
  for (const json& run : index["runs"]) {
    EXPECT_EQ(run["exit_code"], 3) << run.dump();
    EXPECT_TRUE(run["error"].is_string()) << run.dump();
    EXPECT_TRUE(run["result"].is_null()) << run.dump();
    EXPECT_TRUE(run["summary"]["requests"].is_null()) << run.dump();
  }
}

// Item 5: --dry-run checks each run as a real run does: unknown options and bad values are
// exit 2, naming the option.
TEST(Suite, DryRunValidatesLikeARealRun) {
  struct Case {
    std::vector<std::string> options;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--bogus-option", "1"}, "--bogus-option"},
      {{"--concurrency", "zero"}, "--concurrency"},
      {{"--requests", "0"}, "--requests: 0 is outside"},
      {{"--duration", "soon"}, "--duration"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {LLMBENCH_BINARY, "suite", quick_suite(),
                                     "--dry-run",     "--url", "http://127.0.0.1:1"};
    args.insert(args.end(), c.options.begin(), c.options.end());
    Child child(args);
    EXPECT_EQ(child.wait(), 2) << c.message << ": " << child.out();
    EXPECT_NE(child.err().find(c.message), std::string::npos) << child.err();
  }
  Child fine({LLMBENCH_BINARY, "suite", quick_suite(), "--dry-run", "--url", "http://127.0.0.1:1",
              "--requests", "3"});
  EXPECT_EQ(fine.wait(), 0) << fine.err();
}

// Item 4: a signal stops a suite with a valid suite.json naming every run, exit 130.
TEST(Suite, SighupStopsTheSuiteAndItsIndexIsWritten) {
  Sim sim({"--dialect", "vllm", "--ttft", "10ms", "--itl", "20ms"});
  const Folder dir;
  Child child({LLMBENCH_BINARY, "suite", quick_suite(), "--url", sim.url(), "--requests", "400",
               "--max-tokens", "20", "--token-counting", "estimate", "--output-dir",
               dir.path().string()});
  ASSERT_TRUE(wait_for_spill(dir.path())) << child.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  child.signal(SIGHUP);
  EXPECT_EQ(child.wait(), 130) << child.err();
  const json index = json::parse(testing::slurp(dir / "suite.json"));
  ASSERT_EQ(index["runs"].size(), 7u);
  EXPECT_EQ(index["runs"][0]["exit_code"], 130) << index.dump();
  EXPECT_TRUE(index["runs"][0]["result"].is_string());
  EXPECT_TRUE(index["runs"][6]["exit_code"].is_null());
}

}  // namespace
}  // namespace llmbench
