//===- DNNOps.td - Ops of the dnn dialect ----------------------*- tablegen -*-===//
//
// One op per builtin of the .dnn language, plus the model structure (model,
// input, param, output, loss, train). Compute ops infer their result types
// through InferTypeOpInterface, backed by dnnc/Support/Shape.h, which the
// frontend uses too.
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_DIALECT_DNN_IR_DNNOPS_TD
#define DNNC_DIALECT_DNN_IR_DNNOPS_TD

include "dnnc/Dialect/DNN/IR/DNNBase.td"
include "dnnc/Dialect/DNN/IR/GradientOpInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Ops whose vector-Jacobian product the autodiff pass can ask for.
defvar DNN_Differentiable = DeclareOpInterfaceMethods<DNN_GradientOpInterface>;

//===----------------------------------------------------------------------===//
// Model structure
//===----------------------------------------------------------------------===//

def DNN_ModelOp : DNN_Op<"model", [IsolatedFromAbove, Symbol, NoTerminator,
                                   SingleBlock, NoRegionArguments]> {
  let summary = "A model: its inputs, parameters, graph, outputs, loss and optimizer";
  let description = [{
    A model is one block that reads top to bottom like the `.dnn` source:
    `dnn.input` and `dnn.param` define values, compute ops use them, and
    `dnn.output`, `dnn.loss` and `dnn.train` name what the compiled artifact
    exposes.

    ```mlir
    dnn.model @linear {
      %x = dnn.input "x" symbols ["N"] : tensor<?x1xf32>
      %w = dnn.param "w" init zeros : tensor<1x1xf32>
      %y = dnn.matmul %x, %w : tensor<?x1xf32>, tensor<1x1xf32>
      dnn.output "y" %y : tensor<?x1xf32>
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
  let builders = [OpBuilder<(ins "::llvm::StringRef":$name)>];
  let extraClassDeclaration = [{
    /// The loss op, if the model has one.
    LossOp getLossOp();
    /// The train op, if the model has one.
    TrainOp getTrainOp();
  }];
}

def DNN_InputOp : DNN_Op<"input", [HasParent<"ModelOp">]> {
  let summary = "A model input, bound at each call";
  let description = [{
    `symbols` names the dynamic dimensions of the type in order, e.g. the
    batch size `N`; two inputs that use the same symbol must agree at run time.
  }];
  let arguments = (ins StrAttr:$name,
                       DefaultValuedAttr<StrArrayAttr, "{}">:$symbols);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "$name (`symbols` $symbols^)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def DNN_ParamOp : DNN_Op<"param", [HasParent<"ModelOp">]> {
  let summary = "A trainable parameter and its initializer";
  let description = [{
    `init_args` holds the initializer's arguments, all of them explicit
    (e.g. `{low = ..., high = ...}` for `uniform`); see docs/language.md.
  }];
  let arguments = (ins StrAttr:$name, DNN_InitKindAttr:$init,
                       DefaultValuedAttr<DictionaryAttr, "{}">:$init_args);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $name `init` `` $init (`with` $init_args^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def DNN_BufferOp : DNN_Op<"buffer", [HasParent<"ModelOp">]> {
  let summary = "Non-trainable model state (batch_norm's running statistics)";
  let description = [{
    Like `dnn.param`, a static tensor that the session owns, initialises and
    checkpoints, but no gradient flows to it and the optimizer does not
    update it: `dnn.buffer_update` gives its value after a training step
    (torch's `register_buffer`). Every entry point reads it; train_step
    overwrites it in place.
  }];
  let arguments = (ins StrAttr:$name, DNN_InitKindAttr:$init,
                       DefaultValuedAttr<DictionaryAttr, "{}">:$init_args);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $name `init` `` $init (`with` $init_args^)? attr-dict `:` type($result)
  }];
}

def DNN_BufferUpdateOp : DNN_Op<"buffer_update", [HasParent<"ModelOp">,
    AllTypesMatch<["buffer", "value"]>]> {
  let summary = "The value a buffer takes after a training step";
  let description = [{
    Computed in training mode (see dnn.mode_switch) and written into the
    buffer by train_step only; predict, eval and grad leave buffers as they
    are. At most one update per buffer.
  }];
  let arguments = (ins DNN_FloatTensor:$buffer, DNN_FloatTensor:$value);
  let assemblyFormat = "$buffer `to` $value attr-dict `:` type($value)";
  let hasVerifier = 1;
}

def DNN_RngKeyOp : DNN_Op<"rng_key", [HasParent<"ModelOp">]> {
  let summary = "The random key of one training step (dropout masks)";
  let description = [{
    An i64 scalar that grad and train_step take as an argument: the runtime
    derives it from the session seed and the step number, so masks are the
    same whenever a step is repeated (a resumed run is bit-identical).
    Inference entries never read it.
  }];
  let results = (outs 0DTensorOf<[I64]>:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def DNN_ModeSwitchOp : DNN_Op<"mode_switch", [Pure, DNN_Differentiable,
    AllTypesMatch<["training", "inference", "result"]>]> {
  let summary = "One value in training (grad, train_step), another in inference";
  let description = [{
    What `model.train()` and `model.eval()` switch in torch: batch_norm's
    batch statistics or running statistics, dropout or the identity.
    dnn-outline-entries keeps `training` in grad and train_step and
    `inference` in predict and eval; gradients flow to `training` only.
  }];
  let arguments = (ins DNN_AnyTensor:$training, DNN_AnyTensor:$inference);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = [{
    `training` $training `inference` $inference attr-dict `:` type($result)
  }];
}

def DNN_OutputOp : DNN_Op<"output", [HasParent<"ModelOp">]> {
  let summary = "Names a value that the compiled model returns";
  let arguments = (ins StrAttr:$name, DNN_AnyTensor:$value);
  let assemblyFormat = "$name $value attr-dict `:` type($value)";
}

def DNN_LossOp : DNN_Op<"loss", [HasParent<"ModelOp">]> {
  let summary = "Names the scalar that training minimizes";
  let arguments = (ins StrAttr:$name, DNN_ScalarFloatTensor:$value);
  let assemblyFormat = "$name $value attr-dict `:` type($value)";
}

def DNN_TrainOp : DNN_Op<"train", [HasParent<"ModelOp">]> {
  let summary = "The optimizer that trains the model's parameters";
  let description = [{
    `hyperparameters` holds every hyperparameter explicitly, defaults
    included (e.g. `lr`, `beta1`, `beta2`, `eps`, `weight_decay` for adam).
  }];
  let arguments = (ins DNN_OptimizerKindAttr:$optimizer,
                       DictionaryAttr:$hyperparameters);
  let assemblyFormat = "`` $optimizer `with` $hyperparameters attr-dict";
  let hasVerifier = 1;
}

def DNN_GradientOp : DNN_Op<"gradient", [HasParent<"ModelOp">]> {
  let summary = "Names d loss / d param, as derived by the dnn-autodiff pass";
  let arguments = (ins StrAttr:$param, DNN_FloatTensor:$value);
  let assemblyFormat = "$param $value attr-dict `:` type($value)";
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def DNN_ConstantOp : DNN_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//


class DNN_BroadcastBinaryOp<string mnemonic, list<Trait> traits = []>
    : DNN_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor], traits)> {
  let description = [{
    Elementwise with NumPy broadcasting: shapes align at the trailing
    dimension and a dimension of size 1 stretches to match the other.
  }];
  let arguments = (ins DNN_AnyTensor:$lhs, DNN_AnyTensor:$rhs);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasFolder = 1;
}

def DNN_AddOp : DNN_BroadcastBinaryOp<"add", [Commutative, DNN_Differentiable]> {
  let summary = "lhs + rhs";
}
def DNN_SubOp : DNN_BroadcastBinaryOp<"sub", [DNN_Differentiable]> { let summary = "lhs - rhs"; }
def DNN_MulOp : DNN_BroadcastBinaryOp<"mul", [Commutative, DNN_Differentiable]> {
  let summary = "lhs * rhs";
}
def DNN_DivOp : DNN_BroadcastBinaryOp<"div", [DNN_Differentiable]> { let summary = "lhs / rhs"; }

class DNN_UnaryOp<string mnemonic, list<Trait> traits = []>
    : DNN_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor], traits)> {
  let arguments = (ins DNN_FloatTensor:$input);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def DNN_NegOp : DNN_UnaryOp<"neg", [DNN_Differentiable]> {
  let summary = "-input";
  let arguments = (ins DNN_AnyTensor:$input);
  let results = (outs DNN_AnyTensor:$result);
  let hasFolder = 1;
}
def DNN_ReluOp : DNN_UnaryOp<"relu", [DNN_Differentiable]> {
  let summary = "max(input, 0)";
  let hasFolder = 1;
}
def DNN_SigmoidOp : DNN_UnaryOp<"sigmoid", [DNN_Differentiable]> { let summary = "1 / (1 + exp(-input))"; }
def DNN_SiluOp : DNN_UnaryOp<"silu", [DNN_Differentiable]> {
  let summary = "input * sigmoid(input) (torch.nn.functional.silu)";
}
def DNN_GeluOp : DNN_UnaryOp<"gelu", [DNN_Differentiable]> {
  let summary = "input * Phi(input), Phi the standard normal CDF (torch.nn.functional.gelu)";
  let description = [{
    The exact form `0.5 x (1 + erf(x / sqrt(2)))`, or with `tanh` torch's
    `approximate="tanh"`: `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.
  }];
  let arguments = (ins DNN_FloatTensor:$input, UnitAttr:$tanh);
  let assemblyFormat = "$input (`tanh` $tanh^)? attr-dict `:` type($input)";
}
def DNN_SoftplusOp : DNN_UnaryOp<"softplus", [DNN_Differentiable]> {
  let summary = "log(1 + exp(input)) (torch.nn.functional.softplus, beta 1)";
}
def DNN_TanhOp : DNN_UnaryOp<"tanh", [DNN_Differentiable]> { let summary = "Hyperbolic tangent"; }
def DNN_ExpOp : DNN_UnaryOp<"exp", [DNN_Differentiable]> { let summary = "e ** input"; }
def DNN_LogOp : DNN_UnaryOp<"log", [DNN_Differentiable]> { let summary = "Natural logarithm"; }
def DNN_SqrtOp : DNN_UnaryOp<"sqrt", [DNN_Differentiable]> { let summary = "Square root"; }
def DNN_AbsOp : DNN_UnaryOp<"abs", [DNN_Differentiable]> {
  let summary = "|input|";
  let arguments = (ins DNN_AnyTensor:$input);
  let results = (outs DNN_AnyTensor:$result);
}
def DNN_StopGradientOp : DNN_UnaryOp<"stop_gradient", [DNN_Differentiable]> {
  let summary = "Identity whose gradient is zero";
  let arguments = (ins DNN_AnyTensor:$input);
  let results = (outs DNN_AnyTensor:$result);
  let hasFolder = 1;
}

def DNN_LeakyReluOp : DNN_UnaryOp<"leaky_relu", [DNN_Differentiable]> {
  let summary = "input if input > 0 else slope * input";
  let arguments = (ins DNN_FloatTensor:$input, F64Attr:$slope);
  let assemblyFormat = "$input `slope` $slope attr-dict `:` type($input)";
}

def DNN_PowOp : DNN_UnaryOp<"pow", [DNN_Differentiable]> {
  let summary = "input ** exponent, with a constant exponent";
  let arguments = (ins DNN_FloatTensor:$input, F64Attr:$exponent);
  let assemblyFormat = "$input `,` $exponent attr-dict `:` type($input)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def DNN_MatmulOp : DNN_Op<"matmul", [Pure, InferTypeOpAdaptor, DNN_Differentiable]> {
  let summary = "Matrix product, batched over leading dimensions";
  let description = [{
    `[..., M, K] @ [..., K, P] -> [..., M, P]`; the leading (batch)
    dimensions broadcast.
  }];
  let arguments = (ins DNN_FloatTensor:$lhs, DNN_FloatTensor:$rhs);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

//===----------------------------------------------------------------------===//
// Normalizations and reductions
//===----------------------------------------------------------------------===//

def DNN_SoftmaxOp : DNN_UnaryOp<"softmax", [DNN_Differentiable]> {
  let summary = "exp(x) / sum(exp(x)) along an axis";
  let arguments = (ins DNN_FloatTensor:$input, I64Attr:$axis);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($input)";
  let hasVerifier = 1;
}
def DNN_LogSoftmaxOp : DNN_UnaryOp<"log_softmax", [DNN_Differentiable]> {
  let summary = "x - log(sum(exp(x))) along an axis";
  let arguments = (ins DNN_FloatTensor:$input, I64Attr:$axis);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($input)";
  let hasVerifier = 1;
}

class DNN_ReduceOp<string mnemonic, Type tensor = DNN_AnyTensor>
    : DNN_Op<mnemonic, [Pure, InferTypeOpAdaptor, DNN_Differentiable]> {
  let description = [{
    Reduces over `axes` (all axes when empty); `keepdims` keeps each reduced
    axis with size 1.
  }];
  let arguments = (ins tensor:$input, DenseI64ArrayAttr:$axes, UnitAttr:$keepdims);
  let results = (outs tensor:$result);
  let assemblyFormat = [{
    $input `axes` $axes (`keepdims` $keepdims^)? attr-dict `:` type($input)
  }];
}
def DNN_SumOp : DNN_ReduceOp<"sum"> { let summary = "Sum over axes"; }
def DNN_MeanOp : DNN_ReduceOp<"mean", DNN_FloatTensor> { let summary = "Mean over axes"; }
def DNN_MaxOp : DNN_ReduceOp<"max"> { let summary = "Maximum over axes"; }
def DNN_MinOp : DNN_ReduceOp<"min"> { let summary = "Minimum over axes"; }

def DNN_ArgmaxOp : DNN_Op<"argmax", [Pure, InferTypeOpAdaptor]> {
  let summary = "Index of the largest element along an axis (first on ties)";
  let arguments = (ins DNN_AnyTensor:$input, I64Attr:$axis);
  let results = (outs DNN_IndexTensor:$result);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def DNN_ReshapeOp : DNN_Op<"reshape", [Pure, InferTypeOpAdaptor, DNN_Differentiable]> {
  let summary = "Same elements, new shape";
  let description = [{
    `shape` gives the new dimensions; -1 marks the one dynamic dimension,
    whose size follows from the element count.
  }];
  let arguments = (ins DNN_AnyTensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "$input `to` $shape attr-dict `:` type($input)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def DNN_FlattenOp : DNN_Op<"flatten", [Pure, InferTypeOpAdaptor, DNN_Differentiable]> {
  let summary = "Collapses all dimensions but the first: [N, ...] -> [N, prod(...)]";
  let arguments = (ins DNN_AnyTensor:$input);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

def DNN_TransposeOp : DNN_Op<"transpose", [Pure, InferTypeOpAdaptor, DNN_Differentiable]> {
  let summary = "Permutes dimensions: result dim i is input dim perm[i]";
  let arguments = (ins DNN_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "$input `perm` $perm attr-dict `:` type($input)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def DNN_ConcatOp : DNN_Op<"concat", [Pure, InferTypeOpAdaptor, DNN_Differentiable]> {
  let summary = "Joins tensors along an axis";
  let arguments = (ins Variadic<DNN_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "$inputs `axis` $axis attr-dict `:` type($inputs)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Convolution and pooling (NCHW)
//===----------------------------------------------------------------------===//

def DNN_Conv2dOp : DNN_Op<"conv2d", [Pure, InferTypeOpAdaptor, DNN_Differentiable]> {
  let summary = "2-D convolution: NCHW input, FCHW filter, optional [F] bias";
  let arguments = (ins DNN_FloatTensor:$input, DNN_FloatTensor:$filter,
                       Optional<DNN_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? `stride` $stride `padding` $padding attr-dict
    `:` type($input) `,` type($filter) (`,` type($bias)^)?
  }];
}

class DNN_Pool2dOp<string mnemonic>
    : DNN_Op<mnemonic, [Pure, InferTypeOpAdaptor, DNN_Differentiable]> {
  let arguments = (ins DNN_FloatTensor:$input, DenseI64ArrayAttr:$size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `size` $size `stride` $stride `padding` $padding attr-dict `:` type($input)
  }];
}
def DNN_MaxPool2dOp : DNN_Pool2dOp<"maxpool2d"> {
  let summary = "2-D max pooling over NCHW (padding never wins the max)";
}
def DNN_AvgPool2dOp : DNN_Pool2dOp<"avgpool2d"> {
  let summary = "2-D average pooling over NCHW (padding counts as zeros)";
}

//===----------------------------------------------------------------------===//
// Losses and metrics: all reduce to a scalar averaged over the batch
//===----------------------------------------------------------------------===//

class DNN_LossLikeOp<string mnemonic, Type target, list<Trait> traits = []>
    : DNN_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor], traits)> {
  let arguments = (ins DNN_FloatTensor:$input, target:$target);
  let results = (outs DNN_ScalarFloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $target attr-dict `:` type($input) `,` type($target)
  }];
}
def DNN_MseOp : DNN_LossLikeOp<"mse", DNN_FloatTensor, [DNN_Differentiable]> {
  let summary = "Mean squared error over all elements";
}
def DNN_BceOp : DNN_LossLikeOp<"bce", DNN_FloatTensor, [DNN_Differentiable]> {
  let summary = "Binary cross-entropy of probabilities, mean over all elements";
}
def DNN_BceWithLogitsOp : DNN_LossLikeOp<"bce_with_logits", DNN_FloatTensor, [DNN_Differentiable]> {
  let summary = "Binary cross-entropy of logits, mean over all elements";
}
def DNN_CrossEntropyOp : DNN_LossLikeOp<"cross_entropy", DNN_AnyTensor, [DNN_Differentiable]> {
  let summary = "Softmax cross-entropy of logits, mean over the batch";
  let description = [{
    Targets are class indices (i32 [N]) or class probabilities ([N, C] of the
    logits' element type), as in torch.nn.CrossEntropyLoss.
  }];
}
def DNN_AccuracyOp : DNN_LossLikeOp<"accuracy", DNN_IndexTensor> {
  let summary = "Fraction of rows whose argmax equals the label";
}

def DNN_OneHotOp : DNN_Op<"one_hot", [Pure, InferTypeOpAdaptor]> {
  let summary = "Class indices to one-hot vectors along a new last axis";
  let description = [{
    The vectors are f32 (the DSL's `one_hot`) unless `element_type` says
    otherwise: the cross-entropy gradient builds them in the logits' type.
  }];
  let arguments = (ins DNN_IndexTensor:$labels, I64Attr:$num_classes,
                       OptionalAttr<TypeAttrOf<AnyFloat>>:$element_type);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $labels `classes` $num_classes (`to` $element_type^)? attr-dict `:` type($labels)
  }];
}

def DNN_DropoutOp : DNN_Op<"dropout", [Pure, DNN_Differentiable,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "input times a random keep mask scaled by 1 / (1 - p)";
  let description = [{
    Element i (row-major) is kept when lowbias32(lowbias32(i * 0x9E3779B9 +
    lo) ^ hi) >= round(p * 2^32), where (hi, lo) are the halves of
    splitmix64(key + (site + 1) * 0x9E3779B97F4A7C15): a counter-based mask,
    the same in the compiled code and the reference interpreter, recomputed
    (not stored) for the backward pass, whose rule is the same op on the
    gradient. `site` numbers the dropouts of a model.
  }];
  let arguments = (ins DNN_FloatTensor:$input, 0DTensorOf<[I64]>:$key, F64Attr:$p,
                       I64Attr:$site);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `key` $key `p` $p `site` $site attr-dict `:` type($input) `,` type($key)
  }];
  let hasVerifier = 1;
}

def DNN_CountOp : DNN_Op<"count", [Pure]> {
  let summary = "The number of elements a reduction over `axes` of input sums";
  let description = [{
    The product of input's sizes at `axes`, as a float scalar of input's
    element type (batch_norm's unbiased variance needs it with a symbolic
    batch).

    `training_symbols`, when set, names the symbolic sizes at `axes` (the
    static ones multiply to 1): the count must be at least 2 in training,
    since batch_norm divides by count - 1, so the library's descriptor asks
    the runtime to check that their product is at least 2 before every
    grad and train_step call (dnn_training_check).
  }];
  let arguments = (ins DNN_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       OptionalAttr<StrArrayAttr>:$training_symbols);
  let results = (outs DNN_ScalarFloatTensor:$result);
  let assemblyFormat = "$input `axes` $axes attr-dict `:` type($input) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Gradient building blocks: ops that the vector-Jacobian products build and
// the source language does not spell. Result types are given, not inferred:
// each has the shape of an operand it is "like" (whose dynamic sizes it takes).
//===----------------------------------------------------------------------===//

def DNN_ReluGradOp : DNN_Op<"relu_grad", [Pure, AllTypesMatch<["input", "grad", "result"]>]> {
  let summary = "grad where input > 0, else slope * grad (relu: slope 0)";
  let arguments = (ins DNN_FloatTensor:$input, DNN_FloatTensor:$grad, F64Attr:$slope);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = "$input `,` $grad `slope` $slope attr-dict `:` type($input)";
}

def DNN_GeluGradOp : DNN_Op<"gelu_grad", [Pure, AllTypesMatch<["input", "grad", "result"]>]> {
  let summary = "grad * d gelu(input) / d input (the form `tanh` selects)";
  let arguments = (ins DNN_FloatTensor:$input, DNN_FloatTensor:$grad, UnitAttr:$tanh);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = "$input `,` $grad (`tanh` $tanh^)? attr-dict `:` type($input)";
}

def DNN_SignOp : DNN_UnaryOp<"sign"> {
  let summary = "-1, 0 or 1 by the sign of input";
}

def DNN_EqualOp : DNN_BroadcastBinaryOp<"equal"> {
  let summary = "1 where lhs == rhs, else 0, in lhs's element type";
  let hasFolder = 0;
}

def DNN_MaximumOp : DNN_BroadcastBinaryOp<"maximum"> {
  let summary = "Elementwise maximum; NaN if either operand is NaN (torch.maximum)";
  let hasFolder = 0;
}

def DNN_BroadcastLikeOp : DNN_Op<"broadcast_like", [Pure]> {
  let summary = "Stretches a tensor over the given axes of the result";
  let description = [{
    The inverse of a reduction over `axes`: the input's dimensions map in
    order to the result dimensions not in `axes` (or, with the input's rank
    equal to the result's, the input has size 1 at `axes`), and every element
    is repeated along `axes`. The result has the shape of `like`.
    `divide_by_count` divides by the number of repetitions, for the
    gradient of a mean.
  }];
  let arguments = (ins DNN_FloatTensor:$input, DNN_AnyTensor:$like,
                       DenseI64ArrayAttr:$axes, UnitAttr:$divide_by_count);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `like` $like `axes` $axes (`divide_by_count` $divide_by_count^)? attr-dict
    `:` type($input) `,` type($like) `->` type($result)
  }];
  let hasVerifier = 1;
}

def DNN_SliceOp : DNN_Op<"slice", [Pure]> {
  let summary = "The elements [start, start + size) of input along an axis";
  let arguments = (ins DNN_FloatTensor:$input, I64Attr:$axis, I64Attr:$start);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` $axis `start` $start attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def DNN_Conv2dInputGradOp : DNN_Op<"conv2d_input_grad", [Pure]> {
  let summary = "d loss / d input of conv2d: a transposed convolution of grad";
  let arguments = (ins DNN_FloatTensor:$grad, DNN_FloatTensor:$filter,
                       DNN_FloatTensor:$like, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $filter `like` $like `stride` $stride `padding` $padding attr-dict
    `:` type($grad) `,` type($filter) `,` type($like) `->` type($result)
  }];
}

def DNN_Conv2dFilterGradOp : DNN_Op<"conv2d_filter_grad", [Pure]> {
  let summary = "d loss / d filter of conv2d: input correlated with grad";
  let arguments = (ins DNN_FloatTensor:$input, DNN_FloatTensor:$grad,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad `stride` $stride `padding` $padding attr-dict
    `:` type($input) `,` type($grad) `->` type($result)
  }];
}

def DNN_MaxPool2dArgmaxOp : DNN_Op<"maxpool2d_argmax", [Pure]> {
  let summary = "Each max-pooling window's first maximum, as its offset kh * KW + kw";
  let description = [{
    The argmax that maxpool2d's gradient routes through, in row-major window
    order (a later element must be strictly greater to take over; padding is
    never a candidate). maxpool2d's gradient rule emits it on the pooled
    input, so it is computed in the forward pass: for windows that tile the
    input, its lowering and maxpool2d's are one op with two results (CSE
    merges them), and the backward pass reads the recorded offsets instead of
    the full-size input.
  }];
  let arguments = (ins DNN_FloatTensor:$input, DenseI64ArrayAttr:$size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs DNN_IndexTensor:$result);
  let assemblyFormat = [{
    $input `size` $size `stride` $stride `padding` $padding attr-dict
    `:` type($input) `->` type($result)
  }];
}

def DNN_MaxPool2dArgmaxGradOp : DNN_Op<"maxpool2d_argmax_grad", [Pure]> {
  let summary = "d loss / d input of maxpool2d: grad routed to each window's recorded maximum";
  let description = [{
    Each window's gradient goes to the input element at its recorded offset
    (dnn.maxpool2d_argmax); an element in several windows sums theirs. The
    result type is the pooled input's.
  }];
  let arguments = (ins DNN_IndexTensor:$argmax, DNN_FloatTensor:$grad, DenseI64ArrayAttr:$size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $argmax `,` $grad `size` $size `stride` $stride `padding` $padding attr-dict
    `:` type($argmax) `,` type($grad) `->` type($result)
  }];
}

def DNN_AvgPool2dGradOp : DNN_Op<"avgpool2d_grad", [Pure]> {
  let summary = "d loss / d input of avgpool2d: grad spread evenly over each window";
  let arguments = (ins DNN_FloatTensor:$grad, DNN_FloatTensor:$like, DenseI64ArrayAttr:$size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `like` $like `size` $size `stride` $stride `padding` $padding attr-dict
    `:` type($grad) `,` type($like) `->` type($result)
  }];
}

def DNN_ApplyOptimizerOp : DNN_Op<"apply_optimizer", [Pure]> {
  let summary = "One optimizer update of a parameter and its state";
  let description = [{
    Returns the updated parameter and optimizer state, as torch.optim does in
    place (see docs/language.md, "Optimizers"):

    - sgd: g' = g + wd * p; p -= lr * g'
    - momentum (state: momentum_buffer): v = beta * v + g'; p -= lr * v
    - adam (state: exp_avg, exp_avg_sq): m = beta1 * m + (1 - beta1) * g';
      v = beta2 * v + (1 - beta2) * g'^2;
      p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    `lr` is a run-time f64 scalar, `step` the i32 number t of this step
    (from 1).
  }];
  let arguments = (ins DNN_OptimizerKindAttr:$optimizer, DictionaryAttr:$hyperparameters,
                       DNN_FloatTensor:$param, DNN_FloatTensor:$grad,
                       Variadic<DNN_FloatTensor>:$state,
                       0DTensorOf<[F64]>:$lr, 0DTensorOf<[I32]>:$step);
  let results = (outs DNN_FloatTensor:$new_param, Variadic<DNN_FloatTensor>:$new_state);
  let assemblyFormat = [{
    $optimizer $param `,` $grad (`state` `(` $state^ `)`)? `lr` $lr `step` $step
    `with` $hyperparameters attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The names of the state tensors the optimizer keeps per parameter.
    static ::llvm::ArrayRef<::llvm::StringRef> getStateSlots(OptimizerKind kind);
  }];
}

#endif // DNNC_DIALECT_DNN_IR_DNNOPS_TD
