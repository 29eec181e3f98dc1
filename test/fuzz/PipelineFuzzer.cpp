//===- PipelineFuzzer.cpp - libFuzzer target for dnnc's pipeline to linalg -===//
//
// The fuzz input chooses a program that is valid by construction (dense and
// convolution layers, activations, elementwise joins, pooling, a loss and an
// optimizer, with shapes that agree); dnnc must accept it and lower it,
// backward graph included, to linalg on tensors. Any diagnostic, verifier
// failure or crash on such a program is a compiler bug.
//
//===----------------------------------------------------------------------===//

#include "FuzzInput.h"

#include "dnnc/Driver/Driver.h"
#include "dnnc/Pipelines/Pipelines.h"
#include "dnnc/Tools/Registration.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace {

/// Writes one model: a stack of layers over an [N, F] or [N, C, H, W] input.
class ProgramWriter {
public:
  explicit ProgramWriter(dnn::fuzz::Bytes &in) : in_(in) {}

  std::string write() {
    bool image = in_.below(3) == 0;
    std::string x = "x";
    if (image) {
      c_ = 1 + in_.below(3);
      h_ = 6 + in_.below(6);
      w_ = 6 + in_.below(6);
      decl("  input  x: f32[N, " + n(c_) + ", " + n(h_) + ", " + n(w_) + "]\n");
      x = convBlock(x);
      if (in_.below(2))
        x = convBlock(x);
      width_ = c_ * h_ * w_;
      x = let("flatten(" + x + ")");
    } else {
      width_ = 1 + in_.below(12);
      decl("  input  x: f32[N, " + n(width_) + "]\n");
    }
    std::vector<std::pair<std::string, int64_t>> values = {{x, width_}};
    int layers = 1 + in_.below(4);
    for (int i = 0; i < layers; ++i) {
      auto [v, width] = values[in_.below(values.size())];
      values.push_back(layer(v, width));
    }
    auto [last, lastWidth] = values.back();
    std::string loss;
    switch (in_.below(4)) {
    case 0: {
      decl("  input  y: f32[N, " + n(lastWidth) + "]\n");
      loss = "mse(" + last + ", y)";
      break;
    }
    case 1:
      if (lastWidth >= 2) {
        decl("  input  labels: i32[N]\n");
        loss = "cross_entropy(" + last + ", labels)";
        break;
      }
      [[fallthrough]];
    case 2:
      loss = "mean(" + last + " * " + last + ")";
      break;
    default: {
      decl("  input  t: f32[N, " + n(lastWidth) + "]\n");
      loss = "bce_with_logits(" + last + ", t)";
      break;
    }
    }
    static const char *const optimizers[] = {"sgd(lr=0.1)", "momentum(lr=0.1, beta=0.9)",
                                             "adam(lr=0.001)"};
    std::string out = "model fuzz {\n" + decls_ + body_;
    out += "  output out = " + last + "\n";
    out += "  loss   l = " + loss + "\n";
    out += "  train  with " + std::string(optimizers[in_.below(3)]) + "\n}\n";
    return out;
  }

private:
  static std::string n(int64_t v) { return std::to_string(v); }
  void decl(const std::string &line) { decls_ += line; }
  std::string param(const std::string &shape, const char *init) {
    std::string name = "p" + n(params_++);
    decl("  param  " + name + ": f32[" + shape + "] = " + init + "\n");
    return name;
  }
  std::string let(const std::string &expr) {
    std::string name = "v" + n(lets_++);
    body_ += "  let " + name + " = " + expr + "\n";
    return name;
  }

  /// conv2d (+ bias, activation, pooling) keeping H and W >= 2.
  std::string convBlock(const std::string &x) {
    int64_t f = 1 + in_.below(4), k = 1 + in_.below(3);
    k = std::min({k, h_, w_});
    int64_t pad = in_.below(2) ? k / 2 : 0;
    std::string filter = param(n(f) + ", " + n(c_) + ", " + n(k) + ", " + n(k), "he_uniform()");
    std::string expr = "conv2d(" + x + ", " + filter;
    if (in_.below(2))
      expr += ", " + param(n(f), "zeros()");
    expr += ", padding=" + n(pad) + ")";
    h_ = h_ + 2 * pad - k + 1;
    w_ = w_ + 2 * pad - k + 1;
    c_ = f;
    expr = activation(expr);
    if (h_ >= 4 && w_ >= 4 && in_.below(2)) {
      expr = (in_.below(3) ? "maxpool2d(" : "avgpool2d(") + expr + ", size=2, stride=2)";
      h_ /= 2;
      w_ /= 2;
    }
    return let(expr);
  }

  std::string activation(const std::string &x) {
    // One of these, leaky_relu, or none (two chances in eight).
    static const char *const unary[] = {"relu", "sigmoid", "tanh", "silu", "softplus"};
    uint32_t pick = in_.below(8);
    if (pick < std::size(unary))
      return std::string(unary[pick]) + "(" + x + ")";
    if (pick == std::size(unary))
      return "leaky_relu(" + x + ", slope=0.1)";
    return x;
  }

  std::pair<std::string, int64_t> layer(const std::string &x, int64_t width) {
    switch (in_.below(4)) {
    case 0:
    case 1: { // dense
      int64_t out = 1 + in_.below(12);
      std::string w = param(n(width) + ", " + n(out), "glorot_uniform()");
      std::string expr = x + " @ " + w;
      if (in_.below(2))
        expr += " + " + param(n(out), "zeros()");
      return {let(activation(expr)), out};
    }
    case 2: // elementwise with itself or a scaled copy
      return {let(activation(x + (in_.below(2) ? " * " : " + ") + x)), width};
    default: // softmax over the features
      return {let("softmax(" + x + ")"), width};
    }
  }

  dnn::fuzz::Bytes &in_;
  std::string decls_, body_;
  int params_ = 0, lets_ = 0;
  int64_t c_ = 0, h_ = 0, w_ = 0, width_ = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    mlir::DialectRegistry registry;
    dnnc::registerAllDialects(registry);
    auto *ctx = new mlir::MLIRContext(registry, mlir::MLIRContext::Threading::DISABLED);
    ctx->loadAllAvailableDialects();
    return ctx;
  }();
  dnn::fuzz::Bytes in(data, size);
  std::string program = ProgramWriter(in).write();
  static const bool print = std::getenv("DNNC_FUZZ_PRINT") != nullptr; // to see the programs
  if (print)
    llvm::errs() << program;

  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(program, "fuzz.dnn"),
                               llvm::SMLoc());
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  dnnc::FrontendResult frontend = dnnc::runFrontend(sourceMgr, *context, os);
  auto fail = [&](const char *stage) {
    llvm::errs() << "valid program rejected (" << stage << "):\n"
                 << program << "\n"
                 << diagnostics << "\n";
    std::abort();
  };
  if (frontend.numErrors || !frontend.module)
    fail("frontend");
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, context, os);
  // One pass manager for every program: its passes are initialized (their
  // pattern sets frozen) once, not per program.
  static mlir::PassManager *pm = [] {
    auto *pm = new mlir::PassManager(context);
    dnnc::buildDNNSimplifyPipeline(*pm);
    dnnc::buildCPUPipeline(*pm, dnnc::CompilePhase::DNN, dnnc::CompilePhase::Linalg, {});
    return pm;
  }();
  if (mlir::failed(pm->run(*frontend.module)))
    fail("pipeline to linalg");
  return 0;
}
