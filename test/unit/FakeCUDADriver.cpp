//===- FakeCUDADriver.cpp - A libcuda.so.1 that records, for tests --------===//
//
// Test-only: the CUDA driver entry points the runtime resolves, through
// cuGetProcAddress_v2 as the real driver hands them out, backed by a log of
// the calls instead of a GPU (kernels do not run; managed memory is host
// memory). One device, "Fake H100", sm_90, 132 SMs, 80 GB; FAKE_CUDA_DEVICES=0
// makes it report none. fakeCudaLog() returns the log, FAKE_CUDA_LOG=file
// writes it there at exit.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {
// Never destroyed: a model library unloads its module from its destructor,
// which runs at exit after this library's static destructors.
std::string &log = *new std::string;
int module;   // their addresses are the handles
int function;
int stream;
int context;

void record(const std::string &line) { log += line + "\n"; }

int cuInit(unsigned) {
  const char *devices = std::getenv("FAKE_CUDA_DEVICES");
  return devices && std::atoi(devices) == 0 ? 100 /*CUDA_ERROR_NO_DEVICE*/ : 0;
}
int cuGetErrorName(int error, const char **name) {
  *name = error == 1 ? "CUDA_ERROR_INVALID_VALUE" : "CUDA_ERROR_UNKNOWN";
  return 0;
}
int cuDeviceGetCount(int *count) {
  *count = 1;
  return 0;
}
int cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return ordinal == 0 ? 0 : 101 /*CUDA_ERROR_INVALID_DEVICE*/;
}
int cuDeviceGetAttribute(int *value, int attribute, int) {
  *value = attribute == 75 ? 9 : attribute == 76 ? 0 : attribute == 16 ? 132 : 0;
  return 0;
}
int cuDeviceGetName(char *name, int length, int) {
  std::snprintf(name, length, "Fake H100");
  return 0;
}
int cuDeviceTotalMem(size_t *bytes, int) {
  *bytes = size_t(80) << 30;
  return 0;
}
int cuDevicePrimaryCtxRetain(void **ctx, int) {
  *ctx = &context;
  return 0;
}
int cuCtxSetCurrent(void *ctx) { return ctx == &context ? 0 : 1; }
int cuModuleLoadData(void **out, const void *image) {
  // What the driver would take: a fatbin (its magic) or PTX text.
  uint32_t magic;
  std::memcpy(&magic, image, sizeof magic);
  const char *text = static_cast<const char *>(image);
  record(magic == 0xBA55ED50u ? "load fatbin"
         : std::strncmp(text, "//", 2) == 0 ? "load ptx " + std::string(text, 12)
                                            : "load ?");
  *out = &module;
  return 0;
}
int cuModuleUnload(void *m) {
  record(m == &module ? "unload" : "unload ?");
  return 0;
}
int cuModuleGetFunction(void **out, void *m, const char *name) {
  if (m != &module || std::strcmp(name, "missing") == 0)
    return 500; // CUDA_ERROR_NOT_FOUND
  record(std::string("function ") + name);
  *out = &function;
  return 0;
}
int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                   unsigned bz, unsigned shared, void *s, void **params, void **) {
  if (f != &function)
    return 1;
  char line[256];
  // The first two kernel arguments, read as 64-bit integers (index values).
  std::snprintf(line, sizeof line, "launch grid %u,%u,%u block %u,%u,%u shared %u stream %s args %lld %lld",
                gx, gy, gz, bx, by, bz, shared, s == &stream ? "ok" : "?",
                static_cast<long long>(*static_cast<int64_t *>(params[0])),
                static_cast<long long>(*static_cast<int64_t *>(params[1])));
  record(line);
  return bx > 1024 ? 1 : 0; // too many threads: CUDA_ERROR_INVALID_VALUE
}
int cuStreamCreate(void **s, unsigned) {
  record("stream create");
  *s = &stream;
  return 0;
}
int cuStreamSynchronize(void *s) {
  record(s == &stream ? "stream sync" : "stream sync ?");
  return 0;
}
int cuStreamDestroy(void *s) {
  record(s == &stream ? "stream destroy" : "stream destroy ?");
  return 0;
}
int cuMemAllocManaged(uint64_t *pointer, size_t bytes, unsigned flags) {
  void *p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  *pointer = reinterpret_cast<uint64_t>(p);
  record("alloc managed " + std::to_string(bytes) + (flags == 1 ? " global" : " ?"));
  return p ? 0 : 2; // CUDA_ERROR_OUT_OF_MEMORY
}
int cuMemFree(uint64_t pointer) {
  std::free(reinterpret_cast<void *>(pointer));
  return 0;
}
// Device memory is host memory here; the copy is recorded.
int cuMemcpyDtoH(void *host, uint64_t device, size_t bytes) {
  std::memcpy(host, reinterpret_cast<const void *>(device), bytes);
  record("memcpy dtoh " + std::to_string(bytes));
  return 0;
}

/// With FAKE_CUDA_LOG set, the log goes to that file when the process ends
/// (for tests that drive the fake through dnn-run).
struct WriteLogAtExit {
  ~WriteLogAtExit() {
    if (const char *path = std::getenv("FAKE_CUDA_LOG"))
      if (FILE *f = std::fopen(path, "w")) {
        std::fputs(log.c_str(), f);
        std::fclose(f);
      }
  }
} writeLogAtExit;
} // namespace

extern "C" __attribute__((visibility("default"))) int
cuGetProcAddress_v2(const char *symbol, void **pfn, int version, uint64_t, int *status) {
  struct {
    const char *name;
    void *fn;
  } table[] = {
      {"cuInit", (void *)cuInit},
      {"cuGetErrorName", (void *)cuGetErrorName},
      {"cuDeviceGetCount", (void *)cuDeviceGetCount},
      {"cuDeviceGet", (void *)cuDeviceGet},
      {"cuDeviceGetAttribute", (void *)cuDeviceGetAttribute},
      {"cuDeviceGetName", (void *)cuDeviceGetName},
      {"cuDeviceTotalMem", (void *)cuDeviceTotalMem},
      {"cuDevicePrimaryCtxRetain", (void *)cuDevicePrimaryCtxRetain},
      {"cuCtxSetCurrent", (void *)cuCtxSetCurrent},
      {"cuModuleLoadData", (void *)cuModuleLoadData},
      {"cuModuleUnload", (void *)cuModuleUnload},
      {"cuModuleGetFunction", (void *)cuModuleGetFunction},
      {"cuLaunchKernel", (void *)cuLaunchKernel},
      {"cuStreamCreate", (void *)cuStreamCreate},
      {"cuStreamSynchronize", (void *)cuStreamSynchronize},
      {"cuStreamDestroy", (void *)cuStreamDestroy},
      {"cuMemAllocManaged", (void *)cuMemAllocManaged},
      {"cuMemFree", (void *)cuMemFree},
      {"cuMemcpyDtoH", (void *)cuMemcpyDtoH},
  };
  if (version < 12000)
    return 1;
  for (const auto &entry : table)
    if (std::strcmp(entry.name, symbol) == 0) {
      *pfn = entry.fn;
      if (status)
        *status = 0;
      return 0;
    }
  *pfn = nullptr;
  return 500;
}

extern "C" __attribute__((visibility("default"))) const char *fakeCudaLog() {
  return log.c_str();
}
