/*===- dnn/model.h - Descriptor of a compiled dnnc model library ---*- C -*-===*
 *
 * Every shared library that dnnc produces exports one function,
 * `dnn_library()`, returning a constant `dnn_library_info` that describes the
 * models inside: names, inputs, outputs and parameters with dtypes and shapes
 * (symbolic dimensions included), and the entry points with their argument
 * order. Generic tools (dnn-run) drive any model through it; the runtime
 * (dnn/runtime.h) uses it to bind tensors and call entry points.
 *
 * Plain C, no dependencies; see docs/runtime-abi.md.
 *
 *===----------------------------------------------------------------------===*/
#ifndef DNN_MODEL_H
#define DNN_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a layout in this file or the entry calling convention
 * changes; the runtime refuses a library built for another version. */
#define DNN_ABI_VERSION 7u

typedef enum dnn_dtype {
  DNN_DTYPE_F32 = 1,
  DNN_DTYPE_I32 = 2,
  DNN_DTYPE_F64 = 3,
} dnn_dtype;

/* Initializers, in the order of the compiler's InitKind enum. */
typedef enum dnn_init_kind {
  DNN_INIT_ZEROS = 0,
  DNN_INIT_ONES = 1,
  DNN_INIT_CONSTANT = 2,       /* args: value */
  DNN_INIT_UNIFORM = 3,        /* args: low, high */
  DNN_INIT_NORMAL = 4,         /* args: mean, std */
  DNN_INIT_GLOROT_UNIFORM = 5, /* args: gain */
  DNN_INIT_GLOROT_NORMAL = 6,  /* args: gain */
  DNN_INIT_HE_UNIFORM = 7,     /* no args: ReLU gain sqrt(2), fan-in mode */
  DNN_INIT_HE_NORMAL = 8,      /* no args: ReLU gain sqrt(2), fan-in mode */
} dnn_init_kind;

/* Optimizers, in the order of the compiler's OptimizerKind enum. */
typedef enum dnn_optimizer_kind {
  DNN_OPTIMIZER_SGD = 0,      /* torch.optim.SGD: lr, weight_decay */
  DNN_OPTIMIZER_MOMENTUM = 1, /* torch.optim.SGD with momentum: lr, beta, weight_decay */
  DNN_OPTIMIZER_ADAM = 2,     /* torch.optim.Adam: lr, beta1, beta2, eps, weight_decay */
} dnn_optimizer_kind;

/* What an entry point computes; it fixes the entry's calling convention. */
typedef enum dnn_entry_kind {
  DNN_ENTRY_PREDICT = 0,    /* outputs of the model */
  DNN_ENTRY_EVAL = 1,       /* outputs and the loss, no update */
  DNN_ENTRY_GRAD = 2,       /* loss and d loss / d param for every param */
  DNN_ENTRY_TRAIN_STEP = 3, /* forward, backward and optimizer update */
} dnn_entry_kind;

/* The names the language and every tool use: "f32", "he_normal", ...;
 * NULL for a value outside the enum. */
static inline const char *dnn_dtype_name(int32_t dtype) {
  switch (dtype) {
  case DNN_DTYPE_F32: return "f32";
  case DNN_DTYPE_I32: return "i32";
  case DNN_DTYPE_F64: return "f64";
  }
  return 0;
}

static inline const char *dnn_init_kind_name(int32_t kind) {
  switch (kind) {
  case DNN_INIT_ZEROS: return "zeros";
  case DNN_INIT_ONES: return "ones";
  case DNN_INIT_CONSTANT: return "constant";
  case DNN_INIT_UNIFORM: return "uniform";
  case DNN_INIT_NORMAL: return "normal";
  case DNN_INIT_GLOROT_UNIFORM: return "glorot_uniform";
  case DNN_INIT_GLOROT_NORMAL: return "glorot_normal";
  case DNN_INIT_HE_UNIFORM: return "he_uniform";
  case DNN_INIT_HE_NORMAL: return "he_normal";
  }
  return 0;
}

static inline const char *dnn_optimizer_kind_name(int32_t kind) {
  switch (kind) {
  case DNN_OPTIMIZER_SGD: return "sgd";
  case DNN_OPTIMIZER_MOMENTUM: return "momentum";
  case DNN_OPTIMIZER_ADAM: return "adam";
  }
  return 0;
}

/* A dimension is static (size >= 0, symbol NULL) or symbolic (size -1 and
 * the symbol's name, e.g. "N"), bound when an entry point is called. */
typedef struct dnn_dim_info {
  int64_t size;
  const char *symbol;
} dnn_dim_info;

typedef struct dnn_tensor_info {
  const char *name;
  int32_t dtype; /* dnn_dtype */
  int32_t rank;
  const dnn_dim_info *dims; /* rank entries */
} dnn_tensor_info;

/* A named number: an initializer's argument or an optimizer's hyperparameter. */
typedef struct dnn_init_arg {
  const char *name;
  double value;
} dnn_init_arg;

typedef struct dnn_param_info {
  dnn_tensor_info tensor; /* always static */
  int32_t init;           /* dnn_init_kind */
  int32_t num_init_args;
  const dnn_init_arg *init_args;
  int64_t fan_in, fan_out; /* for glorot and he; 0 when unused */
} dnn_param_info;

/* Calling convention of every entry point: `fn(args)` where args[i] points to
 * a strided memref descriptor of the tensor's rank R:
 *
 *   struct { void *allocated; void *aligned; int64_t offset;
 *            int64_t sizes[R]; int64_t strides[R]; }
 *
 * (for R = 0 the two arrays are absent). The order depends on the kind:
 *
 *   predict, eval: params, buffers, inputs, outputs (eval: the loss among
 *                  them)
 *   grad:          params, buffers, inputs, key, loss, then one gradient
 *                  per param (same shape as the param, declaration order)
 *   train_step:    params, optimizer state, buffers, inputs, lr (f64
 *                  scalar), step (i32 scalar: the 1-based number of this
 *                  step), key, then loss; the params, optimizer state and
 *                  buffers are updated in place
 *
 * predict and eval run in inference mode (batch_norm reads the running
 * statistics, dropout is the identity), grad and train_step in training
 * mode. `key` (i64 scalar) seeds the step's dropout masks; the runtime
 * passes dnn_step_key(seed, step) (below), so that a step repeated with the
 * same seed draws the same masks.
 *
 * and then, last for every kind, the workspace: a rank-1 i8 buffer of at
 * least `workspace(args)` bytes, 64-byte aligned, that holds every
 * temporary of the entry (planned at compile time; it need not be zeroed
 * and may be reused by the next call). `workspace` takes the same args less
 * the workspace and reads only their shapes.
 *
 * where params are every parameter of the model in declaration order and the
 * optimizer state is, for each param in order, one tensor of the param's
 * shape per slot of dnn_optimizer_info. Outputs are written into
 * caller-provided, densely packed row-major buffers that do not alias the
 * arguments. Entry points do not fail: the caller checks shapes first. */
typedef void (*dnn_entry_fn)(void **args);
typedef int64_t (*dnn_workspace_fn)(void **args);

typedef struct dnn_entry_info {
  const char *name; /* "predict", "eval", "grad", "train_step" */
  int32_t kind;     /* dnn_entry_kind */
  dnn_entry_fn fn;
  dnn_workspace_fn workspace; /* NULL: the entry takes no workspace */
  int32_t num_inputs;
  const int32_t *inputs; /* indices into dnn_model_info.inputs */
  int32_t num_outputs;
  const int32_t *outputs; /* indices into dnn_model_info.outputs */
  /* A copy of the entry compiled with one symbol fixed to one size
   * (`dnnc --batch N=128`), which the runtime calls instead of fn and
   * workspace when the call binds that symbol to that size. NULL / 0 when
   * the library has no such copy. */
  const char *specialized_symbol;
  int64_t specialized_size;
  dnn_entry_fn specialized_fn;
  dnn_workspace_fn specialized_workspace;
} dnn_entry_info;

/* How `train with ...` updates the params. */
typedef struct dnn_optimizer_info {
  int32_t kind; /* dnn_optimizer_kind */
  int32_t num_hyperparameters;
  const dnn_init_arg *hyperparameters; /* every one, defaults included */
  int32_t num_slots;
  const char *const *slots; /* state per param: "momentum_buffer"; "exp_avg", "exp_avg_sq" */
} dnn_optimizer_info;

/* Where a model's entry points run. */
typedef enum dnn_device_kind {
  DNN_DEVICE_CPU = 0,
  DNN_DEVICE_CUDA = 1, /* kernels launched through the CUDA driver (dnnc --target=cuda) */
} dnn_device_kind;

/* A size the training entries (grad, train_step) need: the product of the
 * named symbols' sizes must be at least 2. batch_norm over [N, C] divides
 * its running variance by (values per channel - 1), so it needs N >= 2 in
 * training, as torch refuses one value per channel. */
typedef struct dnn_training_check {
  const char *what; /* "batch_norm at model.dnn:5:10" */
  int32_t num_symbols;
  const char *const *symbols;
} dnn_training_check;

typedef struct dnn_model_info {
  const char *name;
  int32_t num_inputs;
  const dnn_tensor_info *inputs;
  int32_t num_outputs;
  const dnn_tensor_info *outputs;
  int32_t num_params;
  const dnn_param_info *params;
  int32_t num_entries;
  const dnn_entry_info *entries;
  int32_t loss; /* index into outputs of the f32 scalar loss, or -1 */
  const dnn_optimizer_info *optimizer; /* NULL when the model has no `train` */
  /* The activations train_step keeps from its forward pass for its backward
   * pass (inside its workspace), for memory reports. Names are the ops'
   * source locations; symbolic dims carry the model's symbol when it has
   * one symbol, else NULL (reports take every symbolic dim as the batch). */
  int32_t num_saved;
  const dnn_tensor_info *saved;
  /* One entry per input: an i32 input read as class indices (cross_entropy,
   * accuracy, one_hot) must hold values in [0, bound), which the runtime
   * checks before every call; 0 for other inputs. NULL when no input is. */
  const int64_t *input_index_bounds;
  /* Non-trainable state in declaration order (batch_norm's running
   * statistics): initialised, checkpointed and passed like params, updated
   * only by train_step. */
  int32_t num_buffers;
  const dnn_param_info *buffers;
  int32_t device;           /* dnn_device_kind */
  const char *device_archs; /* DNN_DEVICE_CUDA: the architectures with kernels,
                               "sm_80,sm_90"; "" on the CPU */
  /* Checked by the runtime before every grad and train_step call. */
  int32_t num_training_checks;
  const dnn_training_check *training_checks;
} dnn_model_info;

/* The random key of training step `step` (1-based) in a session seeded with
 * `seed`: splitmix64 of the seed, mixed with the step. */
static inline uint64_t dnn_step_key(uint64_t seed, int64_t step) {
  uint64_t z = seed ^ ((uint64_t)step * 0xD1B54A32D192ED03ull);
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

typedef struct dnn_library_info {
  uint32_t abi_version; /* DNN_ABI_VERSION of the compiler that built it */
  const char *producer; /* e.g. "dnnc 0.1.0" */
  int32_t num_models;
  const dnn_model_info *models;
} dnn_library_info;

/* Exported by every library dnnc builds. */
typedef const dnn_library_info *(*dnn_library_fn)(void);
#define DNN_LIBRARY_SYMBOL "dnn_library"

#ifdef __cplusplus
}
#endif

#endif /* DNN_MODEL_H */
