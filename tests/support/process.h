#pragma once
// Runs llmbench as a child process for end-to-end tests: the simulator in the background
// (its URL read from its first output line) and benchmark commands to completion.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace llmbench::testing {

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A TCP port that was free a moment ago (bound to port 0, then released).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// A child process whose stdout and stderr go to files in a private folder.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("llmbench_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    const std::string out = (dir_ / "stdout").string(), err = (dir_ / "stderr").string();
    // Every run stores itself in the results history (docs/history.md): a test or benchmark
    // binary run outside CTest (which sets XDG_DATA_HOME to the build tree) must not fill the
    // real user's ~/.local/share either. Set before fork: the child only execs.
    if (std::getenv("XDG_DATA_HOME") == nullptr) {
      ::setenv("XDG_DATA_HOME",
               (std::filesystem::temp_directory_path() / "llmbench-test-xdg-data").c_str(), 1);
    }
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // The simulator is a timing reference and llmbench the instrument under test: both get
      // a higher scheduling priority than whatever else keeps this machine busy, so a late
      // wake-up of either does not pass for a measurement error. Needs root (CI runs as
      // root); elsewhere the call fails and the tests run at normal priority.
      ::setpriority(PRIO_PROCESS, 0, -10);
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(o, 1);
      ::dup2(e, 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Exit code (128 + signal when killed by one).
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void signal(int sig) { ::kill(pid_, sig); }
  [[nodiscard]] pid_t pid() const { return pid_; }
  std::string out() const { return slurp(dir_ / "stdout"); }
  std::string err() const { return slurp(dir_ / "stderr"); }
  const std::filesystem::path& dir() const { return dir_; }

  // Waits until stdout or stderr contains `text`.
  bool wait_for_output(const std::string& text,
                       std::chrono::seconds limit = std::chrono::seconds(30)) const {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (out().find(text) != std::string::npos || err().find(text) != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // Waits until stdout holds a full first line and returns it.
  std::string first_line(std::chrono::seconds limit = std::chrono::seconds(30)) const {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      const std::string text = out();
      if (const auto nl = text.find('\n'); nl != std::string::npos) return text.substr(0, nl);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("child printed no line; stderr: " + err());
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::filesystem::path dir_;
};

// `llmbench sim` on a free port, stopped with SIGTERM when destroyed.
class Sim {
 public:
  explicit Sim(std::vector<std::string> options) : child_(with_binary(std::move(options))) {
    const std::string line = child_.first_line();
    const auto at = line.find("http://");
    if (at == std::string::npos) throw std::runtime_error("unexpected sim output: " + line);
    url_ = line.substr(at);
  }
  ~Sim() {
    child_.signal(SIGTERM);
    child_.wait();
  }
  const std::string& url() const { return url_; }
  [[nodiscard]] pid_t pid() const { return child_.pid(); }

  // One value of the simulator's /sim/metrics page (a plain GET on a raw socket: the tests need
  // no HTTP client of their own), e.g. metric("llmbench_sim_token_gap_seconds{quantile=\"0.99\"}").
  double metric(const std::string& name) const {
    const auto colon = url_.rfind(':');
    const int port = std::stoi(url_.substr(colon + 1));
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd);
      throw std::runtime_error("cannot reach the simulator's /metrics");
    }
    const std::string request = "GET /sim/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (::write(fd, request.data(), request.size()) < 0) throw std::runtime_error("write failed");
    std::string response;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
      response.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto at = response.find("\n" + name + " ");
    if (at == std::string::npos) throw std::runtime_error("no metric " + name);
    return std::stod(response.substr(at + name.size() + 2));
  }

 private:
  static std::vector<std::string> with_binary(std::vector<std::string> options) {
    std::vector<std::string> args = {LLMBENCH_BINARY, "sim", "--port", "0"};
    args.insert(args.end(), options.begin(), options.end());
    return args;
  }
  Child child_;
  std::string url_;
};

}  // namespace llmbench::testing
