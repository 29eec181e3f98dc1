//===- CUDADriverTest.cpp - The runtime's CUDA driver loader and launches -===//
//
// The driver is loaded once per process, so CTest runs each group in its own
// process with DNN_CUDA_DRIVER naming what to load (test/unit/CMakeLists.txt):
// FakeDriver.* the recording fake of FakeCUDADriver.cpp, NoDevice.* the fake
// with no GPU, NoDriver.* a path that does not exist, StubDriver.* the CUDA
// toolkit's stub libcuda.so. No GPU is needed.
//
//===----------------------------------------------------------------------===//

#include "CUDADriver.h"

#include "dnn/runtime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdint>
#include <string>

extern "C" {
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void *mgpuStreamCreate();
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t sharedBytes,
                      void *stream, void **params, void **extra, size_t paramsCount);
}

namespace {

std::string fakeLog() {
  auto log = reinterpret_cast<const char *(*)()>(dlsym(RTLD_DEFAULT, "fakeCudaLog"));
  if (!log) {
    void *fake = dlopen(std::getenv("DNN_CUDA_DRIVER"), RTLD_NOW | RTLD_NOLOAD);
    log = fake ? reinterpret_cast<const char *(*)()>(dlsym(fake, "fakeCudaLog")) : nullptr;
  }
  return log ? log() : "(no fake driver)";
}

char ptx[] = "//\n// fake PTX module\n";



TEST(FakeDriver, ReportsTheDevice) {
  int32_t count = -1;
  ASSERT_EQ(dnn_cuda_device_count(&count), DNN_OK) << dnn_last_error();
  EXPECT_EQ(count, 1);
  dnn_cuda_device_info info;
  ASSERT_EQ(dnn_cuda_device_get(0, &info), DNN_OK) << dnn_last_error();
  EXPECT_EQ(info.ordinal, 0);
  EXPECT_EQ(info.major, 9);
  EXPECT_EQ(info.minor, 0);
  EXPECT_EQ(info.multiprocessors, 132);
  EXPECT_EQ(info.total_memory, int64_t(80) << 30);
  EXPECT_STREQ(info.name, "Fake H100");
  EXPECT_EQ(dnn_cuda_device_get(1, &info), DNN_ERROR_NOT_FOUND);
  EXPECT_STREQ(dnn_last_error(), "no CUDA device 1: there is 1");
  EXPECT_EQ(dnn_cuda_device_get(0, nullptr), DNN_ERROR_INVALID_ARGUMENT);
}

// What one gpu.launch_func lowers to: module, function, stream, launch with
// the kernel's arguments by address, synchronize, destroy.
TEST(FakeDriver, LaunchesWhatGeneratedCodeAsks) {
  void *module = mgpuModuleLoadJIT(ptx, 3);
  ASSERT_NE(module, nullptr);
  void *function = mgpuModuleGetFunction(module, "mlp_predict_kernel");
  ASSERT_NE(function, nullptr);
  void *stream = mgpuStreamCreate();
  int64_t blocks = 3, size = 700;
  void *params[] = {&blocks, &size};
  mgpuLaunchKernel(function, 3, 1, 1, 256, 1, 1, 0, stream, params, nullptr, 2);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
  EXPECT_EQ(dnnrt::cuda::takePendingError(), "");
  EXPECT_EQ(fakeLog(), "load ptx //\n// fake P\n"
                       "function mlp_predict_kernel\n"
                       "stream create\n"
                       "launch grid 3,1,1 block 256,1,1 shared 0 stream ok args 3 700\n"
                       "stream sync\n"
                       "stream destroy\n"
                       "unload\n");
}

// A failed call is kept for the runtime to report, and the calls after it do
// nothing until it is taken.
TEST(FakeDriver, AFailureIsRecordedAndStopsTheEntry) {
  void *module = mgpuModuleLoadJIT(ptx, 3);
  void *function = mgpuModuleGetFunction(module, "k");
  void *stream = mgpuStreamCreate();
  int64_t a = 1, b = 2;
  void *params[] = {&a, &b};
  size_t before = fakeLog().size();
  mgpuLaunchKernel(function, 1, 1, 1, 2048, 1, 1, 0, stream, params, nullptr, 2);
  EXPECT_EQ(mgpuModuleGetFunction(module, "k2"), nullptr);
  mgpuLaunchKernel(function, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2);
  // Only the failed launch reached the driver.
  EXPECT_EQ(fakeLog().substr(before),
            "launch grid 1,1,1 block 2048,1,1 shared 0 stream ok args 1 2\n");
  EXPECT_EQ(dnnrt::cuda::takePendingError(), "cuLaunchKernel: CUDA_ERROR_INVALID_VALUE (1)");
  EXPECT_EQ(dnnrt::cuda::takePendingError(), "");

  EXPECT_EQ(mgpuModuleGetFunction(module, "missing"), nullptr);
  EXPECT_EQ(dnnrt::cuda::takePendingError(), "cuModuleGetFunction: CUDA_ERROR_UNKNOWN (500)");

  // A grid too large for CUDA (a huge dynamic batch) is an error, not a
  // truncated launch; an empty one launches nothing.
  before = fakeLog().size();
  mgpuLaunchKernel(function, int64_t(1) << 33, 1, 1, 256, 1, 1, 0, stream, params, nullptr, 2);
  EXPECT_EQ(dnnrt::cuda::takePendingError(),
            "a kernel launch needs a grid or block dimension of 8589934592, outside what CUDA "
            "launches");
  mgpuLaunchKernel(function, 0, 1, 1, 256, 1, 1, 0, stream, params, nullptr, 2);
  EXPECT_EQ(dnnrt::cuda::takePendingError(), "");
  EXPECT_EQ(fakeLog().size(), before);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
}

// Kernel functions are looked up once per module and name, and forgotten
// when their module is unloaded: a module loaded later at the same handle
// (the fake driver always gives the same one) looks its functions up anew.
TEST(FakeDriver, UnloadingAModuleForgetsItsFunctions) {
  int32_t count = 0; // loads the driver, so that its log exists
  ASSERT_EQ(dnn_cuda_device_count(&count), DNN_OK) << dnn_last_error();
  size_t before = fakeLog().size();
  void *module = mgpuModuleLoadJIT(ptx, 3);
  ASSERT_NE(module, nullptr);
  void *first = mgpuModuleGetFunction(module, "cached_kernel");
  EXPECT_EQ(mgpuModuleGetFunction(module, "cached_kernel"), first);
  mgpuModuleUnload(module);
  void *again = mgpuModuleLoadJIT(ptx, 3);
  ASSERT_EQ(again, module);
  EXPECT_NE(mgpuModuleGetFunction(again, "cached_kernel"), nullptr);
  mgpuModuleUnload(again);
  EXPECT_EQ(dnnrt::cuda::takePendingError(), "");
  EXPECT_EQ(fakeLog().substr(before), "load ptx //\n// fake P\n"
                                      "function cached_kernel\n"
                                      "unload\n"
                                      "load ptx //\n// fake P\n"
                                      "function cached_kernel\n"
                                      "unload\n");
}

// After the tests that read the whole log.
// A CUDA model with no kernels: its entry runs on the host (the fake
// driver's device memory is host memory) and records where its arguments
// point. args: x[N, 2], labels[N], y[N, 2] (y = x + labels).
struct Descriptor {
  void *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
};
const void *seenX, *seenLabels, *seenY;
void addLabelsEntry(void **args) {
  auto *x = static_cast<Descriptor *>(args[0]);
  auto *labels = static_cast<Descriptor *>(args[1]);
  auto *y = static_cast<Descriptor *>(args[2]);
  seenX = x->aligned;
  seenLabels = labels->aligned;
  seenY = y->aligned;
  for (int64_t i = 0; i < x->sizes[0]; ++i)
    for (int64_t j = 0; j < 2; ++j)
      static_cast<float *>(y->aligned)[i * 2 + j] =
          static_cast<float *>(x->aligned)[i * 2 + j] + static_cast<int32_t *>(labels->aligned)[i];
}
const dnn_dim_info kDimsN2[] = {{-1, "N"}, {2, nullptr}};
const dnn_dim_info kDimsN[] = {{-1, "N"}};
const dnn_tensor_info kInputs[] = {{"x", DNN_DTYPE_F32, 2, kDimsN2},
                                   {"labels", DNN_DTYPE_I32, 1, kDimsN}};
const dnn_tensor_info kOutputs[] = {{"y", DNN_DTYPE_F32, 2, kDimsN2}};
const int32_t kIn[] = {0, 1}, kOut[] = {0};
const dnn_entry_info kEntries[] = {
    {"predict", DNN_ENTRY_PREDICT, addLabelsEntry, nullptr, 2, kIn, 1, kOut}};
const int64_t kBounds[] = {0, 3};
dnn_model_info cudaModel() {
  dnn_model_info m{};
  m.name = "on_device";
  m.num_inputs = 2;
  m.inputs = kInputs;
  m.num_outputs = 1;
  m.outputs = kOutputs;
  m.num_entries = 1;
  m.entries = kEntries;
  m.loss = -1;
  m.input_index_bounds = kBounds;
  m.device = DNN_DEVICE_CUDA;
  m.device_archs = "sm_90";
  return m;
}

// Host data (the default) goes through managed staging buffers both ways;
// device data reaches the kernels as given, and only the class indices are
// copied to the host, to be checked.
TEST(FakeDriver, DeviceDataReachTheKernelsWithoutCopies) {
  dnn_model_info model = cudaModel();
  dnn_session *session = nullptr;
  ASSERT_EQ(dnn_session_create(&model, &session), DNN_OK) << dnn_last_error();
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {};
  int32_t labels[3] = {0, 1, 2};
  dnn_tensor inputs[2] = {{"x", DNN_DTYPE_F32, 2, {3, 2}, x},
                          {"labels", DNN_DTYPE_I32, 1, {3}, labels}};
  dnn_tensor outputs[1] = {{"y", DNN_DTYPE_F32, 2, {3, 2}, y}};

  ASSERT_EQ(dnn_session_run(session, "predict", 2, inputs, 1, outputs), DNN_OK)
      << dnn_last_error();
  EXPECT_NE(seenX, x);
  EXPECT_NE(seenLabels, labels);
  EXPECT_NE(seenY, y);
  EXPECT_EQ(y[5], 8.0f); // copied back from the staging buffer

  ASSERT_EQ(dnn_session_set_data_location(session, DNN_DATA_DEVICE), DNN_OK) << dnn_last_error();
  size_t logged = fakeLog().size();
  float y2[6] = {};
  outputs[0].data = y2;
  ASSERT_EQ(dnn_session_run(session, "predict", 2, inputs, 1, outputs), DNN_OK)
      << dnn_last_error();
  EXPECT_EQ(seenX, x);
  EXPECT_EQ(seenLabels, labels);
  EXPECT_EQ(seenY, y2);
  EXPECT_EQ(y2[5], 8.0f);
  std::string log = fakeLog().substr(logged);
  EXPECT_NE(log.find("memcpy dtoh 12\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("alloc"), std::string::npos) << log;

  // The indices read from the device are checked like host ones.
  labels[1] = 3;
  EXPECT_EQ(dnn_session_run(session, "predict", 2, inputs, 1, outputs),
            DNN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(dnn_last_error()).find("input 'labels': element 1 is 3, outside the "
                                               "class indices [0, 3)"),
            std::string::npos)
      << dnn_last_error();

  EXPECT_EQ(dnn_session_set_data_location(session, 7), DNN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(dnn_session_set_data_location(nullptr, DNN_DATA_HOST), DNN_ERROR_INVALID_ARGUMENT);
  dnn_session_destroy(session);
}

TEST(NoDevice, SaysThereIsNone) {
  int32_t count = -1;
  EXPECT_EQ(dnn_cuda_device_count(&count), DNN_ERROR_NO_DEVICE);
  EXPECT_STREQ(dnn_last_error(),
               "no device: the CUDA driver finds no GPU (cuInit: CUDA_ERROR_NO_DEVICE)");
  EXPECT_EQ(count, -1);
}

// A library built for CUDA loads its kernels at load time: without a driver
// that must not fail the load, only the run, with the reason.
TEST(NoDriver, LoadsAndReportsWhy) {
  int32_t count = -1;
  EXPECT_EQ(dnn_cuda_device_count(&count), DNN_ERROR_NO_DEVICE);
  std::string error = dnn_last_error();
  EXPECT_EQ(error.rfind("no CUDA driver: cannot load /nonexistent/libcuda.so.1 (", 0), 0u)
      << error;
  EXPECT_EQ(mgpuModuleLoadJIT(ptx, 3), nullptr);
  EXPECT_EQ(dnnrt::cuda::takePendingError().rfind("no CUDA driver: cannot load", 0), 0u);
  EXPECT_EQ(mgpuModuleGetFunction(nullptr, "k"), nullptr);
  mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  mgpuModuleUnload(nullptr);
  EXPECT_EQ(dnnrt::cuda::takePendingError().rfind("no CUDA driver: cannot load", 0), 0u);
}

TEST(StubDriver, IsNotTakenForADriver) {
  int32_t count = -1;
  EXPECT_EQ(dnn_cuda_device_count(&count), DNN_ERROR_NO_DEVICE);
  std::string error = dnn_last_error();
  EXPECT_NE(error.find("is the CUDA toolkit's stub library, not a driver"), std::string::npos)
      << error;
}

} // namespace
