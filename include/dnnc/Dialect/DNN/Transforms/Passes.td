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

#endif // DNNC_DIALECT_DNN_TRANSFORMS_PASSES_TD
