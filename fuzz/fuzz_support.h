#pragma once
// What every fuzz target shares: the split convention, invariant checks that abort (so
// libFuzzer keeps the input as a crash), and a private file for the loaders that read paths.
//
// Split convention: an API fed incrementally gets its input in two pieces, cut at a position
// taken from the input's first two bytes (little-endian, modulo the payload's length + 1),
// and the result is compared with the whole payload fed at once: a difference is a
// split-boundary bug and aborts.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace llmbench::fuzz {

// Reads the input front to back; a read past the end yields zeros.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : data_(reinterpret_cast<const char*>(data), size) {}
  std::uint8_t byte() {
    if (data_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(data_.front());
    data_.remove_prefix(1);
    return b;
  }
  std::uint16_t u16() {
    const std::uint16_t lo = byte();
    const std::uint16_t hi = byte();
    return static_cast<std::uint16_t>(lo | (hi << 8));
  }
  std::string_view take(std::size_t n) {
    n = n < data_.size() ? n : data_.size();
    const std::string_view out = data_.substr(0, n);
    data_.remove_prefix(n);
    return out;
  }
  [[nodiscard]] std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

// The cut for a payload of `size` bytes from a 16-bit value.
inline std::size_t cut_at(std::uint16_t value, std::size_t size) { return value % (size + 1); }

// An invariant every input must keep; prints what broke and aborts.
#define LLMBENCH_FUZZ_CHECK(cond, what)                                                           \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s (%s)\n", __FILE__, __LINE__, what, \
                   #cond);                                                                        \
      std::abort();                                                                               \
    }                                                                                             \
  } while (false)

// A folder private to this process, removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d =
        std::filesystem::temp_directory_path() / ("llmbench-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

// A file in scratch_dir(), rewritten with each input (for loaders that take paths).
inline std::filesystem::path scratch_file(std::string_view name) {
  return scratch_dir() / std::string(name);
}

inline std::filesystem::path write_scratch(std::string_view name, std::string_view bytes) {
  std::filesystem::path path = scratch_file(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

}  // namespace llmbench::fuzz
