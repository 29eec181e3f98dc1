//===- CUDADriver.cpp - CUDA devices and kernel launches -------------------===//
//
// The driver is found at run time, so a model library built for CUDA loads,
// and reports why it cannot run, on a machine without one. The mgpu* functions
// are what MLIR's gpu-to-llvm lowering calls for each gpu.launch_func (module
// load, function lookup, stream, launch); generated code cannot take a status
// back from them, so a failure is recorded for the runtime to report after
// the entry returns (takePendingError) and the calls after it do nothing.
//
//===----------------------------------------------------------------------===//

#include "CUDADriver.h"
#include "Internal.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

using namespace dnnrt;
using namespace dnnrt::cuda;

namespace {

using GetProcAddress = CUresult (*)(const char *symbol, void **function, int cudaVersion,
                                    uint64_t flags, int *symbolStatus);
/// The API version the entry points are requested for: the CUDA 12.0 ABI of
/// each function (cuDeviceTotalMem_v2, cuStreamDestroy_v2, ...).
constexpr int requestedVersion = 12000;

struct Loaded {
  std::unique_ptr<Driver> driver;
  std::string error;
};

const char *errorName(const Driver &driver, CUresult result) {
  const char *name = nullptr;
  if (driver.cuGetErrorName && driver.cuGetErrorName(result, &name) == CUDA_SUCCESS && name)
    return name;
  return "CUDA error";
}

Loaded load() {
  Loaded out;
  const char *path = std::getenv("DNN_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    out.error = format("no CUDA driver: cannot load %s (%s)", path, why ? why : "unknown error");
    return out;
  }
  auto getProc = reinterpret_cast<GetProcAddress>(dlsym(handle, "cuGetProcAddress_v2"));
  if (!getProc) {
    out.error = format("no CUDA driver: %s has no cuGetProcAddress_v2 (a driver older than "
                       "CUDA 12)",
                       path);
    return out;
  }
  auto driver = std::make_unique<Driver>();
  struct Entry {
    const char *name;
    void **slot;
  } entries[] = {
      {"cuInit", reinterpret_cast<void **>(&driver->cuInit)},
      {"cuGetErrorName", reinterpret_cast<void **>(&driver->cuGetErrorName)},
      {"cuDeviceGetCount", reinterpret_cast<void **>(&driver->cuDeviceGetCount)},
      {"cuDeviceGet", reinterpret_cast<void **>(&driver->cuDeviceGet)},
      {"cuDeviceGetAttribute", reinterpret_cast<void **>(&driver->cuDeviceGetAttribute)},
      {"cuDeviceGetName", reinterpret_cast<void **>(&driver->cuDeviceGetName)},
      {"cuDeviceTotalMem", reinterpret_cast<void **>(&driver->cuDeviceTotalMem)},
      {"cuDevicePrimaryCtxRetain", reinterpret_cast<void **>(&driver->cuDevicePrimaryCtxRetain)},
      {"cuCtxSetCurrent", reinterpret_cast<void **>(&driver->cuCtxSetCurrent)},
      {"cuModuleLoadData", reinterpret_cast<void **>(&driver->cuModuleLoadData)},
      {"cuModuleUnload", reinterpret_cast<void **>(&driver->cuModuleUnload)},
      {"cuModuleGetFunction", reinterpret_cast<void **>(&driver->cuModuleGetFunction)},
      {"cuLaunchKernel", reinterpret_cast<void **>(&driver->cuLaunchKernel)},
      {"cuStreamCreate", reinterpret_cast<void **>(&driver->cuStreamCreate)},
      {"cuStreamSynchronize", reinterpret_cast<void **>(&driver->cuStreamSynchronize)},
      {"cuStreamDestroy", reinterpret_cast<void **>(&driver->cuStreamDestroy)},
      {"cuMemAllocManaged", reinterpret_cast<void **>(&driver->cuMemAllocManaged)},
      {"cuMemFree", reinterpret_cast<void **>(&driver->cuMemFree)},
      {"cuMemcpyDtoH", reinterpret_cast<void **>(&driver->cuMemcpyDtoH)},
  };
  for (const Entry &entry : entries) {
    int symbolStatus = 0;
    CUresult result = getProc(entry.name, entry.slot, requestedVersion, 0, &symbolStatus);
    if (result == CUDA_ERROR_STUB_LIBRARY) {
      out.error = format("no CUDA driver: %s is the CUDA toolkit's stub library, not a driver",
                         path);
      return out;
    }
    if (result != CUDA_SUCCESS || !*entry.slot) {
      out.error = format("no CUDA driver: %s does not provide %s", path, entry.name);
      return out;
    }
  }

  CUresult result = driver->cuInit(0);
  if (result == CUDA_ERROR_STUB_LIBRARY) {
    out.error =
        format("no CUDA driver: %s is the CUDA toolkit's stub library, not a driver", path);
    return out;
  }
  if (result == CUDA_ERROR_NO_DEVICE) {
    out.error = "no device: the CUDA driver finds no GPU (cuInit: CUDA_ERROR_NO_DEVICE)";
    return out;
  }
  if (result != CUDA_SUCCESS) {
    out.error = "no device: " + describe("cuInit", result);
    return out;
  }
  int count = 0;
  if ((result = driver->cuDeviceGetCount(&count)) != CUDA_SUCCESS) {
    out.error = "no device: " + describe("cuDeviceGetCount", result);
    return out;
  }
  if (count < 1) {
    out.error = "no device: the CUDA driver reports no GPU";
    return out;
  }
  CUdevice device = 0;
  if ((result = driver->cuDeviceGet(&device, 0)) != CUDA_SUCCESS ||
      (result = driver->cuDevicePrimaryCtxRetain(&driver->context, device)) != CUDA_SUCCESS) {
    out.error = "no device: " + describe("cuDevicePrimaryCtxRetain", result);
    return out;
  }
  out.driver = std::move(driver);
  return out;
}

const Loaded &loaded() {
  // Never destroyed: a library's destructor unloads its module at exit,
  // after static destructors may have run.
  static const Loaded *instance = new Loaded(load());
  return *instance;
}

/// The driver with device 0's primary context current on this thread.
const Driver *currentDriver() {
  const Driver *driver = getDriver();
  thread_local bool contextSet = false;
  if (driver && !contextSet) {
    if (driver->cuCtxSetCurrent(driver->context) != CUDA_SUCCESS)
      return nullptr;
    contextSet = true;
  }
  return driver;
}

/// Kernel functions by (module, name): every launch of generated code asks
/// for its function again, and the name is the library's constant string.
/// Never destroyed, like the driver state (loaded()): a library's destructor
/// unloads its module at exit, after static destructors may have run.
std::mutex &functionsMutex = *new std::mutex;
std::map<std::pair<void *, const char *>, CUfunction> &functions =
    *new std::map<std::pair<void *, const char *>, CUfunction>;

thread_local std::string pendingError;
thread_local CUstream entryStream = nullptr;

/// Records the first failure since the last takePendingError.
void recordFailure(const std::string &message) {
  if (pendingError.empty())
    pendingError = message;
}

/// The driver for a generated call, or null (with the reason recorded)
/// when there is none or an earlier call of this entry failed.
const Driver *driverForGeneratedCode() {
  if (!pendingError.empty())
    return nullptr;
  const Driver *driver = currentDriver();
  if (!driver)
    recordFailure(loaded().error);
  return driver;
}

bool check(const char *call, CUresult result) {
  if (result == CUDA_SUCCESS)
    return true;
  recordFailure(describe(call, result));
  return false;
}

} // namespace

const Driver *dnnrt::cuda::getDriver() {
  const Loaded &state = loaded();
  if (!state.driver) {
    fail(DNN_ERROR_NO_DEVICE, "%s", state.error.c_str());
    return nullptr;
  }
  return state.driver.get();
}

std::string dnnrt::cuda::describe(const char *call, CUresult result) {
  const Loaded &state = loaded();
  const char *name = state.driver ? errorName(*state.driver, result) : "CUDA error";
  return format("%s: %s (%d)", call, name, result);
}

void *dnnrt::cuda::allocateManaged(size_t bytes) {
  const Driver *driver = currentDriver();
  uint64_t pointer = 0;
  constexpr unsigned attachGlobal = 1; // CU_MEM_ATTACH_GLOBAL
  if (!driver || driver->cuMemAllocManaged(&pointer, bytes, attachGlobal) != CUDA_SUCCESS)
    return nullptr;
  return reinterpret_cast<void *>(pointer);
}

void dnnrt::cuda::freeManaged(void *pointer) {
  const Loaded &state = loaded();
  if (pointer && state.driver)
    state.driver->cuMemFree(reinterpret_cast<uint64_t>(pointer));
}

bool dnnrt::cuda::copyToHost(void *host, const void *device, size_t bytes) {
  const Driver *driver = currentDriver();
  if (!driver)
    return false;
  if (CUresult result =
          driver->cuMemcpyDtoH(host, reinterpret_cast<uint64_t>(device), bytes);
      result != CUDA_SUCCESS) {
    fail(DNN_ERROR_INVALID_ARGUMENT, "%s", describe("cuMemcpyDtoH", result).c_str());
    return false;
  }
  return true;
}

CUstream dnnrt::cuda::createStream() {
  const Driver *driver = currentDriver();
  if (!driver)
    return nullptr;
  CUstream stream = nullptr;
  if (CUresult result = driver->cuStreamCreate(&stream, /*non-blocking*/ 1);
      result != CUDA_SUCCESS) {
    fail(DNN_ERROR_NO_DEVICE, "%s", describe("cuStreamCreate", result).c_str());
    return nullptr;
  }
  return stream;
}

void dnnrt::cuda::destroyStream(CUstream stream) {
  const Loaded &state = loaded();
  if (stream && state.driver)
    state.driver->cuStreamDestroy(stream);
}

void dnnrt::cuda::setEntryStream(CUstream stream) { entryStream = stream; }

void dnnrt::cuda::synchronize(CUstream stream) {
  const Driver *driver = currentDriver();
  if (driver && stream)
    check("cuStreamSynchronize", driver->cuStreamSynchronize(stream));
}

std::string dnnrt::cuda::takePendingError() {
  std::string error;
  error.swap(pendingError);
  return error;
}

//===----------------------------------------------------------------------===//
// The C API
//===----------------------------------------------------------------------===//

extern "C" dnn_status dnn_cuda_device_count(int32_t *count) {
  if (!count)
    return fail(DNN_ERROR_INVALID_ARGUMENT, "dnn_cuda_device_count: count is null");
  const Driver *driver = getDriver();
  if (!driver)
    return DNN_ERROR_NO_DEVICE;
  int n = 0;
  if (CUresult result = driver->cuDeviceGetCount(&n); result != CUDA_SUCCESS)
    return fail(DNN_ERROR_NO_DEVICE, "%s", describe("cuDeviceGetCount", result).c_str());
  *count = n;
  return succeed();
}

extern "C" dnn_status dnn_cuda_device_get(int32_t ordinal, dnn_cuda_device_info *info) {
  if (!info)
    return fail(DNN_ERROR_INVALID_ARGUMENT, "dnn_cuda_device_get: info is null");
  int32_t count = 0;
  if (dnn_status status = dnn_cuda_device_count(&count); status != DNN_OK)
    return status;
  if (ordinal < 0 || ordinal >= count)
    return fail(DNN_ERROR_NOT_FOUND, "no CUDA device %d: there %s %d", ordinal,
                count == 1 ? "is" : "are", count);
  const Driver &driver = *getDriver();
  CUdevice device = 0;
  dnn_cuda_device_info out{};
  out.ordinal = ordinal;
  size_t bytes = 0;
  CUresult result = driver.cuDeviceGet(&device, ordinal);
  if (result == CUDA_SUCCESS)
    result = driver.cuDeviceGetAttribute(&out.major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                                         device);
  if (result == CUDA_SUCCESS)
    result = driver.cuDeviceGetAttribute(&out.minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                                         device);
  if (result == CUDA_SUCCESS)
    result = driver.cuDeviceGetAttribute(&out.multiprocessors,
                                         CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
  if (result == CUDA_SUCCESS)
    result = driver.cuDeviceTotalMem(&bytes, device);
  if (result == CUDA_SUCCESS)
    result = driver.cuDeviceGetName(out.name, sizeof out.name - 1, device);
  if (result != CUDA_SUCCESS)
    return fail(DNN_ERROR_NO_DEVICE, "CUDA device %d: %s", ordinal,
                describe("device query", result).c_str());
  out.total_memory = static_cast<int64_t>(bytes);
  *info = out;
  return succeed();
}

//===----------------------------------------------------------------------===//
// What gpu-to-llvm's launches call (MLIR's runtime wrapper ABI)
//===----------------------------------------------------------------------===//

extern "C" {

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  const Driver *driver = driverForGeneratedCode();
  CUmodule module = nullptr;
  if (driver && !check("cuModuleLoadData", driver->cuModuleLoadData(&module, data)))
    return nullptr;
  return module;
}

/// PTX: the driver compiles it for the device at load time.
void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) { return mgpuModuleLoad(data, 0); }

void mgpuModuleUnload(void *module) {
  {
    // A module handle the driver hands out again must not find these.
    std::lock_guard<std::mutex> lock(functionsMutex);
    functions.erase(functions.lower_bound({module, nullptr}),
                    functions.upper_bound({module, reinterpret_cast<const char *>(UINTPTR_MAX)}));
  }
  // At unload the entry may have failed; unloading what loaded is still due.
  const Loaded &state = loaded();
  if (module && state.driver)
    state.driver->cuModuleUnload(static_cast<CUmodule>(module));
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  const Driver *driver = driverForGeneratedCode();
  if (!driver)
    return nullptr;
  if (!module) {
    recordFailure(format("the kernels of this library were not loaded, so kernel %s cannot run",
                         name));
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(functionsMutex);
  CUfunction &function = functions[{module, name}];
  if (!function &&
      !check("cuModuleGetFunction",
             driver->cuModuleGetFunction(&function, static_cast<CUmodule>(module), name)))
    return nullptr;
  return function;
}

void *mgpuStreamCreate() {
  if (entryStream)
    return entryStream;
  const Driver *driver = driverForGeneratedCode();
  CUstream stream = nullptr;
  if (driver)
    check("cuStreamCreate", driver->cuStreamCreate(&stream, /*non-blocking*/ 1));
  return stream;
}

void mgpuStreamSynchronize(void *stream) {
  if (stream && stream == entryStream)
    return; // the entry waits once, at its end
  if (const Driver *driver = driverForGeneratedCode())
    check("cuStreamSynchronize", driver->cuStreamSynchronize(static_cast<CUstream>(stream)));
}

void mgpuStreamDestroy(void *stream) {
  if (stream && stream == entryStream)
    return; // the session's, destroyed with it
  const Loaded &state = loaded();
  if (stream && state.driver)
    state.driver->cuStreamDestroy(static_cast<CUstream>(stream));
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t sharedBytes,
                      void *stream, void **params, void **extra, size_t /*paramsCount*/) {
  const Driver *driver = driverForGeneratedCode();
  if (!driver || !function)
    return;
  // Grids are computed from dynamic sizes: a dimension past the driver's
  // 32-bit limit (or empty) is reported, not truncated.
  for (intptr_t dim : {gridX, gridY, gridZ, blockX, blockY, blockZ})
    if (dim < 0 || dim > INT32_MAX) {
      recordFailure(format("a kernel launch needs a grid or block dimension of %lld, outside "
                           "what CUDA launches",
                           static_cast<long long>(dim)));
      return;
    }
  if (gridX == 0 || gridY == 0 || gridZ == 0)
    return; // nothing to compute: a batch of size 0
  check("cuLaunchKernel",
        driver->cuLaunchKernel(static_cast<CUfunction>(function), gridX, gridY, gridZ, blockX,
                               blockY, blockZ, sharedBytes, static_cast<CUstream>(stream),
                               params, extra));
}

} // extern "C"
