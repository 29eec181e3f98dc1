//===- Internal.h - Shared declarations of the dnnc runtime -----*- C++ -*-===//
//
// Not installed: error reporting, tensor helpers and the session layout
// shared by the runtime's source files. Everything here has hidden
// visibility (the library is built with -fvisibility=hidden), so none of it
// leaks out of a compiled model's shared library.
//
//===----------------------------------------------------------------------===//
#ifndef DNNRT_INTERNAL_H
#define DNNRT_INTERNAL_H

#include "dnn/runtime.h"

#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace dnnrt {

//===----------------------------------------------------------------------===//
// Errors (Status.cpp)
//===----------------------------------------------------------------------===//

/// Records a printf-formatted message as this thread's last error and returns
/// `status`. Never throws.
dnn_status fail(dnn_status status, const char *format, ...) noexcept
    __attribute__((format(printf, 2, 3)));

/// Clears this thread's last error and returns DNN_OK.
dnn_status succeed() noexcept;

/// Sets the last error from an exception escaping an API call.
dnn_status failFromException(std::exception_ptr error) noexcept;

/// Runs `body` (returning dnn_status) for an exported function: any exception
/// becomes a status (std::bad_alloc is DNN_ERROR_OUT_OF_MEMORY) and success
/// clears the last error.
template <typename Body> dnn_status guarded(Body &&body) noexcept {
  try {
    dnn_status status = body();
    return status == DNN_OK ? succeed() : status;
  } catch (...) {
    return failFromException(std::current_exception());
  }
}

/// Formats like snprintf into a std::string.
std::string format(const char *format, ...)
    __attribute__((format(printf, 1, 2)));
std::string vformat(const char *format, va_list args);

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// "f32", "i32" or "dtype 7".
std::string dtypeName(int32_t dtype);

/// Bytes per element, or 0 for an unknown dtype.
inline size_t dtypeSize(int32_t dtype) {
  return dtype == DNN_DTYPE_F32 || dtype == DNN_DTYPE_I32 ? 4 : 0;
}

/// Product of `dims`; false on a negative size or int64 overflow.
bool numElements(const int64_t *dims, int32_t rank, int64_t &count);

/// "[32, 785]".
std::string shapeString(const int64_t *dims, int32_t rank);
/// "[N, 784]" from a signature.
std::string shapeString(const dnn_tensor_info &info);

/// Element count of a static signature (params); -1 if symbolic or too large.
int64_t staticNumElements(const dnn_tensor_info &info);

/// "a, b, c" from names.
std::string joinNames(const std::vector<const char *> &names);

//===----------------------------------------------------------------------===//
// Library checks (Library.cpp)
//===----------------------------------------------------------------------===//

/// Checks that a model descriptor is internally consistent (the part of
/// dnn_check_library that does not involve the library header).
dnn_status checkModel(const dnn_model_info &model);

//===----------------------------------------------------------------------===//
// Initializers (Initializers.cpp)
//===----------------------------------------------------------------------===//

/// An initializer with its arguments resolved and checked.
struct InitPlan {
  enum Kind { Constant, Uniform, Normal } kind = Constant;
  double a = 0; // Constant: value; Uniform: low; Normal: mean.
  double b = 0; // Uniform: high; Normal: std.
};

/// Resolves the initializer of `param` into a plan; fails (naming the param)
/// on a missing argument or an invalid value.
dnn_status planInit(const dnn_param_info &param, InitPlan &plan);

/// Fills `count` floats of parameter number `paramIndex` from `seed`.
void runInit(const InitPlan &plan, int32_t paramIndex, uint64_t seed,
             float *data, int64_t count);

//===----------------------------------------------------------------------===//
// Sessions (Session.cpp)
//===----------------------------------------------------------------------===//

/// Alignment of every buffer the runtime allocates (a cache line; also enough
/// for any vector load the generated code does).
constexpr size_t kBufferAlignment = 64;

/// Where a buffer lives: host memory, or CUDA managed memory that the
/// host and the kernels of a CUDA model both address.
enum class Memory { Host, CUDAManaged };

struct FreeDeleter {
  Memory memory = Memory::Host;
  void operator()(void *p) const noexcept;
};

/// A kBufferAlignment-aligned block of memory, zero-filled unless asked not
/// to be.
class Buffer {
public:
  enum class Contents { Zeroed, Uninitialized };
  Buffer() = default;
  /// Throws std::bad_alloc on failure. Never returns a null data() (an empty
  /// tensor still gets a valid pointer). An entry's workspace need not be
  /// zeroed (docs/runtime-abi.md): filling it would touch every page of it
  /// on the first call, however little of it that call uses.
  explicit Buffer(size_t bytes, Contents contents = Contents::Zeroed,
                  Memory memory = Memory::Host);
  void *data() const { return ptr.get(); }
  size_t capacity() const { return bytes; }

private:
  std::unique_ptr<void, FreeDeleter> ptr;
  size_t bytes = 0;
};

/// The memref descriptor of model.h for any rank up to DNN_MAX_RANK: the
/// rank-R layout is a prefix of this one (all fields are 8 bytes), so the
/// callee reads exactly what it expects.
struct MemRef {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizesAndStrides[2 * DNN_MAX_RANK];
};
static_assert(sizeof(void *) == sizeof(int64_t),
              "the descriptor layout assumes 64-bit pointers");

/// A dense row-major descriptor of `data`.
MemRef makeMemRef(void *data, const int64_t *dims, int32_t rank);

const dnn_entry_info *findEntry(const dnn_model_info &model, const char *name);

/// A symbol's value and the input that fixed it.
struct Binding {
  int64_t value;
  const char *boundBy;
};
/// Symbol -> value of one call. A handful of symbols at most, so a flat
/// list kept inline: binding a call's inputs allocates nothing.
class Bindings {
public:
  using value_type = std::pair<const char *, Binding>;
  using const_iterator = const value_type *;
  using iterator = value_type *;

  iterator begin() { return items; }
  iterator end() { return items + count; }
  const_iterator begin() const { return items; }
  const_iterator end() const { return items + count; }
  const_iterator find(const char *symbol) const {
    for (const value_type &item : *this)
      if (std::strcmp(item.first, symbol) == 0)
        return &item;
    return end();
  }
  iterator find(const char *symbol) {
    return const_cast<iterator>(static_cast<const Bindings *>(this)->find(symbol));
  }
  /// Like std::map::emplace; throws std::length_error past kCapacity
  /// symbols (turned into an error by guarded()).
  std::pair<iterator, bool> emplace(const char *symbol, Binding binding) {
    if (iterator it = find(symbol); it != end())
      return {it, false};
    if (count == kCapacity)
      throw std::length_error("more than 32 symbolic dimensions in one call");
    items[count] = {symbol, binding};
    return {&items[count++], true};
  }
  void insert(const_iterator first, const_iterator last) {
    for (; first != last; ++first)
      emplace(first->first, first->second);
  }

private:
  static constexpr int kCapacity = 32;
  value_type items[kCapacity];
  int count = 0;
};

/// Matches `inputs` by name to the entry's inputs (given[j] for input j) and
/// checks each against its signature, binding the symbols.
/// With `deviceLabels`, the inputs' data are device addresses: class-index
/// inputs are copied into it to be checked.
dnn_status bindInputs(const dnn_model_info &model, const dnn_entry_info &entry,
                      int32_t numInputs, const dnn_tensor *inputs,
                      std::vector<const dnn_tensor *> &given, Bindings &bindings,
                      std::vector<int32_t> *deviceLabels);

/// Where one output of dnn_session_run goes.
struct OutPlan {
  int64_t dims[DNN_MAX_RANK];
  size_t bytes;
  void *data;
  bool inSession; ///< Written to the session's buffer, kept after the run.
};

/// A session-owned output of the last run.
struct KeptOutput {
  Buffer buffer;
  bool valid = false; ///< Written by the last run into `buffer`.
  int32_t rank = 0;
  int64_t dims[DNN_MAX_RANK] = {};
};

//===----------------------------------------------------------------------===//
// Profiling (Profile.cpp)
//===----------------------------------------------------------------------===//

/// True while the profiler records (dnn_profile_enable, DNN_PROFILE=1).
bool profiling() noexcept;
/// Adds one call of `region` taking `elapsed`.
void recordRegion(const char *region, std::chrono::steady_clock::duration elapsed) noexcept;

} // namespace dnnrt

struct dnn_session {
  const dnn_model_info *model = nullptr;
  std::vector<dnnrt::Buffer> params;      ///< One per model param.
  std::vector<dnnrt::Buffer> buffers;     ///< One per model buffer (model.h).
  /// The seed of dnn_session_init_params: with the step number it keys
  /// every training step's dropout masks (dnn_step_key).
  uint64_t seed = 0;
  std::vector<dnnrt::KeptOutput> outputs; ///< One per model output.

  // Training (Training.cpp). Optimizer state is param-major: for param i,
  // slot k is state[i * slots + k].
  std::vector<dnnrt::Buffer> state;
  std::vector<dnnrt::Buffer> grads;              ///< Of the last dnn_session_grad.
  bool gradsValid = false;
  /// Every entry's temporaries (dnn-plan-workspace): allocated on the first
  /// call, grown only when a call needs more (a larger batch).
  dnnrt::Buffer workspace;
  /// Argument lists of the last call, kept so that a steady-state call
  /// allocates nothing.
  std::vector<dnnrt::MemRef> memrefs;
  std::vector<void *> args;
  std::vector<const dnn_tensor *> given;
  std::vector<dnn_tensor *> requested;  ///< dnn_session_run's outputs, by slot.
  std::vector<dnnrt::OutPlan> plans;
  /// Memory::CUDAManaged for a CUDA model: every buffer the session owns is
  /// managed memory, and what the caller passes (inputs, outputs, scalars)
  /// goes through staging buffers (stageForDevice).
  dnnrt::Memory memory = dnnrt::Memory::Host;
  /// A CUDA session's stream (created by its first entry call).
  void *cudaStream = nullptr;
  /// dnn_session_set_data_location(DNN_DATA_DEVICE): the caller's inputs and
  /// outputs are device memory, passed to the kernels as they are.
  bool callerDataOnDevice = false;
  /// Class-index inputs copied from the device to be checked.
  std::vector<int32_t> deviceLabels;
  ~dnn_session();
  std::vector<dnnrt::Buffer> staging;
  size_t stagingUsed = 0;
  struct StagedOutput {
    void *host;
    const void *staged;
    size_t bytes;
  };
  std::vector<StagedOutput> stagedOutputs;
  double learningRate = 0;
  int64_t step = 0; ///< Completed optimizer steps.
};

namespace dnnrt {
/// Starts a call's argument list: the staging buffers of the last one are
/// free again.
void beginStaging(dnn_session &session);
/// `data` as memory the session's entries can reach: itself on the CPU; on
/// a CUDA device a managed staging buffer, filled from `data` for an input
/// and copied back to it by finishStaging for an output. Throws
/// std::bad_alloc when no staging buffer can be had.
void *stageForDevice(dnn_session &session, void *data, size_t bytes, bool isOutput);
/// The descriptor of a caller's input tensor, staged as stageForDevice says
/// (as it is when the caller's data are on the device).
MemRef stagedInput(dnn_session &session, const dnn_tensor &input);
/// Where an entry writes a caller's output buffer: staged, or the buffer
/// itself when the caller's data are on the device.
void *stagedOutput(dnn_session &session, void *data, size_t bytes);
/// After a call: copies staged outputs back to the caller's memory.
void finishStaging(dnn_session &session);
/// Optimizer state slots per param (0 without an optimizer).
inline int32_t numStateSlots(const dnn_model_info &model) {
  return model.optimizer ? model.optimizer->num_slots : 0;
}
/// Bytes of param i.
size_t paramBytes(const dnn_model_info &model, int32_t i);
/// Bytes of a static f32 tensor (a param's or a buffer's).
size_t staticBytes(const dnn_tensor_info &info);
/// Index of the buffer called `name`, or -1 (no error recorded).
int32_t findBuffer(const dnn_model_info &model, const char *name);
/// `out` as a view of `data` holding the static tensor `info`.
void describeStatic(dnn_tensor &out, const dnn_tensor_info &info, void *data);
/// The memref descriptor of `data` holding the static tensor `info`.
MemRef staticMemRef(const dnn_tensor_info &info, void *data);
/// Index of the param called `name`; -1 after recording a NOT_FOUND error
/// that lists the params there are.
int32_t findParam(const dnn_model_info &model, const char *name);
/// `out` as a view of `data` holding param i.
void describeParam(dnn_tensor &out, const dnn_model_info &model, int32_t i, void *data);
/// The memref descriptor of `data` holding param i.
MemRef paramMemRef(const dnn_model_info &model, int32_t i, void *data);

/// What an argument of an entry point is (model.h, "Calling convention").
enum class ArgRole { Param, State, Buffer, Input, Lr, Step, Key, Output, Gradient };

/// Appends the descriptors of `entry`'s arguments to `memrefs` in model.h's
/// order, less the workspace: params, [state], buffers, inputs, [lr, step],
/// [key], outputs (for grad and train_step: the loss), [gradients].
/// `describe(role, i, k)` gives each: `i` indexes the params, the buffers,
/// or the entry's inputs or outputs; `k` is the state slot.
template <typename Describe>
void appendEntryArguments(const dnn_model_info &model, const dnn_entry_info &entry,
                          std::vector<MemRef> &memrefs, Describe describe) {
  bool train = entry.kind == DNN_ENTRY_TRAIN_STEP;
  for (int32_t i = 0; i < model.num_params; ++i)
    memrefs.push_back(describe(ArgRole::Param, i, 0));
  if (train)
    for (int32_t i = 0; i < model.num_params; ++i)
      for (int32_t k = 0; k < numStateSlots(model); ++k)
        memrefs.push_back(describe(ArgRole::State, i, k));
  for (int32_t i = 0; i < model.num_buffers; ++i)
    memrefs.push_back(describe(ArgRole::Buffer, i, 0));
  for (int32_t j = 0; j < entry.num_inputs; ++j)
    memrefs.push_back(describe(ArgRole::Input, j, 0));
  if (train) {
    memrefs.push_back(describe(ArgRole::Lr, 0, 0));
    memrefs.push_back(describe(ArgRole::Step, 0, 0));
  }
  if (train || entry.kind == DNN_ENTRY_GRAD)
    memrefs.push_back(describe(ArgRole::Key, 0, 0));
  for (int32_t j = 0; j < entry.num_outputs; ++j)
    memrefs.push_back(describe(ArgRole::Output, j, 0));
  if (entry.kind == DNN_ENTRY_GRAD)
    for (int32_t i = 0; i < model.num_params; ++i)
      memrefs.push_back(describe(ArgRole::Gradient, i, 0));
}

/// Calls `entry` with `session.memrefs` (every argument but the workspace,
/// in model.h order), after sizing the session's workspace for them. Fails
/// only when the workspace cannot be allocated.
/// When the entry has a copy compiled for one size of one symbol and
/// `bindings` binds that symbol to that size, the copy runs instead.
dnn_status callEntry(dnn_session &session, const dnn_entry_info &entry,
                     const Bindings &bindings);
} // namespace dnnrt

#endif // DNNRT_INTERNAL_H
