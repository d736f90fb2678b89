#pragma once
// Writing an output path without clobbering what it points at. A regular file (or a new
// path) is replaced atomically: the content goes to a temporary file beside it (a unique name,
// created with O_EXCL), which is renamed over the target once complete, so a reader never sees
// half a file and a failed write leaves the old file as it was. Anything else — a character
// device such as /dev/null, a FIFO, a socket — is opened and written in place, never replaced.
// "-" and /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N write to that descriptor.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>

#include "core/error.h"

namespace llmbench::report {

enum class OutputMode {
  kReplace,     // regular file or new path: temporary file + rename
  kStream,      // device, FIFO, socket: opened and written in place
  kDescriptor,  // "-" (stdout) or a name for an open descriptor of this process
};

// Where and how an output path is written, as checked before anything is written.
struct OutputTarget {
  std::filesystem::path path;  // as given
  OutputMode mode = OutputMode::kReplace;
  std::filesystem::path target;  // kReplace: the file renamed over (symlinks followed)
  int descriptor = -1;           // kDescriptor: 1 for stdout
  bool character_device = false;
  // "Same file" key: device and inode of an existing file, "fd:N" for a descriptor, else the
  // lexically normal absolute path (so ./a.json, a.json and a symlink to it are one path).
  std::string identity;
};

// Checks that `path` can be written, writing nothing that stays: an existing directory, a
// missing parent folder, a parent that is not a folder or where no file can be created (tried
// by creating and removing a temporary file, which also catches read-only mounts as root) is
// an error whose message names the path and the reason.
Expected<OutputTarget> check_output(const std::filesystem::path& path);

// The "same file" key of an existing input file (see OutputTarget::identity).
std::string file_identity(const std::filesystem::path& path);

// A streambuf over a file descriptor that remembers the first write error (errno) and drops
// everything after it. Owns the descriptor when `owns`.
class DescriptorBuf final : public std::streambuf {
 public:
  DescriptorBuf(int fd, bool owns);
  ~DescriptorBuf() override;
  DescriptorBuf(const DescriptorBuf&) = delete;
  DescriptorBuf& operator=(const DescriptorBuf&) = delete;
  // Flushes and (when owned) closes; the first error of any write or of close, 0 if none.
  int close();
  [[nodiscard]] int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  bool flush_buffer();
  bool write_all(const char* data, std::size_t size);
  int fd_;
  bool owns_;
  int error_ = 0;
  std::unique_ptr<char[]> buffer_;
};

// A file created with O_EXCL under a unique name in `dir` ("<stem>.<pid>-<n><suffix>"), for
// temporaries and the run's spill file. Not removed by this type.
struct ExclusiveFile {
  int fd = -1;
  std::filesystem::path path;
};
Expected<ExclusiveFile> create_exclusive(const std::filesystem::path& dir, const std::string& stem,
                                         const std::string& suffix);

// One output being written: open() (after check_output's rules), write into stream(), then
// commit(). Destroyed without a successful commit, its temporary file is removed and the
// target is untouched.
class OutputFile {
 public:
  // A FIFO without a reader is waited for up to `reader_wait` (a writer's open() would block
  // for ever, deaf to Ctrl-C), then refused naming the wait.
  static constexpr std::chrono::milliseconds kFifoReaderWait{30'000};
  static Expected<std::unique_ptr<OutputFile>> open(
      const std::filesystem::path& path, std::chrono::milliseconds reader_wait = kFifoReaderWait);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::ostream& stream() { return stream_; }
  [[nodiscard]] OutputMode mode() const { return target_.mode; }
  // Flushes and closes; renames the temporary over the target (kReplace). The error names
  // the path as given and the system's reason ("cannot write r.json: No space left on device").
  Expected<void> commit();

 private:
  OutputFile(OutputTarget target, int fd, std::filesystem::path temporary, bool owns);
  OutputTarget target_;
  std::filesystem::path temporary_;  // kReplace only; empty once renamed
  DescriptorBuf buf_;
  std::ostream stream_;
  bool committed_ = false;
};

// Writes `produce`'s output to `path` as OutputFile does (atomically over a regular file or a
// new path, in place to a device or FIFO, to the descriptor for "-"). Creates missing parent
// folders (callers check user-given paths first: check_output refuses a missing parent).
Expected<void> write_output(const std::filesystem::path& path,
                            const std::function<void(std::ostream&)>& produce);
Expected<void> write_output(const std::filesystem::path& path, const std::string& content);

}  // namespace llmbench::report
