//===- Passes.td - Passes over the dnn dialect -----------------*- tablegen -*-===//

#ifndef DNNC_DIALECT_DNN_TRANSFORMS_PASSES_TD
#define DNNC_DIALECT_DNN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DNNInferShapesPass : Pass<"dnn-infer-shapes", "dnn::ModelOp"> {
  let summary = "Refine result types from operand types";
  let description = [{
    Walks the model in order and re-infers the result type of every op that
    implements InferTypeOpInterface, so that static information on inputs
    (for example a batch size fixed by dnn-specialize-shapes) reaches every
    value of the graph.
  }];
}

def DNNSpecializeShapesPass : Pass<"dnn-specialize-shapes", "dnn::ModelOp"> {
  let summary = "Bind symbolic dimensions to sizes and propagate them";
  let description = [{
    For each `SYMBOL=SIZE` binding, every dynamic dimension that a
    `dnn.input` names SYMBOL becomes SIZE; result types are then re-inferred
    through the whole model. Used to compile a model for a fixed batch size.
  }];
  let options = [
    ListOption<"bindings", "bind", "std::string",
               "Bindings of the form SYMBOL=SIZE, e.g. N=128">
  ];
}

def DNNOutlineEntriesPass : Pass<"dnn-outline-entries", "mlir::ModuleOp"> {
  let summary = "Turn each dnn.model into the functions its library exports";
  let description = [{
    For every `dnn.model @m` with outputs, creates
    `func.func @m_predict(params..., inputs...) -> (outputs...)` holding the
    ops the outputs depend on: every parameter of the model in declaration
    order, then the inputs the outputs need, in declaration order. The
    function carries `dnn.model`, `dnn.entry`, `dnn.inputs` and `dnn.outputs`
    attributes and `llvm.emit_c_interface`; the model op is then erased.
    This argument order is the entry-point ABI (docs/runtime-abi.md).
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

#endif // DNNC_DIALECT_DNN_TRANSFORMS_PASSES_TD
