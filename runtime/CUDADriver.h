//===- CUDADriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// The few driver entry points the runtime calls, resolved from libcuda.so.1
// through cuGetProcAddress (CUDA 12+ maps names to versioned symbols, so a
// plain dlsym of "cuMemAlloc" would find the old ABI). The types are the
// driver's, declared here so that building the runtime needs no CUDA.
//
//===----------------------------------------------------------------------===//
#ifndef DNNRT_CUDADRIVER_H
#define DNNRT_CUDADRIVER_H

#include "dnn/runtime.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace dnnrt::cuda {

using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;

constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_STUB_LIBRARY = 34;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

struct Driver {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuGetErrorName)(CUresult error, const char **name);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
  CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
  CUresult (*cuDeviceTotalMem)(size_t *bytes, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
  CUresult (*cuCtxSetCurrent)(CUcontext context);
  CUresult (*cuModuleLoadData)(CUmodule *module, const void *image);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module, const char *name);
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned gridX, unsigned gridY, unsigned gridZ,
                             unsigned blockX, unsigned blockY, unsigned blockZ,
                             unsigned sharedBytes, CUstream stream, void **params, void **extra);
  CUresult (*cuStreamCreate)(CUstream *stream, unsigned flags);
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuStreamDestroy)(CUstream stream);
  CUresult (*cuMemAllocManaged)(uint64_t *pointer, size_t bytes, unsigned flags);
  CUresult (*cuMemFree)(uint64_t pointer);
  CUresult (*cuMemcpyDtoH)(void *host, uint64_t device, size_t bytes);
  /// The primary context of device 0, current on the loading thread.
  CUcontext context = nullptr;
};

/// The driver, loaded and initialised once per process with device 0's
/// primary context; null when there is none, with the reason (DNN_ERROR_NO_DEVICE
/// and dnn_last_error) left by dnnrt::fail.
const Driver *getDriver();

/// `bytes` of managed memory (one address for the host and the device), or
/// null when there is no driver or the allocation fails.
void *allocateManaged(size_t bytes);
void freeManaged(void *pointer);
/// Copies `bytes` from device address `device` to the host (a session's
/// class-index inputs given in device memory, to be checked). False, with
/// the reason set by fail(), when the copy fails.
bool copyToHost(void *host, const void *device, size_t bytes);

/// A session's stream: every kernel of its entries goes there in order, and
/// the host waits once per entry instead of after every launch. Null (with
/// the reason set by fail()) when it cannot be created.
CUstream createStream();
void destroyStream(CUstream stream);
/// While set, the streams generated code creates, waits for and destroys at
/// each launch are this one, and the waits and destructions do nothing.
void setEntryStream(CUstream stream);
/// Waits for `stream`; a failure (an asynchronous kernel error) is kept for
/// takePendingError.
void synchronize(CUstream stream);

/// "cuLaunchKernel: CUDA_ERROR_INVALID_VALUE (1)".
std::string describe(const char *call, CUresult result);

/// Launch failures of generated code (the mgpu* calls cannot return one):
/// the first since the last take, or an empty string.
std::string takePendingError();

} // namespace dnnrt::cuda

#endif // DNNRT_CUDADRIVER_H
