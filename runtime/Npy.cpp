//===- Npy.cpp - NumPy .npy files ------------------------------------------===//
//
// Reads format versions 1.0, 2.0 and 3.0 and writes 1.0, for little-endian
// float32 ('<f4') and int32 ('<i4') arrays in C order. The format:
//
//   "\x93NUMPY" major minor   header length (u16 LE for 1.0, u32 LE after)
//   header: a Python dict literal, e.g.
//     {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//   padded with spaces and a final '\n', then the raw array data.
//
// Files come from users, so every field is checked and a bad file is an
// error naming the file, never a crash.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <sys/stat.h>

// Array data is copied to and from memory as is.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "npy I/O assumes a little-endian host");

using namespace dnnrt;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// Data starts at a multiple of this in the files we write (as NumPy does).
constexpr size_t kDataAlignment = 64;

struct FileCloser {
  void operator()(std::FILE *f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

/// The fields of a .npy header.
struct Header {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// A recursive-descent parser for the subset of Python literals that .npy
/// headers use: a dict of string keys to strings, booleans and int tuples.
class HeaderParser {
public:
  HeaderParser(const char *path, std::string_view text) : path(path), text(text) {}

  dnn_status parse(Header &header) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return malformed("expected '{'");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return malformed("expected a string key or '}'");
      skipSpace();
      if (!consume(':'))
        return malformed(format("expected ':' after '%s'", key.c_str()));
      skipSpace();
      bool *seen;
      if (key == "descr") {
        seen = &haveDescr;
        if (peek() == '[')
          return fail(DNN_ERROR_DTYPE_MISMATCH,
                      "'%s': unsupported structured dtype; expected '<f4' (float32) or '<i4' "
                      "(int32)",
                      path);
        if (!parseString(header.descr))
          return malformed("'descr' is not a string");
      } else if (key == "fortran_order") {
        seen = &haveOrder;
        if (!parseBool(header.fortranOrder))
          return malformed("'fortran_order' is not True or False");
      } else if (key == "shape") {
        seen = &haveShape;
        if (dnn_status status = parseShape(header.shape))
          return status;
      } else {
        return malformed(format("unexpected key '%s'", key.c_str()));
      }
      if (*seen)
        return malformed(format("duplicate key '%s'", key.c_str()));
      *seen = true;
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (!consume('}'))
        return malformed("expected ',' or '}'");
      break;
    }
    skipSpace();
    if (pos != text.size())
      return malformed("unexpected text after the dictionary");
    if (!haveDescr)
      return malformed("missing key 'descr'");
    if (!haveOrder)
      return malformed("missing key 'fortran_order'");
    if (!haveShape)
      return malformed("missing key 'shape'");
    return DNN_OK;
  }

private:
  dnn_status malformed(const std::string &why) {
    return fail(DNN_ERROR_FORMAT, "'%s': malformed .npy header: %s", path, why.c_str());
  }

  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  bool consume(char c) {
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  void skipSpace() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  bool consumeWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    // Not a prefix of a longer identifier ("Trueish").
    size_t end = pos + word.size();
    if (end < text.size() && (std::isalnum((unsigned char)text[end]) || text[end] == '_'))
      return false;
    pos = end;
    return true;
  }

  // 'abc' or "abc"; escapes never occur in the fields we accept.
  bool parseString(std::string &out) {
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return false;
    size_t end = text.find(quote, pos + 1);
    if (end == std::string_view::npos)
      return false;
    std::string_view body = text.substr(pos + 1, end - pos - 1);
    if (body.find('\\') != std::string_view::npos || body.find('\n') != std::string_view::npos)
      return false;
    out.assign(body);
    pos = end + 1;
    return true;
  }

  bool parseBool(bool &out) {
    if (consumeWord("True"))
      return out = true, true;
    if (consumeWord("False"))
      return out = false, true;
    return false;
  }

  // (), (3,), (3, 4) with an optional trailing comma; Python 2 long
  // literals ("3L") appear in old files.
  dnn_status parseShape(std::vector<int64_t> &shape) {
    if (!consume('('))
      return malformed("'shape' is not a tuple");
    shape.clear();
    while (true) {
      skipSpace();
      if (consume(')'))
        return DNN_OK;
      bool negative = consume('-');
      if (!std::isdigit((unsigned char)peek()))
        return malformed("'shape' is not a tuple of integers");
      int64_t value = 0;
      while (std::isdigit((unsigned char)peek())) {
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, text[pos] - '0', &value))
          return fail(DNN_ERROR_FORMAT, "'%s': dimension %zu of the shape is too large", path,
                      shape.size());
        ++pos;
      }
      consume('L');
      if (negative && value != 0)
        return fail(DNN_ERROR_FORMAT, "'%s': negative dimension -%lld in the shape", path,
                    (long long)value);
      shape.push_back(value);
      skipSpace();
      if (consume(')'))
        return DNN_OK;
      if (!consume(','))
        return malformed("expected ',' or ')' in 'shape'");
    }
  }

  const char *path;
  std::string_view text;
  size_t pos = 0;
};

uint32_t readLE(const unsigned char *p, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i)
    value = value << 8 | p[i];
  return value;
}

dnn_status npyRead(const char *path, dnn_tensor *tensor) {
  // Zeroed first so that a failed read leaves nothing to free.
  if (tensor)
    *tensor = dnn_tensor{};
  if (!path || !tensor)
    return fail(DNN_ERROR_INVALID_ARGUMENT, "dnn_npy_read: %s is null", path ? "tensor" : "path");

  File file(std::fopen(path, "rb"));
  if (!file)
    return fail(errno == ENOENT ? DNN_ERROR_NOT_FOUND : DNN_ERROR_IO, "'%s': cannot open: %s",
                path, std::strerror(errno));
  struct stat st;
  if (::fstat(fileno(file.get()), &st) != 0)
    return fail(DNN_ERROR_IO, "'%s': cannot read: %s", path, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(DNN_ERROR_IO, "'%s': not a regular file", path);
  uint64_t fileSize = (uint64_t)st.st_size;

  // Preamble: magic, version, header length.
  unsigned char preamble[12];
  size_t got = std::fread(preamble, 1, 8, file.get());
  if (got < kMagicSize || std::memcmp(preamble, kMagic, kMagicSize) != 0)
    return fail(DNN_ERROR_FORMAT, "'%s': not a .npy file (bad magic)", path);
  if (got < 8)
    return fail(DNN_ERROR_FORMAT, "'%s': truncated .npy preamble", path);
  int major = preamble[6], minor = preamble[7];
  if (major < 1 || major > 3 || minor != 0)
    return fail(DNN_ERROR_FORMAT, "'%s': unsupported .npy format version %d.%d", path, major,
                minor);
  int lengthBytes = major == 1 ? 2 : 4;
  if (std::fread(preamble + 8, 1, lengthBytes, file.get()) != (size_t)lengthBytes)
    return fail(DNN_ERROR_FORMAT, "'%s': truncated .npy preamble", path);
  uint64_t headerLength = readLE(preamble + 8, lengthBytes);
  uint64_t dataOffset = 8 + lengthBytes + headerLength;
  if (dataOffset > fileSize)
    return fail(DNN_ERROR_FORMAT, "'%s': truncated .npy header (%llu bytes, file has %llu)",
                path, (unsigned long long)headerLength,
                (unsigned long long)(fileSize - 8 - lengthBytes));

  std::string text(headerLength, '\0');
  if (std::fread(&text[0], 1, headerLength, file.get()) != headerLength)
    return fail(DNN_ERROR_IO, "'%s': cannot read the header", path);
  Header header;
  if (dnn_status status = HeaderParser(path, text).parse(header))
    return status;

  int32_t dtype;
  if (header.descr == "<f4")
    dtype = DNN_DTYPE_F32;
  else if (header.descr == "<i4")
    dtype = DNN_DTYPE_I32;
  else
    return fail(DNN_ERROR_DTYPE_MISMATCH,
                "'%s': unsupported dtype '%s'; expected '<f4' (float32) or '<i4' (int32)", path,
                header.descr.c_str());
  if (header.fortranOrder)
    return fail(DNN_ERROR_FORMAT,
                "'%s': Fortran-order arrays are not supported; save a C-order array "
                "(numpy.ascontiguousarray)",
                path);
  if (header.shape.size() > DNN_MAX_RANK)
    return fail(DNN_ERROR_SHAPE_MISMATCH, "'%s': rank %zu exceeds the maximum of %d", path,
                header.shape.size(), DNN_MAX_RANK);
  int32_t rank = (int32_t)header.shape.size();
  int64_t count, bytes;
  if (!numElements(header.shape.data(), rank, count) ||
      __builtin_mul_overflow(count, (int64_t)dtypeSize(dtype), &bytes))
    return fail(DNN_ERROR_FORMAT, "'%s': shape %s is too large", path,
                shapeString(header.shape.data(), rank).c_str());

  uint64_t available = fileSize - dataOffset;
  if (available != (uint64_t)bytes) {
    std::string what = format("shape %s of %s needs %lld bytes of data, ",
                              shapeString(header.shape.data(), rank).c_str(),
                              dtypeName(dtype).c_str(), (long long)bytes);
    if (available < (uint64_t)bytes)
      return fail(DNN_ERROR_FORMAT, "'%s': truncated data: %sfile has %llu", path, what.c_str(),
                  (unsigned long long)available);
    return fail(DNN_ERROR_FORMAT, "'%s': trailing data: %sfile has %llu", path, what.c_str(),
                (unsigned long long)available);
  }

  // Never null, even for an empty array, so that callers can tell a read
  // tensor from a zeroed one.
  std::unique_ptr<void, FreeDeleter> data(std::malloc(bytes ? (size_t)bytes : 1));
  if (!data)
    return fail(DNN_ERROR_OUT_OF_MEMORY, "'%s': out of memory for %lld bytes of data", path,
                (long long)bytes);
  if (std::fread(data.get(), 1, (size_t)bytes, file.get()) != (size_t)bytes)
    return fail(DNN_ERROR_IO, "'%s': cannot read the data", path);

  tensor->name = nullptr;
  tensor->dtype = dtype;
  tensor->rank = rank;
  for (int32_t i = 0; i < rank; ++i)
    tensor->dims[i] = header.shape[i];
  tensor->data = data.release();
  return DNN_OK;
}

std::string headerText(const dnn_tensor &tensor) {
  std::string text = "{'descr': '";
  text += tensor.dtype == DNN_DTYPE_F32 ? "<f4" : "<i4";
  text += "', 'fortran_order': False, 'shape': (";
  for (int32_t i = 0; i < tensor.rank; ++i) {
    if (i)
      text += ", ";
    text += std::to_string(tensor.dims[i]);
  }
  text += tensor.rank == 1 ? ",), }" : "), }";
  // Spaces, then '\n' as the last header byte, up to the data alignment.
  size_t prefix = 10; // magic, version, u16 length
  size_t total = (prefix + text.size() + 1 + kDataAlignment - 1) / kDataAlignment * kDataAlignment;
  text.append(total - prefix - text.size() - 1, ' ');
  text += '\n';
  return text;
}

dnn_status npyWrite(const char *path, const dnn_tensor *tensor) {
  if (!path || !tensor)
    return fail(DNN_ERROR_INVALID_ARGUMENT, "dnn_npy_write: %s is null",
                path ? "tensor" : "path");
  const char *name = tensor->name ? tensor->name : "tensor";
  if (tensor->dtype != DNN_DTYPE_F32 && tensor->dtype != DNN_DTYPE_I32)
    return fail(DNN_ERROR_DTYPE_MISMATCH, "'%s': cannot write '%s' of %s; expected f32 or i32",
                path, name, dtypeName(tensor->dtype).c_str());
  if (tensor->rank < 0 || tensor->rank > DNN_MAX_RANK)
    return fail(DNN_ERROR_INVALID_ARGUMENT, "'%s': '%s' has rank %d, expected 0 to %d", path,
                name, tensor->rank, DNN_MAX_RANK);
  int64_t count, bytes;
  if (!numElements(tensor->dims, tensor->rank, count) ||
      __builtin_mul_overflow(count, (int64_t)dtypeSize(tensor->dtype), &bytes))
    return fail(DNN_ERROR_INVALID_ARGUMENT, "'%s': '%s' has invalid shape %s", path, name,
                shapeString(tensor->dims, tensor->rank).c_str());
  if (!tensor->data && bytes)
    return fail(DNN_ERROR_INVALID_ARGUMENT, "'%s': '%s' has no data", path, name);

  std::string header = headerText(*tensor);
  unsigned char preamble[10];
  std::memcpy(preamble, kMagic, kMagicSize);
  preamble[6] = 1;
  preamble[7] = 0;
  preamble[8] = header.size() & 0xff;
  preamble[9] = header.size() >> 8 & 0xff;

  File file(std::fopen(path, "wb"));
  if (!file)
    return fail(errno == ENOENT ? DNN_ERROR_NOT_FOUND : DNN_ERROR_IO, "'%s': cannot create: %s",
                path, std::strerror(errno));
  bool ok = std::fwrite(preamble, 1, sizeof preamble, file.get()) == sizeof preamble &&
            std::fwrite(header.data(), 1, header.size(), file.get()) == header.size() &&
            std::fwrite(tensor->data, 1, (size_t)bytes, file.get()) == (size_t)bytes;
  int error = ok ? 0 : errno;
  // fclose flushes, so its failure (disk full) loses data too.
  if (std::fclose(file.release()) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    std::remove(path); // Do not leave a truncated file behind.
    return fail(DNN_ERROR_IO, "'%s': cannot write: %s", path,
                std::strerror(error ? error : EIO));
  }
  return DNN_OK;
}

} // namespace

extern "C" dnn_status dnn_npy_read(const char *path, dnn_tensor *tensor) {
  return guarded([&] { return npyRead(path, tensor); });
}

extern "C" dnn_status dnn_npy_write(const char *path, const dnn_tensor *tensor) {
  return guarded([&] { return npyWrite(path, tensor); });
}

extern "C" void dnn_tensor_free(dnn_tensor *tensor) {
  if (!tensor)
    return;
  std::free(tensor->data);
  tensor->data = nullptr;
}
