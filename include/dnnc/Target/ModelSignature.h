//===- ModelSignature.h - What a compiled model exposes --------*- C++ -*-===//
//
// The signature of a model as its library describes it (dnn/model.h):
// inputs, outputs and parameters with dtypes and shapes, symbolic dims by
// name, and the entry points with their arguments. Extracted from the dnn
// dialect before lowering, since lowering erases the model ops.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_TARGET_MODELSIGNATURE_H
#define DNNC_TARGET_MODELSIGNATURE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>
#include <vector>

namespace dnnc {

enum class DType { F32 = 1, I32 = 2, F64 = 3 }; // = dnn_dtype

struct DimSignature {
  int64_t size = -1;  // -1: symbolic
  std::string symbol; // set when symbolic
};

struct TensorSignature {
  std::string name;
  DType dtype = DType::F32;
  std::vector<DimSignature> dims;
  /// For an i32 input read as class indices (cross_entropy, accuracy,
  /// one_hot): every value must lie in [0, indexBound). 0: not checked.
  int64_t indexBound = 0;
};

struct ParamSignature {
  TensorSignature tensor;
  uint32_t init = 0; // = dnn_init_kind
  std::vector<std::pair<std::string, double>> initArgs;
  int64_t fanIn = 0, fanOut = 0;
};

enum class EntryKind { Predict = 0, Eval = 1, Grad = 2, TrainStep = 3 }; // = dnn_entry_kind

struct EntrySignature {
  std::string name;       // "predict"
  EntryKind kind = EntryKind::Predict;
  std::string symbolName; // the lowered function, e.g. "mlp_predict"
  std::vector<unsigned> inputs, outputs; // indices into the model's lists
  /// The copy compiled with `specializedSymbol` fixed to `specializedSize`
  /// (dnnc --batch), e.g. "mlp_N128_train_step"; empty when there is none.
  std::string specializedSymbolName;
  std::string specializedSymbol;
  int64_t specializedSize = 0;
};

struct OptimizerSignature {
  uint32_t kind = 0; // = dnn_optimizer_kind
  std::vector<std::pair<std::string, double>> hyperparameters;
  std::vector<std::string> slots; // state tensors per param
};

/// A size the training entries need (dnn_training_check): the product of
/// `symbols` at least 2.
struct TrainingCheck {
  std::string what; // "batch_norm at model.dnn:5:10"
  std::vector<std::string> symbols;
};

/// "mlp.dnn:12:16": where the .dnn source wrote `loc` (through fused and
/// name locations), or "" when it is not a file location.
std::string sourceLocation(mlir::Location loc);

struct ModelSignature {
  std::string name;
  /// The outputs, then the loss (an f32 scalar) when the model has one.
  std::vector<TensorSignature> inputs, outputs;
  std::vector<ParamSignature> params;
  /// Non-trainable state (dnn.buffer), e.g. batch_norm's running statistics.
  std::vector<ParamSignature> buffers;
  std::vector<EntrySignature> entries;
  int loss = -1; // index into outputs
  std::optional<OptimizerSignature> optimizer;
  /// Symbols in order of first appearance among the inputs.
  std::vector<std::string> symbols;
  /// The activations train_step keeps for its backward pass (filled by
  /// collectSavedActivations once the model is differentiated).
  std::vector<TensorSignature> saved;
  std::vector<TrainingCheck> trainingChecks;
};

/// Extracts the signature of every dnn.model in `module`. Reports (through
/// the context's diagnostics) and fails on what the ABI cannot express:
/// dynamic parameters or output dims that are not a model symbol.
llvm::FailureOr<std::vector<ModelSignature>> extractSignatures(mlir::ModuleOp module);

} // namespace dnnc

#endif // DNNC_TARGET_MODELSIGNATURE_H
