// End-to-end, issue 12: the live dashboard of `llmbench run` as a terminal shows it. The run
// goes under a pseudo-terminal (forkpty) against the simulator; the test reads the screen as
// it is drawn, resizes the terminal mid-run, and checks what the dashboard said. Nothing here
// asserts a timing that a busy machine could break: the numbers must move forward, and the
// redraw count can only fall short of its bound on a slow machine, never exceed it.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.h"

namespace llmbench {
namespace {

using testing::Child;
using testing::Sim;

// Columns of `text` as the dashboard counts them (one per UTF-8 code point).
std::size_t columns(const std::string& text) {
  std::size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// `text` without escape sequences (ESC [ parameters final-byte) and carriage returns.
std::string strip(const std::string& text) {
  static const std::regex escape("\x1b\\[[0-9;?]*[A-Za-z]");
  std::string out = std::regex_replace(text, escape, "");
  std::erase(out, '\r');
  return out;
}

struct Screen {
  std::string bytes;           // everything the child wrote, as written
  std::size_t resized_at = 0;  // bytes.size() when the terminal was narrowed
  double seconds = 0;          // from the child's start to its exit
  int exit_code = -1;
};

// Runs llmbench with `args` on a 100×30 pseudo-terminal (stdin, stdout and stderr), narrows
// it to `narrow` columns once `resize_after` redraws were seen, and reads until it exits.
Screen run_on_terminal(std::vector<std::string> args, int narrow, int resize_after) {
  winsize size{};
  size.ws_col = 100;
  size.ws_row = 30;
  int master = -1;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  Screen screen;
  bool resized = false;
  for (;;) {
    pollfd p{master, POLLIN, 0};
    const int ready = ::poll(&p, 1, 60'000);
    if (ready <= 0) break;  // a minute of silence: the test fails below
    char buffer[4096];
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO: the child closed the terminal
    screen.bytes.append(buffer, static_cast<std::size_t>(n));
    if (!resized) {
      std::size_t draws = 0;
      for (std::size_t at = 0; (at = screen.bytes.find("\x1b[J", at)) != std::string::npos; ++at) {
        ++draws;
      }
      if (draws >= static_cast<std::size_t>(resize_after)) {
        winsize small = size;
        small.ws_col = static_cast<unsigned short>(narrow);
        ::ioctl(master, TIOCSWINSZ, &small);
        screen.resized_at = screen.bytes.size();
        resized = true;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  screen.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(master);
  screen.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!resized) screen.resized_at = screen.bytes.size();
  return screen;
}

// The dashboard's frames: what lies between consecutive "clear to end of screen"s, each
// split into its drawn lines (the text after ESC[2K, escapes stripped).
struct Frame {
  std::size_t offset = 0;  // in Screen::bytes
  std::vector<std::string> lines;
};

std::vector<Frame> frames_of(const std::string& bytes) {
  std::vector<Frame> frames;
  std::size_t begin = 0;
  for (std::size_t end; (end = bytes.find("\x1b[J", begin)) != std::string::npos; begin = end + 3) {
    Frame f;
    f.offset = begin;
    const std::string chunk = bytes.substr(begin, end - begin);
    for (std::size_t at = 0; (at = chunk.find("\x1b[2K", at)) != std::string::npos;) {
      at += 4;
      const std::size_t nl = chunk.find('\n', at);
      f.lines.push_back(strip(chunk.substr(at, nl == std::string::npos ? nl : nl - at)));
      if (nl == std::string::npos) break;
      at = nl;
    }
    if (!f.lines.empty()) frames.push_back(std::move(f));
  }
  return frames;
}

std::optional<long> done_in(const Frame& f) {
  static const std::regex done("done ([0-9]+)");
  for (const std::string& line : f.lines) {
    std::smatch m;
    if (std::regex_search(line, m, done)) return std::stol(m[1]);
  }
  return std::nullopt;
}

bool any_line_matches(const Frame& f, const std::regex& pattern) {
  return std::ranges::any_of(f.lines,
                             [&](const std::string& l) { return std::regex_search(l, pattern); });
}

TEST(DashboardPty, NumbersMoveRedrawsAreBoundedANarrowTerminalIsRespected) {
  Sim sim({"--ttft", "20ms", "--itl", "10ms"});
  // About 0.3 s a request, 2 at a time: a few seconds in all, windows of 0.5 s.
  const Screen screen = run_on_terminal(
      {LLMBENCH_BINARY, "run", "--url", sim.url(), "--requests", "24", "--concurrency", "2",
       "--max-tokens", "30", "--prompt-tokens", "16", "--window", "0.5s", "--no-store", "--output",
       (std::filesystem::temp_directory_path() /
        ("llmbench_dashboard_" + std::to_string(::getpid()) + ".json"))
           .string()},
      40, 4);
  ASSERT_EQ(screen.exit_code, 0) << strip(screen.bytes);
  const std::vector<Frame> frames = frames_of(screen.bytes);
  ASSERT_GE(frames.size(), 4U) << strip(screen.bytes);

  // Requests done never goes back, and goes forward.
  std::vector<long> done;
  for (const Frame& f : frames) {
    if (auto d = done_in(f)) done.push_back(*d);
  }
  ASSERT_GE(done.size(), 2U);
  EXPECT_TRUE(std::ranges::is_sorted(done)) << strip(screen.bytes);
  EXPECT_LT(done.front(), done.back()) << strip(screen.bytes);

  // Once a window has completed, a rate and a TTFT median are numbers (before that, "—").
  const std::regex rate("[0-9]+\\.[0-9] req/s");
  const std::regex ttft("TTFT p50 [0-9]+\\.[0-9] ms");
  EXPECT_TRUE(std::ranges::any_of(frames, [&](const Frame& f) {
    return any_line_matches(f, rate);
  })) << strip(screen.bytes);
  EXPECT_TRUE(std::ranges::any_of(frames, [&](const Frame& f) {
    return any_line_matches(f, ttft);
  })) << strip(screen.bytes);

  // At most 4 redraws a second on average (the erase at the end is one more "clear").
  EXPECT_LE(static_cast<double>(frames.size()), 4 * screen.seconds + 1)
      << frames.size() << " frames in " << screen.seconds << " s";

  // After the resize (and the one redraw that may have been under way then), no drawn line
  // is wider than the terminal, and the progress still shows.
  std::size_t checked = 0;
  bool skipped_one = false;
  for (const Frame& f : frames) {
    if (f.offset < screen.resized_at) continue;
    if (!skipped_one) {
      skipped_one = true;
      continue;
    }
    ++checked;
    for (const std::string& line : f.lines) EXPECT_LE(columns(line), 40U) << line;
  }
  EXPECT_GE(checked, 1U) << "no frame after the resize: " << strip(screen.bytes);

  // Erased before the summary: nothing of the dashboard is drawn after the table begins.
  const std::size_t table = screen.bytes.find("wrote ");
  ASSERT_NE(table, std::string::npos) << strip(screen.bytes);
  EXPECT_LT(screen.bytes.rfind("\x1b[2K"), table);
  EXPECT_LT(screen.bytes.rfind("\x1b[J"), table);
}

TEST(DashboardPty, PlainLinesWhenNotATerminal) {
  Sim sim({"--ttft", "20ms", "--itl", "10ms"});
  const auto output = std::filesystem::temp_directory_path() /
                      ("llmbench_dashboard_plain_" + std::to_string(::getpid()) + ".json");
  Child child({LLMBENCH_BINARY, "run", "--url", sim.url(), "--requests", "16", "--concurrency", "2",
               "--max-tokens", "30", "--prompt-tokens", "16", "--no-store", "--progress-interval",
               "500ms", "--output", output.string()});
  ASSERT_EQ(child.wait(), 0) << child.err();
  const std::string err = child.err();
  EXPECT_EQ(err.find('\x1b'), std::string::npos) << err;  // no terminal control at all
  std::size_t lines = 0;
  long last = -1;
  static const std::regex counted("^([0-9]+)/16 requests");
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, counted)) continue;
    ++lines;
    EXPECT_NE(line.find("in flight"), std::string::npos) << line;
    EXPECT_GE(std::stol(m[1]), last) << err;
    last = std::stol(m[1]);
  }
  // About 2.5 s of running at one line per 0.5 s; a slow machine only makes more.
  EXPECT_GE(lines, 2U) << err;
  std::filesystem::remove(output);
}

TEST(DashboardPty, AShortRunPrintsNoPlainLineByDefault) {
  Sim sim({"--ttft", "5ms", "--itl", "1ms"});
  const auto output = std::filesystem::temp_directory_path() /
                      ("llmbench_dashboard_short_" + std::to_string(::getpid()) + ".json");
  Child child({LLMBENCH_BINARY, "run", "--url", sim.url(), "--requests", "4", "--max-tokens", "4",
               "--no-store", "--output", output.string()});
  ASSERT_EQ(child.wait(), 0) << child.err();
  EXPECT_EQ(child.err().find("in flight"), std::string::npos) << child.err();
  std::filesystem::remove(output);
}

TEST(DashboardPty, ProgressIntervalIsCheckedBeforeAnyTraffic) {
  // No engine behind the URL: a refused interval is exit 2 before anything is contacted.
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::free_port());
  for (const char* bad : {"100ms", "2h", "soon"}) {
    Child child({LLMBENCH_BINARY, "run", "--url", url, "--requests", "1", "--no-store",
                 "--progress-interval", bad});
    EXPECT_EQ(child.wait(), 2) << bad << ": " << child.err();
    EXPECT_NE(child.err().find("--progress-interval"), std::string::npos) << child.err();
  }
}

}  // namespace
}  // namespace llmbench
