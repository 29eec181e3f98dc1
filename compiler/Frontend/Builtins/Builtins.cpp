//===- Builtins.cpp - The builtin functions of the .dnn language ----------===//

#include "dnnc/Frontend/Builtins.h"

#include "llvm/ADT/STLExtras.h"

using namespace dnnc::frontend;

namespace {
using K = ArgKind;
constexpr BuiltinParam kX[] = {{"x", K::Tensor, true}};
constexpr BuiltinParam kLeakyRelu[] = {{"x", K::Tensor, true}, {"slope", K::Float, false}};
constexpr BuiltinParam kGelu[] = {{"x", K::Tensor, true}, {"approximate", K::String, false}};
constexpr BuiltinParam kAxis[] = {{"x", K::Tensor, true}, {"axis", K::Int, false}};
constexpr BuiltinParam kReduce[] = {{"x", K::Tensor, true},
                                    {"axis", K::Axes, false},
                                    {"keepdims", K::Bool, false}};
constexpr BuiltinParam kReshape[] = {{"x", K::Tensor, true}, {"shape", K::Shape, true}};
constexpr BuiltinParam kTranspose[] = {{"x", K::Tensor, true},
                                       {"perm", K::Permutation, false}};
constexpr BuiltinParam kConcat[] = {{"tensors", K::TensorList, true},
                                    {"axis", K::Int, false}};
constexpr BuiltinParam kConv2d[] = {{"x", K::Tensor, true},
                                    {"w", K::Tensor, true},
                                    {"b", K::OptionalTensor, false},
                                    {"stride", K::Pair, false},
                                    {"padding", K::Pair, false}};
constexpr BuiltinParam kPool[] = {{"x", K::Tensor, true},
                                  {"size", K::Pair, true},
                                  {"stride", K::Pair, false},
                                  {"padding", K::Pair, false}};
constexpr BuiltinParam kLoss[] = {{"prediction", K::Tensor, true},
                                   {"target", K::Tensor, true}};
constexpr BuiltinParam kAccuracy[] = {{"logits", K::Tensor, true},
                                      {"labels", K::Tensor, true}};
constexpr BuiltinParam kOneHot[] = {{"labels", K::Tensor, true}, {"classes", K::Int, true}};
constexpr BuiltinParam kLayerNorm[] = {{"x", K::Tensor, true},
                                       {"weight", K::OptionalTensor, false},
                                       {"bias", K::OptionalTensor, false},
                                       {"eps", K::Float, false}};
constexpr BuiltinParam kBatchNorm[] = {{"x", K::Tensor, true},
                                       {"running_mean", K::Tensor, true},
                                       {"running_var", K::Tensor, true},
                                       {"weight", K::OptionalTensor, false},
                                       {"bias", K::OptionalTensor, false},
                                       {"momentum", K::Float, false},
                                       {"eps", K::Float, false}};
constexpr BuiltinParam kDropout[] = {{"x", K::Tensor, true}, {"p", K::Float, false}};

const BuiltinInfo kBuiltins[] = {
    {"relu", Builtin::Relu, kX},
    {"leaky_relu", Builtin::LeakyRelu, kLeakyRelu},
    {"sigmoid", Builtin::Sigmoid, kX},
    {"silu", Builtin::Silu, kX},
    {"gelu", Builtin::Gelu, kGelu},
    {"softplus", Builtin::Softplus, kX},
    {"tanh", Builtin::Tanh, kX},
    {"exp", Builtin::Exp, kX},
    {"log", Builtin::Log, kX},
    {"sqrt", Builtin::Sqrt, kX},
    {"abs", Builtin::Abs, kX},
    {"stop_gradient", Builtin::StopGradient, kX},
    {"softmax", Builtin::Softmax, kAxis},
    {"log_softmax", Builtin::LogSoftmax, kAxis},
    {"sum", Builtin::Sum, kReduce},
    {"mean", Builtin::Mean, kReduce},
    {"max", Builtin::Max, kReduce},
    {"min", Builtin::Min, kReduce},
    {"argmax", Builtin::Argmax, kAxis},
    {"reshape", Builtin::Reshape, kReshape},
    {"flatten", Builtin::Flatten, kX},
    {"transpose", Builtin::Transpose, kTranspose},
    {"concat", Builtin::Concat, kConcat},
    {"conv2d", Builtin::Conv2d, kConv2d},
    {"maxpool2d", Builtin::MaxPool2d, kPool},
    {"avgpool2d", Builtin::AvgPool2d, kPool},
    {"mse", Builtin::Mse, kLoss},
    {"bce", Builtin::Bce, kLoss},
    {"bce_with_logits", Builtin::BceWithLogits, kLoss},
    {"cross_entropy", Builtin::CrossEntropy, kLoss},
    {"accuracy", Builtin::Accuracy, kAccuracy},
    {"one_hot", Builtin::OneHot, kOneHot},
    {"layer_norm", Builtin::LayerNorm, kLayerNorm},
    {"batch_norm", Builtin::BatchNorm, kBatchNorm},
    {"dropout", Builtin::Dropout, kDropout},
};
} // namespace

const BuiltinInfo *dnnc::frontend::lookupBuiltin(llvm::StringRef name) {
  for (const BuiltinInfo &b : kBuiltins)
    if (b.name == name)
      return &b;
  return nullptr;
}

const BuiltinInfo &dnnc::frontend::getBuiltinInfo(Builtin id) {
  return *llvm::find_if(kBuiltins, [&](const BuiltinInfo &b) { return b.id == id; });
}

llvm::ArrayRef<BuiltinInfo> dnnc::frontend::getAllBuiltins() { return kBuiltins; }
