/*===- dnn/runtime.h - The dnnc runtime's C API ---------------------*- C -*-===*
 *
 * The thin runtime that every dnnc-compiled library embeds and exports:
 * sessions over one model, parameter storage and deterministic
 * initialisation, safetensors checkpoints, running entry points with shape
 * checks, and the thread pool generated code runs its parallel loops on.
 *
 * Every call that can fail returns a dnn_status; the message of the last
 * failure on the calling thread is dnn_last_error(). Nothing here aborts or
 * throws into the caller. See docs/runtime-abi.md.
 *
 *===----------------------------------------------------------------------===*/
#ifndef DNN_RUNTIME_H
#define DNN_RUNTIME_H

#include "dnn/model.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DNN_API __attribute__((visibility("default")))
#else
#define DNN_API
#endif

typedef enum dnn_status {
  DNN_OK = 0,
  DNN_ERROR_INVALID_ARGUMENT = 1, /* null pointer, bad value */
  DNN_ERROR_NOT_FOUND = 2,        /* unknown model, entry, tensor or file */
  DNN_ERROR_SHAPE_MISMATCH = 3,   /* tensor shape differs from the signature */
  DNN_ERROR_DTYPE_MISMATCH = 4,   /* tensor dtype differs from the signature */
  DNN_ERROR_IO = 5,               /* reading or writing a file failed */
  DNN_ERROR_FORMAT = 6,           /* a file is corrupt, truncated or malformed */
  DNN_ERROR_ABI_MISMATCH = 7,     /* library built for another DNN_ABI_VERSION */
  DNN_ERROR_OUT_OF_MEMORY = 8,
  DNN_ERROR_INTERNAL = 9,
  DNN_ERROR_NO_DEVICE = 10,       /* no CUDA driver, no device, or no kernel for it */
} dnn_status;

#define DNN_MAX_RANK 8

/* A tensor passed to or returned from the runtime: dense, row-major. */
typedef struct dnn_tensor {
  const char *name;
  int32_t dtype; /* dnn_dtype */
  int32_t rank;
  int64_t dims[DNN_MAX_RANK];
  void *data;
} dnn_tensor;

typedef struct dnn_session dnn_session;

/* Errors. */
DNN_API const char *dnn_status_name(dnn_status status); /* "DNN_ERROR_IO" */
DNN_API const char *dnn_last_error(void); /* thread-local; "" after success */

/* The library. */
DNN_API uint32_t dnn_runtime_abi_version(void); /* DNN_ABI_VERSION */
/* Checks a library descriptor: non-null, ABI version equal to the runtime's,
 * and internally consistent. */
DNN_API dnn_status dnn_check_library(const dnn_library_info *library);
DNN_API const dnn_model_info *dnn_find_model(const dnn_library_info *library,
                                             const char *name);

/* CUDA devices. The driver is loaded at run time (dlopen of libcuda.so.1, or
 * of $DNN_CUDA_DRIVER; entry points through cuGetProcAddress): nothing links
 * against CUDA, and without a driver or a device these calls fail with
 * DNN_ERROR_NO_DEVICE and say which. */
typedef struct dnn_cuda_device_info {
  int32_t ordinal;
  int32_t major, minor; /* compute capability: 9, 0 for sm_90 */
  int32_t multiprocessors;
  int64_t total_memory; /* bytes */
  char name[128];
} dnn_cuda_device_info;
DNN_API dnn_status dnn_cuda_device_count(int32_t *count);
DNN_API dnn_status dnn_cuda_device_get(int32_t ordinal, dnn_cuda_device_info *info);

/* Threads for generated parallel loops; default: all hardware threads. */
DNN_API dnn_status dnn_set_num_threads(int32_t num_threads);
DNN_API int32_t dnn_get_num_threads(void);

/* Sessions. A session owns a model's parameters and output buffers. */
DNN_API dnn_status dnn_session_create(const dnn_model_info *model, dnn_session **out);
DNN_API void dnn_session_destroy(dnn_session *session);
DNN_API const dnn_model_info *dnn_session_model(const dnn_session *session);

/* Initialises every parameter with its declared initializer from `seed`
 * (Philox-4x32-10 counter-based RNG; same seed, same bits everywhere). */
DNN_API dnn_status dnn_session_init_params(dnn_session *session, uint64_t seed);
/* safetensors checkpoints: names, dtypes and shapes must match the model.
 * A trainable model's checkpoint also holds the optimizer state (tensors
 * "optimizer.<slot>.<param>"), the step counter and the learning rate
 * (metadata "dnn.step", "dnn.lr"), so that training resumes exactly; a
 * checkpoint without them loads the params and resets the optimizer. */
DNN_API dnn_status dnn_session_load_params(dnn_session *session, const char *path);
DNN_API dnn_status dnn_session_save_params(const dnn_session *session, const char *path);
/* A view of a parameter's storage (tensor->data points into the session). */
DNN_API dnn_status dnn_session_param(dnn_session *session, const char *name,
                                     dnn_tensor *tensor);

/* Runs entry point `entry` ("predict"). Inputs are matched by name and
 * checked against the signature (dtype, rank, static sizes, consistent
 * symbol bindings). Each outputs[i].name selects an output of the entry; if
 * outputs[i].data is NULL the session provides the buffer (valid until the
 * next run or destroy), otherwise it must hold the output's size. Dims and
 * dtype of every output are filled in. Passing num_outputs = 0 runs the
 * entry and keeps all outputs in the session, read with dnn_session_output. */
DNN_API dnn_status dnn_session_run(dnn_session *session, const char *entry,
                                   int32_t num_inputs, const dnn_tensor *inputs,
                                   int32_t num_outputs, dnn_tensor *outputs);
DNN_API dnn_status dnn_session_output(dnn_session *session, const char *name,
                                      dnn_tensor *tensor);

/* Where the data of the tensors a caller passes to a session live.
 * DNN_DATA_HOST (the default): host memory; a CUDA session copies inputs to
 * the device and caller-provided outputs back around each call.
 * DNN_DATA_DEVICE (CUDA sessions only): device memory of the session's GPU
 * (device 0's primary context: a CUdeviceptr from cuMemAlloc or managed
 * memory, cast to void *), for apps that keep their data on the GPU. The
 * kernels read the inputs of dnn_session_run, _grad and _train_step and
 * write the caller-provided outputs of dnn_session_run there, with no
 * copies; class-index inputs are copied to the host to be checked.
 * Outputs left to the session (data NULL), params, gradients and optimizer
 * state stay in the session's managed memory, readable from both. */
typedef enum dnn_data_location {
  DNN_DATA_HOST = 0,
  DNN_DATA_DEVICE = 1,
} dnn_data_location;
DNN_API dnn_status dnn_session_set_data_location(dnn_session *session, int32_t location);

/* Training, for models with a loss (grad) and an optimizer (train_step).
 * Inputs are matched and checked as for dnn_session_run.
 *
 * dnn_session_train_step runs one step (forward, backward, update of the
 * params and the optimizer state in the session) and returns the batch's
 * loss. The step counter starts at 0 and counts completed steps; the learning
 * rate starts at the model's `lr` and may be changed between steps. */
DNN_API dnn_status dnn_session_train_step(dnn_session *session, int32_t num_inputs,
                                          const dnn_tensor *inputs, double *loss);
DNN_API dnn_status dnn_session_set_learning_rate(dnn_session *session, double lr);
DNN_API double dnn_session_learning_rate(const dnn_session *session);
DNN_API int64_t dnn_session_step(const dnn_session *session);
/* Sets the step counter, e.g. to restart a schedule; the optimizer state
 * stays as it is. */
DNN_API dnn_status dnn_session_set_step(dnn_session *session, int64_t step);
/* Optimizer state of `param`, slot `slot` ("exp_avg"), as a view. */
DNN_API dnn_status dnn_session_optimizer_state(dnn_session *session, const char *param,
                                               const char *slot, dnn_tensor *tensor);
/* Zeroes the optimizer state and the step counter. */
DNN_API dnn_status dnn_session_reset_optimizer(dnn_session *session);

/* Runs entry "grad": the loss, and the gradient of every param, read with
 * dnn_session_gradient (a view, valid until the next run or destroy). */
DNN_API dnn_status dnn_session_grad(dnn_session *session, int32_t num_inputs,
                                    const dnn_tensor *inputs, double *loss);
DNN_API dnn_status dnn_session_gradient(dnn_session *session, const char *param,
                                        dnn_tensor *tensor);

/* NumPy .npy files (little-endian '<f4' and '<i4', C order). */
DNN_API dnn_status dnn_npy_read(const char *path, dnn_tensor *tensor); /* data: malloc'd */
DNN_API dnn_status dnn_npy_write(const char *path, const dnn_tensor *tensor);
DNN_API void dnn_tensor_free(dnn_tensor *tensor); /* frees data from dnn_npy_read */

/* Bytes of the workspace (every temporary, planned at compile time) that
 * entry `entry` needs when each symbolic dimension is `batch`; a session
 * allocates it on the first call and grows it only for larger batches. */
DNN_API dnn_status dnn_entry_workspace_bytes(const dnn_model_info *model, const char *entry,
                                             int64_t batch, int64_t *bytes);

/* Profiling of the generated code: each parallel region (a loop nest of
 * generated code, named by its entry, number and .dnn source, e.g.
 * "train_step#12 dce/dw2 (mlp.dnn:13:24)") is timed on the calling thread
 * while profiling is on. Off by default; DNN_PROFILE=1 in the environment
 * turns it on when the library loads and prints the table to stderr at
 * exit. The records are those of this library's runtime (each model library
 * embeds its own). */
typedef struct dnn_profile_record {
  const char *region; /* static storage: valid while the library is loaded */
  int64_t calls;
  double seconds; /* wall-clock time on the calling thread, all calls */
} dnn_profile_record;
DNN_API void dnn_profile_enable(int32_t enabled);
DNN_API void dnn_profile_reset(void);
DNN_API int32_t dnn_profile_count(void);
DNN_API dnn_status dnn_profile_get(int32_t index, dnn_profile_record *out);

/* Called by generated code, not by apps: runs body(ctx, begin, end) over
 * disjoint chunks covering [0, count) on the thread pool and returns when
 * all are done; `region` names the loop for the profiler (may be NULL). */
void dnnrt_parallel_for(void (*body)(void *ctx, int64_t begin, int64_t end),
                        void *ctx, int64_t count, const char *region);

#ifdef __cplusplus
}
#endif

#endif /* DNN_RUNTIME_H */
