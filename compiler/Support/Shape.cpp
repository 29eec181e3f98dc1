//===- Shape.cpp - Symbolic tensor shapes and shape rules -----------------===//

#include "dnnc/Support/Shape.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <map>

using namespace dnnc;
using llvm::failure;

std::string Dim::str() const {
  if (isConstant())
    return std::to_string(size);
  return isSymbol() ? name : "?";
}

std::string dnnc::shapeToString(llvm::ArrayRef<Dim> shape) {
  std::string s = "[";
  llvm::interleave(
      shape, [&](const Dim &d) { s += d.str(); }, [&] { s += ", "; });
  return s + "]";
}

llvm::FailureOr<Dim> dnnc::unifyDims(const Dim &a, const Dim &b) {
  if (a.isUnknown())
    return b;
  if (b.isUnknown())
    return a;
  if (a == b)
    return a;
  return failure();
}

namespace {
// Product of a shape's dimensions as a constant times a multiset of symbols;
// `unknown` once any dimension is unknown.
struct ElementCount {
  int64_t constant = 1;
  std::map<std::string, int> symbols;
  bool unknown = false;

  explicit ElementCount(llvm::ArrayRef<Dim> shape) {
    for (const Dim &d : shape) {
      if (d.isConstant())
        constant *= d.getSize();
      else if (d.isSymbol())
        ++symbols[d.getSymbol().str()];
      else
        unknown = true;
    }
  }
  bool provablyDiffers(const ElementCount &o) const {
    if (unknown || o.unknown)
      return false;
    return constant != o.constant || symbols != o.symbols;
  }
};

bool checkPair(llvm::ArrayRef<int64_t> v, llvm::StringRef what, int64_t minValue,
               std::string &why) {
  if (v.size() != 2) {
    why = (what + " must have 2 values (height, width), got " +
           std::to_string(v.size()))
              .str();
    return false;
  }
  for (int64_t x : v)
    if (x < minValue) {
      why = (what + " must be at least " + std::to_string(minValue) + ", got " +
             std::to_string(x))
                .str();
      return false;
    }
  return true;
}

// Output extent of a strided window over one spatial dimension.
llvm::FailureOr<Dim> windowExtent(const Dim &in, int64_t kernel, int64_t stride,
                                  int64_t pad, llvm::StringRef axisName,
                                  std::string &why) {
  if (in.isUnknown())
    return Dim::unknown();
  if (in.isSymbol()) {
    why = ("spatial dimension " + axisName + " must be a constant, got " +
           in.str())
              .str();
    return failure();
  }
  int64_t padded = in.getSize() + 2 * pad;
  if (padded < kernel) {
    why = ("window of size " + std::to_string(kernel) + " does not fit " +
           axisName + " " + std::to_string(in.getSize()) + " with padding " +
           std::to_string(pad))
              .str();
    return failure();
  }
  return Dim::constant((padded - kernel) / stride + 1);
}
} // namespace

namespace dnnc::shape_rules {

FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank, std::string &why) {
  if (axis < -rank || axis >= rank || rank == 0) {
    why = "axis " + std::to_string(axis) + " is out of range for a tensor of rank " +
          std::to_string(rank);
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

FailureOr<Shape> broadcast(ArrayRef<Dim> a, ArrayRef<Dim> b, std::string &why) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, Dim::unknown());
  for (size_t i = 0; i < rank; ++i) {
    // Align from the trailing dimension, as NumPy does.
    const Dim *da = i < rank - a.size() ? nullptr : &a[i - (rank - a.size())];
    const Dim *db = i < rank - b.size() ? nullptr : &b[i - (rank - b.size())];
    if (!da || (da->isConstant() && da->getSize() == 1 && db)) {
      out[i] = *db;
      continue;
    }
    if (!db || (db->isConstant() && db->getSize() == 1)) {
      out[i] = *da;
      continue;
    }
    auto d = unifyDims(*da, *db);
    if (failed(d)) {
      why = "dimensions " + da->str() + " and " + db->str() +
            " are not broadcast-compatible";
      return failure();
    }
    out[i] = *d;
  }
  return out;
}

FailureOr<Shape> matmul(ArrayRef<Dim> a, ArrayRef<Dim> b, std::string &why) {
  if (a.size() < 2 || b.size() < 2) {
    why = "both operands must have rank 2 or more, got ranks " +
          std::to_string(a.size()) + " and " + std::to_string(b.size());
    return failure();
  }
  const Dim &k1 = a[a.size() - 1], &k2 = b[b.size() - 2];
  if (failed(unifyDims(k1, k2))) {
    why = "inner dimensions " + k1.str() + " and " + k2.str() + " differ";
    return failure();
  }
  auto batch = broadcast(a.drop_back(2), b.drop_back(2), why);
  if (failed(batch)) {
    why = "batch " + why;
    return failure();
  }
  Shape out = *batch;
  out.push_back(a[a.size() - 2]);
  out.push_back(b[b.size() - 1]);
  return out;
}

FailureOr<Shape> reduce(ArrayRef<Dim> a, ArrayRef<int64_t> axes, bool keepDims,
                        std::string &why) {
  Shape out;
  for (int64_t axis : axes)
    if (axis < 0 || axis >= (int64_t)a.size()) {
      why = "axis " + std::to_string(axis) + " is out of range for a tensor of rank " +
            std::to_string(a.size());
      return failure();
    }
  for (int64_t i = 0, e = a.size(); i < e; ++i) {
    bool reduced = axes.empty() || llvm::is_contained(axes, i);
    if (!reduced)
      out.push_back(a[i]);
    else if (keepDims)
      out.push_back(Dim::constant(1));
  }
  return out;
}

FailureOr<Shape> transpose(ArrayRef<Dim> a, ArrayRef<int64_t> perm,
                           std::string &why) {
  if (perm.size() != a.size()) {
    why = "permutation has " + std::to_string(perm.size()) +
          " entries but the tensor has rank " + std::to_string(a.size());
    return failure();
  }
  llvm::SmallVector<bool> seen(a.size(), false);
  Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)a.size() || seen[p]) {
      why = "[" + llvm::join(llvm::map_range(perm, [](int64_t v) { return std::to_string(v); }), ", ") +
            "] is not a permutation of the axes 0.." + std::to_string(a.size() - 1);
      return failure();
    }
    seen[p] = true;
    out.push_back(a[p]);
  }
  return out;
}

FailureOr<Shape> reshape(ArrayRef<Dim> a, ArrayRef<Dim> target, std::string &why) {
  for (const Dim &d : target)
    if (d.isConstant() && d.getSize() == 0) {
      why = "target dimensions must be positive";
      return failure();
    }
  if (ElementCount(a).provablyDiffers(ElementCount(target))) {
    why = "cannot reshape " + shapeToString(a) + " into " + shapeToString(target) +
          ": the element counts differ";
    return failure();
  }
  return Shape(target.begin(), target.end());
}

FailureOr<Shape> flatten(ArrayRef<Dim> a, std::string &why) {
  if (a.size() < 2)
    return Shape(a.begin(), a.end());
  Dim inner = Dim::constant(1);
  for (const Dim &d : a.drop_front()) {
    if (d.isSymbol()) {
      why = "cannot flatten the symbolic dimension " + d.str() +
            "; only the first dimension may be symbolic";
      return failure();
    }
    if (d.isUnknown() || inner.isUnknown()) {
      inner = Dim::unknown();
    } else if (d.getSize() != 0 && inner.getSize() > (int64_t(1) << 62) / d.getSize()) {
      why = "the flattened dimension is too large";
      return failure();
    } else {
      inner = Dim::constant(inner.getSize() * d.getSize());
    }
  }
  return Shape{a[0], inner};
}

FailureOr<Shape> concat(ArrayRef<Shape> inputs, int64_t axis, std::string &why) {
  if (inputs.empty()) {
    why = "needs at least one tensor";
    return failure();
  }
  Shape out = inputs[0];
  auto ax = normalizeAxis(axis, out.size(), why);
  if (failed(ax))
    return failure();
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape &s = inputs[i];
    if (s.size() != out.size()) {
      why = "tensor " + std::to_string(i) + " has rank " + std::to_string(s.size()) +
            " but tensor 0 has rank " + std::to_string(out.size());
      return failure();
    }
    for (size_t d = 0; d < s.size(); ++d) {
      if ((int64_t)d == *ax) {
        if (out[d].isConstant() && s[d].isConstant())
          out[d] = Dim::constant(out[d].getSize() + s[d].getSize());
        else if (out[d].isSymbol() || s[d].isSymbol()) {
          why = "cannot concatenate along the symbolic dimension " +
                (out[d].isSymbol() ? out[d] : s[d]).str();
          return failure();
        } else
          out[d] = Dim::unknown();
        continue;
      }
      auto u = unifyDims(out[d], s[d]);
      if (failed(u)) {
        why = "dimension " + std::to_string(d) + " of tensor " + std::to_string(i) +
              " is " + s[d].str() + " but " + out[d].str() + " in tensor 0";
        return failure();
      }
      out[d] = *u;
    }
  }
  return out;
}

FailureOr<Shape> conv2d(ArrayRef<Dim> input, ArrayRef<Dim> filter,
                        const Shape *bias, ArrayRef<int64_t> stride,
                        ArrayRef<int64_t> padding, std::string &why) {
  if (input.size() != 4) {
    why = "input must have rank 4 (N, C, H, W), got rank " + std::to_string(input.size());
    return failure();
  }
  if (filter.size() != 4) {
    why = "filter must have rank 4 (F, C, KH, KW), got rank " +
          std::to_string(filter.size());
    return failure();
  }
  if (!checkPair(stride, "stride", 1, why) || !checkPair(padding, "padding", 0, why))
    return failure();
  if (failed(unifyDims(input[1], filter[1]))) {
    why = "input has " + input[1].str() + " channels but the filter expects " +
          filter[1].str();
    return failure();
  }
  if (bias && (bias->size() != 1 || failed(unifyDims((*bias)[0], filter[0])))) {
    why = "bias must have shape [" + filter[0].str() + "], got " + shapeToString(*bias);
    return failure();
  }
  if (!filter[2].isConstant() || !filter[3].isConstant()) {
    why = "filter height and width must be constants";
    return failure();
  }
  auto h = windowExtent(input[2], filter[2].getSize(), stride[0], padding[0], "height", why);
  if (failed(h))
    return failure();
  auto w = windowExtent(input[3], filter[3].getSize(), stride[1], padding[1], "width", why);
  if (failed(w))
    return failure();
  return Shape{input[0], filter[0], *h, *w};
}

FailureOr<Shape> pool2d(ArrayRef<Dim> input, ArrayRef<int64_t> kernel,
                        ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                        std::string &why) {
  if (input.size() != 4) {
    why = "input must have rank 4 (N, C, H, W), got rank " + std::to_string(input.size());
    return failure();
  }
  if (!checkPair(kernel, "size", 1, why) || !checkPair(stride, "stride", 1, why) ||
      !checkPair(padding, "padding", 0, why))
    return failure();
  for (int i = 0; i < 2; ++i)
    if (padding[i] * 2 > kernel[i]) {
      why = "padding " + std::to_string(padding[i]) +
            " must be at most half the window size " + std::to_string(kernel[i]);
      return failure();
    }
  auto h = windowExtent(input[2], kernel[0], stride[0], padding[0], "height", why);
  if (failed(h))
    return failure();
  auto w = windowExtent(input[3], kernel[1], stride[1], padding[1], "width", why);
  if (failed(w))
    return failure();
  return Shape{input[0], input[1], *h, *w};
}

FailureOr<Shape> elementwiseLoss(ArrayRef<Dim> pred, ArrayRef<Dim> target,
                                 std::string &why) {
  bool same = pred.size() == target.size();
  for (size_t i = 0; same && i < pred.size(); ++i)
    same = succeeded(unifyDims(pred[i], target[i]));
  if (!same) {
    why = "prediction " + shapeToString(pred) + " and target " +
          shapeToString(target) + " must have the same shape";
    return failure();
  }
  return Shape{};
}

FailureOr<Shape> crossEntropy(ArrayRef<Dim> logits, ArrayRef<Dim> target,
                              bool targetIsIndex, std::string &why) {
  if (logits.size() != 2) {
    why = "logits must have rank 2 (batch, classes), got " + shapeToString(logits);
    return failure();
  }
  if (targetIsIndex) {
    if (target.size() != 1 || failed(unifyDims(target[0], logits[0]))) {
      why = "class-index targets must have shape [" + logits[0].str() + "], got " +
            shapeToString(target);
      return failure();
    }
    return Shape{};
  }
  return elementwiseLoss(logits, target, why);
}

FailureOr<Shape> oneHot(ArrayRef<Dim> labels, int64_t numClasses,
                        std::string &why) {
  if (numClasses < 1) {
    why = "the number of classes must be positive, got " + std::to_string(numClasses);
    return failure();
  }
  Shape out(labels.begin(), labels.end());
  out.push_back(Dim::constant(numClasses));
  return out;
}

FailureOr<Shape> argmax(ArrayRef<Dim> a, int64_t axis, std::string &why) {
  return reduce(a, {axis}, /*keepDims=*/false, why);
}

FailureOr<Shape> accuracy(ArrayRef<Dim> logits, ArrayRef<Dim> labels,
                          std::string &why) {
  return crossEntropy(logits, labels, /*targetIsIndex=*/true, why);
}

} // namespace dnnc::shape_rules

std::pair<int64_t, int64_t> dnnc::parameterFans(llvm::ArrayRef<int64_t> shape) {
  if (shape.size() < 2)
    return {0, 0};
  if (shape.size() == 2)
    return {shape[0], shape[1]};
  int64_t receptive = 1;
  for (int64_t d : shape.drop_front(2))
    receptive *= d;
  return {shape[1] * receptive, shape[0] * receptive};
}
