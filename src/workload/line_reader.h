#pragma once
// Lines of an input file with a bound on each (docs/limits.md, "Input limits"): a file with
// no line end (/dev/zero) or one huge line is an error after `max_bytes`, never a read of
// the whole thing into memory. Used by every reader of user files (datasets, corpora,
// traces). Not thread-safe; one reader per stream.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench::workload {

// Longest line or record of a dataset or corpus file, and of a trace file.
inline constexpr std::size_t kMaxRecordBytes = std::size_t{64} << 20;    // 64 MiB
inline constexpr std::size_t kMaxTraceLineBytes = std::size_t{1} << 20;  // 1 MiB

// At most `shown` bytes of `text` (and about 2·shown characters) for an error message,
// quoted, bytes outside printable ASCII written \xNN, "…" when cut: what a message may echo
// of a file's content.
inline std::string excerpt(std::string_view text, std::size_t shown = 40) {
  std::string out = "'";
  std::size_t i = 0;
  for (; i < std::min(shown, text.size()) && out.size() < 2 * shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (i < text.size()) out += "…";
  out += "'";
  return out;
}

class LineReader {
 public:
  enum class Status { kLine, kEnd, kTooLong };

  LineReader(std::istream& in, std::size_t max_bytes, std::size_t chunk = std::size_t{1} << 16)
      : in_(in), max_(max_bytes), buffer_(std::max<std::size_t>(1, chunk)) {}

  // The next line, without its "\n" (a "\r" before it is kept; callers trim). kTooLong: the
  // line has more than max_bytes; `line` then holds its first bytes and the reader must not
  // be used again. A last line without "\n" is a line.
  Status next(std::string& line) {
    line.clear();
    bool any = false;
    for (;;) {
      if (at_ == end_) {
        if (!fill()) {
          if (!any) return Status::kEnd;
          ++number_;
          return Status::kLine;
        }
      }
      const char* start = buffer_.data() + at_;
      const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - at_));
      const std::size_t n = newline ? static_cast<std::size_t>(newline - start) : end_ - at_;
      if (line.size() + n > max_) {
        line.append(start, std::min(n, max_ - line.size()));
        ++number_;
        return Status::kTooLong;
      }
      line.append(start, n);
      any = true;
      at_ += n;
      if (newline) {
        ++at_;
        ++number_;
        return Status::kLine;
      }
    }
  }

  // 1-based number of the line last returned.
  [[nodiscard]] std::uint64_t number() const { return number_; }
  [[nodiscard]] std::size_t max_bytes() const { return max_; }

 private:
  bool fill() {
    if (!in_) return false;
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    at_ = 0;
    end_ = static_cast<std::size_t>(in_.gcount());
    return end_ > 0;
  }

  std::istream& in_;
  std::size_t max_;
  std::vector<char> buffer_;
  std::size_t at_ = 0, end_ = 0;
  std::uint64_t number_ = 0;
};

// "64 MiB", "1 MiB": a limit as the messages and docs write it.
inline std::string size_text(std::size_t bytes) {
  if (bytes % (std::size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes % (std::size_t{1} << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace llmbench::workload
