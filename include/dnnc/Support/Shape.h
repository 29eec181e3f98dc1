//===- Shape.h - Symbolic tensor shapes and the shape rules of every op ---===//
//
// One source of truth for shape rules. The frontend checks programs with
// named symbolic dimensions (N); the dnn dialect infers result types where a
// dynamic dimension is simply unknown (?). Both call these functions, so the
// DSL and the IR can never disagree about what a valid shape is.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_SUPPORT_SHAPE_H
#define DNNC_SUPPORT_SHAPE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/LogicalResult.h"

#include <cstdint>
#include <string>
#include <utility>

namespace dnnc {

/// One dimension: a constant size, a named symbol bound at call time, or
/// unknown (a dynamic dimension whose name has been forgotten).
class Dim {
public:
  static Dim constant(int64_t size) { return Dim(size, {}); }
  static Dim symbol(llvm::StringRef name) { return Dim(-1, name.str()); }
  static Dim unknown() { return Dim(-1, {}); }

  bool isConstant() const { return size >= 0; }
  bool isSymbol() const { return size < 0 && !name.empty(); }
  bool isUnknown() const { return size < 0 && name.empty(); }
  int64_t getSize() const { return size; }
  llvm::StringRef getSymbol() const { return name; }

  /// "784", "N" or "?".
  std::string str() const;
  bool operator==(const Dim &o) const { return size == o.size && name == o.name; }
  bool operator!=(const Dim &o) const { return !(*this == o); }

private:
  Dim(int64_t size, std::string name) : size(size), name(std::move(name)) {}
  int64_t size;
  std::string name;
};

using Shape = llvm::SmallVector<Dim, 4>;

/// "[N, 784]".
std::string shapeToString(llvm::ArrayRef<Dim> shape);

/// The most precise dimension equal to both, or failure when they provably
/// (or, for a symbol against a constant, possibly) differ.
llvm::FailureOr<Dim> unifyDims(const Dim &a, const Dim &b);

/// Every rule below returns the result shape, or failure with a short reason
/// in `why` (e.g. "inner dimensions 784 and 512 differ").
namespace shape_rules {
using llvm::ArrayRef;
using llvm::FailureOr;

FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank, std::string &why);
FailureOr<Shape> broadcast(ArrayRef<Dim> a, ArrayRef<Dim> b, std::string &why);
FailureOr<Shape> matmul(ArrayRef<Dim> a, ArrayRef<Dim> b, std::string &why);
/// `axes` are normalized and unique; empty means all axes.
FailureOr<Shape> reduce(ArrayRef<Dim> a, ArrayRef<int64_t> axes, bool keepDims,
                        std::string &why);
FailureOr<Shape> transpose(ArrayRef<Dim> a, ArrayRef<int64_t> perm,
                           std::string &why);
FailureOr<Shape> reshape(ArrayRef<Dim> a, ArrayRef<Dim> target, std::string &why);
FailureOr<Shape> flatten(ArrayRef<Dim> a, std::string &why);
FailureOr<Shape> concat(ArrayRef<Shape> inputs, int64_t axis, std::string &why);
/// NCHW input, FCHW filter, optional [F] bias.
FailureOr<Shape> conv2d(ArrayRef<Dim> input, ArrayRef<Dim> filter,
                        const Shape *bias, ArrayRef<int64_t> stride,
                        ArrayRef<int64_t> padding, std::string &why);
FailureOr<Shape> pool2d(ArrayRef<Dim> input, ArrayRef<int64_t> kernel,
                        ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                        std::string &why);
/// Elementwise losses (mse, bce): prediction and target of one shape.
FailureOr<Shape> elementwiseLoss(ArrayRef<Dim> pred, ArrayRef<Dim> target,
                                 std::string &why);
/// logits [N, C] with class indices [N] or class probabilities [N, C].
FailureOr<Shape> crossEntropy(ArrayRef<Dim> logits, ArrayRef<Dim> target,
                              bool targetIsIndex, std::string &why);
FailureOr<Shape> oneHot(ArrayRef<Dim> labels, int64_t numClasses,
                        std::string &why);
FailureOr<Shape> argmax(ArrayRef<Dim> a, int64_t axis, std::string &why);
/// logits [N, C] and class indices [N].
FailureOr<Shape> accuracy(ArrayRef<Dim> logits, ArrayRef<Dim> labels,
                          std::string &why);
} // namespace shape_rules

/// (fan_in, fan_out) of a parameter as the initializers define them
/// (docs/language.md, "Fans"): [in, out] for rank 2, PyTorch's
/// [out, in, *receptive] above; (0, 0) below rank 2.
std::pair<int64_t, int64_t> parameterFans(llvm::ArrayRef<int64_t> shape);

} // namespace dnnc

#endif // DNNC_SUPPORT_SHAPE_H
