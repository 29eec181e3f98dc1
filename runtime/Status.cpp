//===- Status.cpp - Status names, last error and shared helpers -----------===//

#include "Internal.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <type_traits>

namespace {
// The message of the last failed call on this thread.
thread_local std::string lastError;
// Used instead of lastError when even formatting the message ran out of
// memory; a string literal, so it is always valid.
thread_local const char *lastErrorFallback = nullptr;
} // namespace

std::string dnnrt::vformat(const char *fmt, va_list args) {
  va_list copy;
  va_copy(copy, args);
  char small[256];
  int n = std::vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0)
    return fmt; // An encoding error; the raw format is better than nothing.
  if (static_cast<size_t>(n) < sizeof small)
    return std::string(small, n);
  std::string out(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(&out[0], out.size(), fmt, args);
  out.resize(n);
  return out;
}

dnn_status dnnrt::fail(dnn_status status, const char *fmt, ...) noexcept {
  va_list args;
  va_start(args, fmt);
  try {
    lastError = vformat(fmt, args);
    lastErrorFallback = nullptr;
  } catch (...) {
    lastError.clear();
    lastErrorFallback = "out of memory while reporting an error";
  }
  va_end(args);
  return status;
}

dnn_status dnnrt::succeed() noexcept {
  lastError.clear();
  lastErrorFallback = nullptr;
  return DNN_OK;
}

dnn_status dnnrt::failFromException(std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::bad_alloc &) {
    return fail(DNN_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return fail(DNN_ERROR_INTERNAL, "internal error: %s", e.what());
  } catch (...) {
    return fail(DNN_ERROR_INTERNAL, "internal error: unknown exception");
  }
}

std::string dnnrt::format(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string out;
  try {
    out = vformat(fmt, args);
  } catch (...) {
    va_end(args);
    throw;
  }
  va_end(args);
  return out;
}

std::string dnnrt::dtypeName(int32_t dtype) {
  const char *name = dnn_dtype_name(dtype);
  return name ? name : "dtype " + std::to_string(dtype);
}

bool dnnrt::numElements(const int64_t *dims, int32_t rank, int64_t &count) {
  count = 1;
  for (int32_t i = 0; i < rank; ++i) {
    if (dims[i] < 0 || __builtin_mul_overflow(count, dims[i], &count))
      return false;
  }
  return true;
}

std::string dnnrt::shapeString(const int64_t *dims, int32_t rank) {
  std::string s = "[";
  for (int32_t i = 0; i < rank; ++i) {
    if (i)
      s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

std::string dnnrt::shapeString(const dnn_tensor_info &info) {
  std::string s = "[";
  for (int32_t i = 0; i < info.rank; ++i) {
    if (i)
      s += ", ";
    const dnn_dim_info &d = info.dims[i];
    s += d.symbol ? std::string(d.symbol) : std::to_string(d.size);
  }
  return s + "]";
}

int64_t dnnrt::staticNumElements(const dnn_tensor_info &info) {
  int64_t count = 1;
  for (int32_t i = 0; i < info.rank; ++i) {
    const dnn_dim_info &d = info.dims[i];
    if (d.symbol || d.size < 0 || __builtin_mul_overflow(count, d.size, &count))
      return -1;
  }
  return count;
}

std::string dnnrt::joinNames(const std::vector<const char *> &names) {
  if (names.empty())
    return "(none)";
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i)
      s += ", ";
    s += names[i];
  }
  return s;
}

extern "C" const char *dnn_status_name(dnn_status status) {
  // C callers may pass any int; reading it as the C++ enum would be undefined
  // for values outside the enum's range, so read the bits as an integer.
  std::underlying_type_t<dnn_status> value;
  static_assert(sizeof value == sizeof status, "enum size");
  std::memcpy(&value, &status, sizeof value);
  switch (value) {
  case DNN_OK:
    return "DNN_OK";
  case DNN_ERROR_INVALID_ARGUMENT:
    return "DNN_ERROR_INVALID_ARGUMENT";
  case DNN_ERROR_NOT_FOUND:
    return "DNN_ERROR_NOT_FOUND";
  case DNN_ERROR_SHAPE_MISMATCH:
    return "DNN_ERROR_SHAPE_MISMATCH";
  case DNN_ERROR_DTYPE_MISMATCH:
    return "DNN_ERROR_DTYPE_MISMATCH";
  case DNN_ERROR_IO:
    return "DNN_ERROR_IO";
  case DNN_ERROR_FORMAT:
    return "DNN_ERROR_FORMAT";
  case DNN_ERROR_ABI_MISMATCH:
    return "DNN_ERROR_ABI_MISMATCH";
  case DNN_ERROR_OUT_OF_MEMORY:
    return "DNN_ERROR_OUT_OF_MEMORY";
  case DNN_ERROR_INTERNAL:
    return "DNN_ERROR_INTERNAL";
  case DNN_ERROR_NO_DEVICE:
    return "DNN_ERROR_NO_DEVICE";
  }
  return "DNN_ERROR_UNKNOWN";
}

extern "C" const char *dnn_last_error(void) {
  return lastErrorFallback ? lastErrorFallback : lastError.c_str();
}
