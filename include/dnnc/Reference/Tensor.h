//===- Tensor.h - Dense tensors of the reference interpreter ----*- C++ -*-===//
//
// The reference interpreter stores every element as a double, whatever the
// element type: f32 and f64 values and i32 integers are all exact in a
// double, so one storage type keeps the kernels plain loops.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_REFERENCE_TENSOR_H
#define DNNC_REFERENCE_TENSOR_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dnnc::reference {

/// A dense row-major tensor. `isInteger` marks i32 values, which are always
/// whole numbers in [-2^31, 2^31).
struct Tensor {
  bool isInteger = false;
  std::vector<int64_t> shape;
  std::vector<double> data;

  int64_t numElements() const { return (int64_t)data.size(); }
  int64_t rank() const { return (int64_t)shape.size(); }
};

/// A tensor of `shape`, every element `fill`.
Tensor makeTensor(llvm::ArrayRef<int64_t> shape, bool isInteger = false,
                  double fill = 0.0);

/// The product of the dimensions (1 for a scalar).
int64_t numElementsOf(llvm::ArrayRef<int64_t> shape);

/// Row-major strides of `shape`, in elements.
std::vector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// "[2, 3]".
std::string shapeString(llvm::ArrayRef<int64_t> shape);

/// Wraps an integer to i32 two's-complement, as the compiled code does.
int32_t wrapToI32(int64_t value);

} // namespace dnnc::reference

#endif // DNNC_REFERENCE_TENSOR_H
