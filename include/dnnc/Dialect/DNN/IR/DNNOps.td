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
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

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

def DNN_AddOp : DNN_BroadcastBinaryOp<"add", [Commutative]> {
  let summary = "lhs + rhs";
}
def DNN_SubOp : DNN_BroadcastBinaryOp<"sub"> { let summary = "lhs - rhs"; }
def DNN_MulOp : DNN_BroadcastBinaryOp<"mul", [Commutative]> {
  let summary = "lhs * rhs";
}
def DNN_DivOp : DNN_BroadcastBinaryOp<"div"> { let summary = "lhs / rhs"; }

class DNN_UnaryOp<string mnemonic, list<Trait> traits = []>
    : DNN_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor], traits)> {
  let arguments = (ins DNN_FloatTensor:$input);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def DNN_NegOp : DNN_UnaryOp<"neg"> {
  let summary = "-input";
  let arguments = (ins DNN_AnyTensor:$input);
  let results = (outs DNN_AnyTensor:$result);
  let hasFolder = 1;
}
def DNN_ReluOp : DNN_UnaryOp<"relu"> {
  let summary = "max(input, 0)";
  let hasFolder = 1;
}
def DNN_SigmoidOp : DNN_UnaryOp<"sigmoid"> { let summary = "1 / (1 + exp(-input))"; }
def DNN_TanhOp : DNN_UnaryOp<"tanh"> { let summary = "Hyperbolic tangent"; }
def DNN_ExpOp : DNN_UnaryOp<"exp"> { let summary = "e ** input"; }
def DNN_LogOp : DNN_UnaryOp<"log"> { let summary = "Natural logarithm"; }
def DNN_SqrtOp : DNN_UnaryOp<"sqrt"> { let summary = "Square root"; }
def DNN_AbsOp : DNN_UnaryOp<"abs"> {
  let summary = "|input|";
  let arguments = (ins DNN_AnyTensor:$input);
  let results = (outs DNN_AnyTensor:$result);
}
def DNN_StopGradientOp : DNN_UnaryOp<"stop_gradient"> {
  let summary = "Identity whose gradient is zero";
  let arguments = (ins DNN_AnyTensor:$input);
  let results = (outs DNN_AnyTensor:$result);
  let hasFolder = 1;
}

def DNN_LeakyReluOp : DNN_UnaryOp<"leaky_relu"> {
  let summary = "input if input > 0 else slope * input";
  let arguments = (ins DNN_FloatTensor:$input, F64Attr:$slope);
  let assemblyFormat = "$input `slope` $slope attr-dict `:` type($input)";
}

def DNN_PowOp : DNN_UnaryOp<"pow"> {
  let summary = "input ** exponent, with a constant exponent";
  let arguments = (ins DNN_FloatTensor:$input, F64Attr:$exponent);
  let assemblyFormat = "$input `,` $exponent attr-dict `:` type($input)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def DNN_MatmulOp : DNN_Op<"matmul", [Pure, InferTypeOpAdaptor]> {
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

def DNN_SoftmaxOp : DNN_UnaryOp<"softmax"> {
  let summary = "exp(x) / sum(exp(x)) along an axis";
  let arguments = (ins DNN_FloatTensor:$input, I64Attr:$axis);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($input)";
  let hasVerifier = 1;
}
def DNN_LogSoftmaxOp : DNN_UnaryOp<"log_softmax"> {
  let summary = "x - log(sum(exp(x))) along an axis";
  let arguments = (ins DNN_FloatTensor:$input, I64Attr:$axis);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($input)";
  let hasVerifier = 1;
}

class DNN_ReduceOp<string mnemonic, Type tensor = DNN_AnyTensor>
    : DNN_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
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

def DNN_ReshapeOp : DNN_Op<"reshape", [Pure, InferTypeOpAdaptor]> {
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

def DNN_FlattenOp : DNN_Op<"flatten", [Pure, InferTypeOpAdaptor]> {
  let summary = "Collapses all dimensions but the first: [N, ...] -> [N, prod(...)]";
  let arguments = (ins DNN_AnyTensor:$input);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

def DNN_TransposeOp : DNN_Op<"transpose", [Pure, InferTypeOpAdaptor]> {
  let summary = "Permutes dimensions: result dim i is input dim perm[i]";
  let arguments = (ins DNN_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "$input `perm` $perm attr-dict `:` type($input)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def DNN_ConcatOp : DNN_Op<"concat", [Pure, InferTypeOpAdaptor]> {
  let summary = "Joins tensors along an axis";
  let arguments = (ins Variadic<DNN_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs DNN_AnyTensor:$result);
  let assemblyFormat = "$inputs `axis` $axis attr-dict `:` type($inputs)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Convolution and pooling (NCHW)
//===----------------------------------------------------------------------===//

def DNN_Conv2dOp : DNN_Op<"conv2d", [Pure, InferTypeOpAdaptor]> {
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

class DNN_Pool2dOp<string mnemonic> : DNN_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
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

class DNN_LossLikeOp<string mnemonic, Type target>
    : DNN_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let arguments = (ins DNN_FloatTensor:$input, target:$target);
  let results = (outs DNN_ScalarFloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $target attr-dict `:` type($input) `,` type($target)
  }];
}
def DNN_MseOp : DNN_LossLikeOp<"mse", DNN_FloatTensor> {
  let summary = "Mean squared error over all elements";
}
def DNN_BceOp : DNN_LossLikeOp<"bce", DNN_FloatTensor> {
  let summary = "Binary cross-entropy of probabilities, mean over all elements";
}
def DNN_BceWithLogitsOp : DNN_LossLikeOp<"bce_with_logits", DNN_FloatTensor> {
  let summary = "Binary cross-entropy of logits, mean over all elements";
}
def DNN_CrossEntropyOp : DNN_LossLikeOp<"cross_entropy", DNN_AnyTensor> {
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
  let summary = "Class indices to one-hot f32 vectors along a new last axis";
  let arguments = (ins DNN_IndexTensor:$labels, I64Attr:$num_classes);
  let results = (outs DNN_FloatTensor:$result);
  let assemblyFormat = "$labels `classes` $num_classes attr-dict `:` type($labels)";
}

#endif // DNNC_DIALECT_DNN_IR_DNNOPS_TD
