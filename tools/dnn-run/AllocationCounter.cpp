//===- AllocationCounter.cpp - Counting malloc in dnn-run -----------------===//

#include "AllocationCounter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define DNN_RUN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DNN_RUN_ASAN 1
#endif
#endif

#ifdef DNN_RUN_ASAN
#include <sanitizer/allocator_interface.h>
#else
extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);
}
#endif

namespace {
std::atomic<bool> counting{false};
std::atomic<int64_t> calls{0};
inline void count() {
  if (counting.load(std::memory_order_relaxed))
    calls.fetch_add(1, std::memory_order_relaxed);
}
} // namespace

void dnn::startCountingAllocations() {
  calls.store(0);
  counting.store(true);
}

int64_t dnn::stopCountingAllocations() {
  counting.store(false);
  return calls.load();
}

#ifdef DNN_RUN_ASAN
// Under AddressSanitizer the heap is ASan's: replacing malloc here would
// hand its pointers to glibc's free. Its hooks see every call instead.
namespace {
void onMalloc(const volatile void *, size_t) { count(); }
void onFree(const volatile void *) {}
struct InstallHooks {
  InstallHooks() { __sanitizer_install_malloc_and_free_hooks(onMalloc, onFree); }
} installHooks;
} // namespace
#else
extern "C" {
void *malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void *realloc(void *p, size_t size) {
  count();
  return __libc_realloc(p, size);
}
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
  count();
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  void *p = __libc_memalign(alignment, size);
  if (!p && size)
    return ENOMEM;
  *out = p;
  return 0;
}
}
#endif
