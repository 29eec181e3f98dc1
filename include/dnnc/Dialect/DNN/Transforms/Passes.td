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

def DNNPoolBeforeActivationPass : Pass<"dnn-pool-before-activation", "dnn::ModelOp"> {
  let summary = "maxpool2d(relu(x)) -> relu(maxpool2d(x)), before autodiff";
  let description = [{
    Max pooling commutes with a non-decreasing activation (relu,
    leaky_relu), so the activation can run on the pooled tensor, a quarter
    of the size for 2x2 windows. Its gradient then runs there too: relu_grad
    on the pooled gradient instead of on the pooling gradient's full-size
    result. The result is the same, ties included: where relu ties several
    window elements at 0, both forms give them zero gradient; above 0 the
    first maximum is the same element in both. Applies when the activation's
    only user is the pooling. Runs before dnn-autodiff, which then
    differentiates the rewritten graph.
  }];
}

def DNNAutodiffPass : Pass<"dnn-autodiff", "dnn::ModelOp"> {
  let summary = "Derive d loss / d param symbolically (reverse mode)";
  let description = [{
    For a model with a `dnn.loss`, appends the backward graph: starting from
    d loss / d loss = 1 it visits the ops between the params and the loss in
    reverse order and asks each for its vector-Jacobian product through
    GradientOpInterface. Gradients of values used more than once are summed;
    a gradient in a broadcast shape is summed back to its operand's shape.
    Integer values (inputs, labels, argmax) and everything behind a
    `dnn.stop_gradient` get no gradient. Each param's gradient is named by a
    `dnn.gradient` op (zeros for a param the loss does not depend on).

    Every op on a path from a param to the loss that has no rule is reported,
    all of them, at its source location, and the pass fails. Run
    canonicalize and cse afterwards: rules are written plainly and rely on
    them to fold `x * 1`, share the transposes, and so on.
  }];
}

def DNNOutlineEntriesPass : Pass<"dnn-outline-entries", "mlir::ModuleOp"> {
  let summary = "Turn each dnn.model into the functions its library exports";
  let description = [{
    For every `dnn.model @m` creates the functions of its entry points, each
    holding only the ops its results depend on, with every parameter of the
    model first (declaration order) and then the inputs it needs:

    - `@m_predict(params, inputs) -> (outputs)` when the model has outputs;
    - `@m_eval(params, inputs) -> (outputs, loss)` when it has a loss;
    - `@m_grad(params, inputs) -> (loss, d loss / d param...)` when the
      dnn-autodiff pass has run (one `dnn.gradient` per param);
    - `@m_train_step(params, state, inputs, lr, step) -> (loss, params,
      state)` when it also has a `dnn.train`: the optimizer update is a
      `dnn.apply_optimizer` per param, whose new param and state are
      materialized in the argument tensors they replace
      (`bufferization.materialize_in_destination`), so that after
      bufferization the step updates the caller's buffers in place and those
      results are dropped (`dnn-drop-in-place-results`).

    Functions carry `dnn.model`, `dnn.entry`, `dnn.inputs` and `dnn.outputs`
    attributes and `llvm.emit_c_interface`; the model op is then erased.
    These argument orders are the entry-point ABI (docs/runtime-abi.md).
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

#endif // DNNC_DIALECT_DNN_TRANSFORMS_PASSES_TD
