#include "report/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <thread>

namespace llmbench::report {

namespace {

constexpr std::size_t kBufferSize = std::size_t{64} * 1024;

std::string reason(int error) { return std::strerror(error); }

// The descriptor a path names: "-" is stdout; /dev/stdout, /dev/stderr, /dev/fd/N and
// /proc/self/fd/N are this process's descriptors (opening them anew would truncate or rewind
// whatever file the shell redirected to, and renaming over them would replace the node).
std::optional<int> named_descriptor(const std::filesystem::path& path) {
  const std::string& text = path.native();
  if (text == "-" || text == "/dev/stdout") return 1;
  if (text == "/dev/stderr") return 2;
  for (const std::string_view prefix :
       {std::string_view("/dev/fd/"), std::string_view("/proc/self/fd/")}) {
    if (text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0) {
      int fd = -1;
      const char* first = text.data() + prefix.size();
      const char* last = text.data() + text.size();
      const auto [end, ec] = std::from_chars(first, last, fd);
      if (ec == std::errc{} && end == last && fd >= 0) return fd;
    }
  }
  return std::nullopt;
}

std::string inode_identity(const struct stat& st) {
  return "inode:" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

std::string path_identity(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(absolute, ec);
  if (ec) canonical = absolute;
  return "path:" + canonical.lexically_normal().string();
}

// Creates and removes a file in `dir`: whether a temporary can be made there at all.
Expected<void> probe_folder(const std::filesystem::path& dir) {
  auto probe = create_exclusive(dir, ".llmbench-check", "");
  if (!probe) return tl::unexpected(probe.error());
  ::close(probe->fd);
  ::unlink(probe->path.c_str());
  return {};
}

}  // namespace

std::string file_identity(const std::filesystem::path& path) {
  if (const auto fd = named_descriptor(path)) return "fd:" + std::to_string(*fd);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return inode_identity(st);
  return path_identity(path);
}

Expected<OutputTarget> check_output(const std::filesystem::path& path) {
  OutputTarget out;
  out.path = path;
  if (path.empty()) return make_error(ErrorCode::kInvalidArgument, "empty output path");
  if (const auto fd = named_descriptor(path)) {
    struct stat st {};
    if (::fstat(*fd, &st) != 0) {
      return make_error(ErrorCode::kIo, "cannot write " + path.string() + ": descriptor " +
                                            std::to_string(*fd) + " is not open");
    }
    out.mode = OutputMode::kDescriptor;
    out.descriptor = *fd;
    out.character_device = S_ISCHR(st.st_mode);
    out.identity = "fd:" + std::to_string(*fd);
    return out;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    out.identity = inode_identity(st);
    if (S_ISDIR(st.st_mode)) {
      return make_error(ErrorCode::kIo, "cannot write " + path.string() + ": it is a directory");
    }
    if (S_ISREG(st.st_mode)) {
      std::error_code ec;
      out.target = std::filesystem::canonical(path, ec);  // a symlink stays a symlink
      if (ec) out.target = path;
      out.mode = OutputMode::kReplace;
      const std::filesystem::path dir =
          out.target.has_parent_path() ? out.target.parent_path() : std::filesystem::path(".");
      if (auto probed = probe_folder(dir); !probed) {
        return make_error(ErrorCode::kIo,
                          "cannot write " + path.string() + ": " + probed.error().message);
      }
      return out;
    }
    out.mode = OutputMode::kStream;
    out.character_device = S_ISCHR(st.st_mode);
    if (::access(path.c_str(), W_OK) != 0) {
      return make_error(ErrorCode::kIo, "cannot write " + path.string() + ": " + reason(errno));
    }
    return out;
  }
  if (errno != ENOENT) {  // e.g. a path under a file: "Not a directory"
    return make_error(ErrorCode::kIo, "cannot write " + path.string() + ": " + reason(errno));
  }
  out.mode = OutputMode::kReplace;
  out.target = path;
  out.identity = path_identity(path);
  const std::filesystem::path dir =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  struct stat dir_st {};
  if (::stat(dir.c_str(), &dir_st) != 0) {
    return make_error(ErrorCode::kIo, "cannot write " + path.string() + ": folder " + dir.string() +
                                          ": " + reason(errno));
  }
  if (!S_ISDIR(dir_st.st_mode)) {
    return make_error(ErrorCode::kIo,
                      "cannot write " + path.string() + ": " + dir.string() + " is not a folder");
  }
  if (auto probed = probe_folder(dir); !probed) {
    return make_error(ErrorCode::kIo,
                      "cannot write " + path.string() + ": " + probed.error().message);
  }
  return out;
}

Expected<ExclusiveFile> create_exclusive(const std::filesystem::path& dir, const std::string& stem,
                                         const std::string& suffix) {
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 1000; ++attempt) {
    ExclusiveFile file;
    std::string name = stem;
    name += '.';
    name += std::to_string(::getpid());
    name += '-';
    name += std::to_string(counter.fetch_add(1));
    name += suffix;
    file.path = dir / name;
    file.fd = ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (file.fd >= 0) return file;
    if (errno != EEXIST) {
      return make_error(ErrorCode::kIo,
                        "cannot create a file in " + dir.string() + ": " + reason(errno));
    }
  }
  return make_error(ErrorCode::kIo,
                    "cannot create a file in " + dir.string() + ": every temporary name is taken");
}

DescriptorBuf::DescriptorBuf(int fd, bool owns)
    : fd_(fd), owns_(owns), buffer_(std::make_unique<char[]>(kBufferSize)) {
  setp(buffer_.get(), buffer_.get() + kBufferSize);
}

DescriptorBuf::~DescriptorBuf() { close(); }

bool DescriptorBuf::write_all(const char* data, std::size_t size) {
  while (size > 0 && error_ == 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno;
      break;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return error_ == 0;
}

bool DescriptorBuf::flush_buffer() {
  const auto size = static_cast<std::size_t>(pptr() - pbase());
  const bool ok = fd_ >= 0 && error_ == 0 && write_all(pbase(), size);
  setp(buffer_.get(), buffer_.get() + kBufferSize);
  return ok;
}

DescriptorBuf::int_type DescriptorBuf::overflow(int_type c) {
  if (!flush_buffer()) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

std::streamsize DescriptorBuf::xsputn(const char* s, std::streamsize n) {
  if (error_ != 0 || fd_ < 0) return 0;
  const auto size = static_cast<std::size_t>(n);
  if (size <= static_cast<std::size_t>(epptr() - pptr())) {
    std::memcpy(pptr(), s, size);
    pbump(static_cast<int>(size));
    return n;
  }
  if (!flush_buffer()) return 0;
  if (size >= kBufferSize) return write_all(s, size) ? n : 0;
  std::memcpy(pptr(), s, size);
  pbump(static_cast<int>(size));
  return n;
}

int DescriptorBuf::sync() { return flush_buffer() ? 0 : -1; }

int DescriptorBuf::close() {
  if (fd_ < 0) return error_;
  flush_buffer();
  if (owns_ && ::close(fd_) != 0 && error_ == 0) error_ = errno;
  fd_ = -1;
  return error_;
}

OutputFile::OutputFile(OutputTarget target, int fd, std::filesystem::path temporary, bool owns)
    : target_(std::move(target)),
      temporary_(std::move(temporary)),
      buf_(fd, owns),
      stream_(&buf_) {}

OutputFile::~OutputFile() {
  buf_.close();
  if (!committed_ && !temporary_.empty()) ::unlink(temporary_.c_str());
}

namespace {

// A FIFO opened for writing without blocking: ENXIO means no reader yet, so it is tried again
// every 20 ms until `wait` has passed. Writes then block again, as on any pipe.
int open_fifo_for_writing(const std::filesystem::path& path, std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      return fd;
    }
    if (errno != ENXIO || std::chrono::steady_clock::now() >= until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

Expected<std::unique_ptr<OutputFile>> OutputFile::open(const std::filesystem::path& path,
                                                       std::chrono::milliseconds reader_wait) {
  auto target = check_output(path);
  if (!target) return tl::unexpected(target.error());
  switch (target->mode) {
    case OutputMode::kDescriptor: {
      const int fd = target->descriptor;
      return std::unique_ptr<OutputFile>(new OutputFile(std::move(*target), fd, {}, false));
    }
    case OutputMode::kStream: {
      struct stat st {};
      const bool fifo = ::stat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
      const int fd = fifo ? open_fifo_for_writing(path, reader_wait)
                          : ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
      if (fd < 0 && fifo && errno == ENXIO) {
        return make_error(
            ErrorCode::kIo,
            fmt::format("cannot write {}: no process opened the FIFO "
                        "for reading within {:g} s",
                        path.string(), std::chrono::duration<double>(reader_wait).count()));
      }
      if (fd < 0) {
        return make_error(ErrorCode::kIo, "cannot write " + path.string() + ": " + reason(errno));
      }
      return std::unique_ptr<OutputFile>(new OutputFile(std::move(*target), fd, {}, true));
    }
    case OutputMode::kReplace:
      break;
  }
  const std::filesystem::path dir =
      target->target.has_parent_path() ? target->target.parent_path() : std::filesystem::path(".");
  auto temporary = create_exclusive(dir, target->target.filename().string() + ".tmp", "");
  if (!temporary) {
    return make_error(ErrorCode::kIo,
                      "cannot write " + path.string() + ": " + temporary.error().message);
  }
  struct stat st {};
  if (::stat(target->target.c_str(), &st) == 0) ::fchmod(temporary->fd, st.st_mode & 07777);
  return std::unique_ptr<OutputFile>(
      new OutputFile(std::move(*target), temporary->fd, temporary->path, true));
}

Expected<void> OutputFile::commit() {
  stream_.flush();
  if (const int error = buf_.close(); error != 0) {
    return make_error(ErrorCode::kIo,
                      "cannot write " + target_.path.string() + ": " + reason(error));
  }
  if (target_.mode == OutputMode::kReplace) {
    if (::rename(temporary_.c_str(), target_.target.c_str()) != 0) {
      return make_error(ErrorCode::kIo,
                        "cannot write " + target_.path.string() + ": " + reason(errno));
    }
    temporary_.clear();
  }
  committed_ = true;
  return {};
}

Expected<void> write_output(const std::filesystem::path& path,
                            const std::function<void(std::ostream&)>& produce) {
  if (path.has_parent_path() && !named_descriptor(path)) {
    std::error_code ec;
    if (!std::filesystem::exists(path.parent_path(), ec)) {
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) {
        return make_error(ErrorCode::kIo, "cannot create folder " + path.parent_path().string() +
                                              ": " + ec.message());
      }
    }
  }
  auto file = OutputFile::open(path);
  if (!file) return tl::unexpected(file.error());
  produce((*file)->stream());
  return (*file)->commit();
}

Expected<void> write_output(const std::filesystem::path& path, const std::string& content) {
  return write_output(path, [&content](std::ostream& out) {
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

}  // namespace llmbench::report
