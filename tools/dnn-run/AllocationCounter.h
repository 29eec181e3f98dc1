//===- AllocationCounter.h - Heap calls made by the whole process ---------===//
//
// dnn-run defines malloc and friends (forwarding to glibc's __libc_*; under
// AddressSanitizer it counts through ASan's allocator hooks instead), so
// every heap call of the process, the dlopen'ed model library and its
// embedded runtime included, passes through a counter while counting is on.
// `dnn-run profile` reports the calls per steady-state step with it.
//
//===----------------------------------------------------------------------===//

#ifndef DNN_RUN_ALLOCATIONCOUNTER_H
#define DNN_RUN_ALLOCATIONCOUNTER_H

#include <cstdint>

namespace dnn {
/// Starts counting from zero.
void startCountingAllocations();
/// Stops counting; returns the heap calls (malloc, calloc, realloc and the
/// aligned forms) since the start.
int64_t stopCountingAllocations();
} // namespace dnn

#endif // DNN_RUN_ALLOCATIONCOUNTER_H
