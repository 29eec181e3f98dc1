//===- MnistReader.cpp - MNIST datasets from IDX files ----------------------===//
//
// The four uncompressed IDX files of the MNIST distribution.
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"
#include "DatasetSupport.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>

using namespace dnn;
using namespace dnn::detail;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// MNIST
//===----------------------------------------------------------------------===//

static uint32_t readBE32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static std::string hex32(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08x", v);
  return s;
}

bool dnn::readIdx(const std::string &path, int rank, IdxArray &out, std::string &error) {
  out = IdxArray();
  std::unique_ptr<llvm::MemoryBuffer> buffer = readFile(path, error);
  if (!buffer)
    return false;
  StringRef bytes = buffer->getBuffer();
  const unsigned char *p = reinterpret_cast<const unsigned char *>(bytes.data());
  uint64_t size = bytes.size();
  uint32_t expectedMagic = 0x00000800u | (uint32_t)rank;
  std::string kind = rank == 1 ? "labels" : rank == 3 ? "images" : "data";
  if (size >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    error = quoted(path) + " is gzip-compressed; decompress it with gunzip (or run "
                           "scripts/fetch-mnist.sh)";
    return false;
  }
  if (size < 4) {
    error = quoted(path) + ": not an IDX file (" + std::to_string(size) +
            " bytes, shorter than the magic number)";
    return false;
  }
  uint32_t magic = readBE32(p);
  if (p[0] != 0 || p[1] != 0) {
    error = quoted(path) + ": not an IDX file (magic number " + hex32(magic) + ", expected " +
            hex32(expectedMagic) + " for " + kind + ")";
    return false;
  }
  if (p[2] != 0x08) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%02x", p[2]);
    error = quoted(path) + ": IDX data type " + type +
            " is not supported; expected unsigned bytes (0x08, magic " + hex32(expectedMagic) + ")";
    return false;
  }
  if (p[3] != rank) {
    error = quoted(path) + ": magic number " + hex32(magic) + " is an IDX file of " +
            std::to_string(p[3]) + " dimensions; expected " + hex32(expectedMagic) + " (" + kind +
            ", " + std::to_string(rank) + " dimension" + (rank == 1 ? "" : "s") + ")";
    return false;
  }
  uint64_t headerSize = 4 + 4 * (uint64_t)rank;
  if (size < headerSize) {
    error = quoted(path) + ": truncated IDX header (" + std::to_string(size) + " bytes, " +
            "expected " + std::to_string(headerSize) + ")";
    return false;
  }
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    int64_t dim = readBE32(p + 4 + 4 * d);
    out.dims.push_back(dim);
    if (__builtin_mul_overflow(count, dim, &count)) {
      error = quoted(path) + ": IDX dimensions " + formatDims(out.dims) + " are too large";
      return false;
    }
  }
  uint64_t available = size - headerSize;
  if (available != (uint64_t)count) {
    error = quoted(path) + ": " + (available < (uint64_t)count ? "truncated" : "trailing") +
            " data: dimensions " + formatDims(out.dims) + " need " + std::to_string(count) +
            " bytes after the header, the file has " + std::to_string(available);
    return false;
  }
  out.data.assign(p + headerSize, p + size);
  return true;
}

std::string dnn::defaultMnistDir() {
  auto env = [](const char *name) -> std::string {
    const char *value = std::getenv(name);
    return value ? value : "";
  };
  std::string base = env("DNNC_DATA_DIR");
  if (base.empty()) {
    std::string cache = env("XDG_CACHE_HOME");
    if (cache.empty())
      cache = env("HOME") + "/.cache";
    base = cache + "/dnnc";
  }
  return base + "/mnist";
}

bool dnn::loadMnist(const std::string &dir, Split split, Dataset &out, std::string &error) {
  out = Dataset();
  out.format = DataFormat::Mnist;
  const char *prefix = split == Split::Train ? "train" : "t10k";
  std::string imagesPath = dir + "/" + prefix + "-images-idx3-ubyte";
  std::string labelsPath = dir + "/" + prefix + "-labels-idx1-ubyte";
  std::string fetch = "run scripts/fetch-mnist.sh (or scripts/setup.sh) to download MNIST to " +
                      defaultMnistDir() + " (the folder follows DNNC_DATA_DIR), then use " +
                      "--data mnist";
  for (const std::string &path : {imagesPath, labelsPath}) {
    if (llvm::sys::fs::exists(path))
      continue;
    if (!llvm::sys::fs::is_directory(dir))
      error = "MNIST is missing: no directory " + quoted(dir) + "; " + fetch;
    else if (llvm::sys::fs::exists(path + ".gz"))
      error = "MNIST in " + quoted(dir) + " is compressed: found " + quoted(path + ".gz") +
              " but not " + quoted(llvm::sys::path::filename(path)) + "; gunzip it, or " + fetch;
    else
      error = "MNIST is missing: no file " + quoted(path) + "; " + fetch;
    return false;
  }

  IdxArray images, labels;
  if (!readIdx(imagesPath, 3, images, error) || !readIdx(labelsPath, 1, labels, error))
    return false;
  if (images.dims[0] != labels.dims[0]) {
    error = "MNIST in " + quoted(dir) + ": " + quoted(imagesPath) + " has " +
            std::to_string(images.dims[0]) + " images but " + quoted(labelsPath) + " has " +
            std::to_string(labels.dims[0]) + " labels";
    return false;
  }
  for (size_t i = 0; i < labels.data.size(); ++i)
    if (labels.data[i] > 9) {
      error = quoted(labelsPath) + ": label " + std::to_string(labels.data[i]) + " of sample " +
              std::to_string(i) + " is not a digit 0..9";
      return false;
    }

  Column pixels;
  pixels.name = "images";
  pixels.dtype = DNN_DTYPE_F32;
  pixels.shape = {images.dims[1], images.dims[2]};
  pixels.data.resize(images.data.size() * 4);
  float *f = reinterpret_cast<float *>(pixels.data.data());
  for (uint8_t v : images.data)
    *f++ = v / 255.0f;

  Column digits;
  digits.name = "labels";
  digits.dtype = DNN_DTYPE_I32;
  digits.data.resize(labels.data.size() * 4);
  int32_t *l = reinterpret_cast<int32_t *>(digits.data.data());
  for (uint8_t v : labels.data)
    *l++ = v;

  out.rows = images.dims[0];
  out.source =
      std::string("MNIST ") + (split == Split::Train ? "train" : "test") + " (" + dir + ")";
  out.columns.push_back(std::move(pixels));
  out.columns.push_back(std::move(digits));
  if (out.rows == 0) {
    error = out.source + " has no samples";
    return false;
  }
  return true;
}
