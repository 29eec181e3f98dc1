//===- GradientOpInterface.td - Vector-Jacobian products of ops -*- tablegen -*-===//
//
// Reverse-mode differentiation asks each op for its vector-Jacobian product:
// given d loss / d result, build d loss / d operand for every operand. Each
// op states its own rule here, so the autodiff pass knows no op by name and a
// new op brings its rule with it.
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_DIALECT_DNN_IR_GRADIENTOPINTERFACE_TD
#define DNNC_DIALECT_DNN_IR_GRADIENTOPINTERFACE_TD

include "mlir/IR/OpBase.td"

def DNN_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::dnnc::dnn";
  let description = [{
    An op with a vector-Jacobian product. `buildGradients` receives the
    gradient of the loss with respect to the op's (single) result and
    appends one value per operand to `operandGrads`: the gradient with
    respect to that operand, or a null Value where there is none (integer
    operands, stop_gradient, targets whose gradient is not defined).

    A returned gradient may have the shape of the op's result rather than
    the operand's when the op broadcast the operand; the autodiff pass sums
    it back to the operand's shape. Rules build dnn ops only, so the backward
    graph is an ordinary dnn graph: canonicalized, CSE'd, printed with
    `--emit=grad`, interpreted and lowered like the forward one.
  }];
  let methods = [
    InterfaceMethod<
      "Builds d loss / d operand for each operand from d loss / d result.",
      "::mlir::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Value":$resultGrad,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

#endif // DNNC_DIALECT_DNN_IR_GRADIENTOPINTERFACE_TD
