//===- FuzzInput.h - Helpers shared by the reader fuzz targets --*- C++ -*-===//
//
// The readers under test take file paths; a fuzz input is handed to them as
// an anonymous in-memory file (memfd), named by its /proc/self/fd path.
//
//===----------------------------------------------------------------------===//
#ifndef DNN_TEST_FUZZ_FUZZINPUT_H
#define DNN_TEST_FUZZ_FUZZINPUT_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

namespace dnn::fuzz {

/// The fuzz input as a file that lives as long as this object.
class InputFile {
public:
  InputFile(const uint8_t *data, size_t size) {
    fd_ = ::memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd_ < 0)
      std::abort();
    for (size_t done = 0; done < size;) {
      ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0)
        std::abort();
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile &) = delete;
  InputFile &operator=(const InputFile &) = delete;
  const std::string &path() const { return path_; }

private:
  int fd_ = -1;
  std::string path_;
};

/// Reads the fuzz input from the front, as bytes and small integers; zeros
/// once it is used up.
class Bytes {
public:
  Bytes(const uint8_t *data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  /// An integer in [0, bound).
  uint32_t below(uint32_t bound) { return bound ? byte() % bound : 0; }
  int64_t i64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= uint64_t(byte()) << (8 * i);
    return static_cast<int64_t>(v);
  }

private:
  const uint8_t *data_;
  size_t size_, pos_ = 0;
};

} // namespace dnn::fuzz

#endif // DNN_TEST_FUZZ_FUZZINPUT_H
