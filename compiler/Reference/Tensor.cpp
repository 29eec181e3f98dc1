//===- Tensor.cpp - Dense tensors of the reference interpreter ------------===//

#include "dnnc/Reference/Tensor.h"

using namespace dnnc::reference;

Tensor dnnc::reference::makeTensor(llvm::ArrayRef<int64_t> shape, bool isInteger,
                                   double fill) {
  Tensor t;
  t.isInteger = isInteger;
  t.shape.assign(shape.begin(), shape.end());
  t.data.assign(numElementsOf(shape), fill);
  return t;
}

int64_t dnnc::reference::numElementsOf(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<int64_t> dnnc::reference::stridesOf(llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

std::string dnnc::reference::shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int32_t dnnc::reference::wrapToI32(int64_t value) {
  // Keep the low 32 bits, as i32 arithmetic in the compiled code does.
  return (int32_t)(uint32_t)(uint64_t)value;
}
