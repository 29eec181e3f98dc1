//===- DNNBase.td - The dnn dialect and its shared ODS classes -*- tablegen -*-===//

#ifndef DNNC_DIALECT_DNN_IR_DNNBASE_TD
#define DNNC_DIALECT_DNN_IR_DNNBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def DNN_Dialect : Dialect {
  let name = "dnn";
  let cppNamespace = "::dnnc::dnn";
  let summary = "Neural-network graphs as written in the .dnn language";
  let description = [{
    The dnn dialect holds a model as the user wrote it: inputs, parameters
    with their initializers, one op per builtin of the language, outputs, the
    loss and the optimizer. Tensors are builtin ranked tensors; a symbolic
    dimension such as the batch size N is a dynamic dimension whose name is
    kept on the `dnn.input` that binds it.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def DNN_FloatTensor : RankedTensorOf<[F32, F64]>;
def DNN_IndexTensor : RankedTensorOf<[I32]>;
def DNN_AnyTensor : RankedTensorOf<[F32, F64, I32]>;
def DNN_ScalarFloatTensor : 0DTensorOf<[F32, F64]>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def DNN_InitKind : I32Enum<"InitKind", "parameter initializer", [
    I32EnumCase<"zeros", 0>, I32EnumCase<"ones", 1>,
    I32EnumCase<"constant", 2>, I32EnumCase<"uniform", 3>,
    I32EnumCase<"normal", 4>, I32EnumCase<"glorot_uniform", 5>,
    I32EnumCase<"glorot_normal", 6>, I32EnumCase<"he_uniform", 7>,
    I32EnumCase<"he_normal", 8>]> {
  let cppNamespace = "::dnnc::dnn";
}
def DNN_InitKindAttr : EnumAttr<DNN_Dialect, DNN_InitKind, "init">;

def DNN_OptimizerKind : I32Enum<"OptimizerKind", "training optimizer", [
    I32EnumCase<"sgd", 0>, I32EnumCase<"momentum", 1>, I32EnumCase<"adam", 2>]> {
  let cppNamespace = "::dnnc::dnn";
}
def DNN_OptimizerKindAttr : EnumAttr<DNN_Dialect, DNN_OptimizerKind, "optimizer">;

//===----------------------------------------------------------------------===//
// Base op classes
//===----------------------------------------------------------------------===//

class DNN_Op<string mnemonic, list<Trait> traits = []>
    : Op<DNN_Dialect, mnemonic, traits>;

#endif // DNNC_DIALECT_DNN_IR_DNNBASE_TD
