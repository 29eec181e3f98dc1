//===- BackwardGraphPrinter.cpp - The backward graph as readable text -----===//

#include "dnnc/Target/BackwardGraphPrinter.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace dnnc;

namespace {

class GraphPrinter {
public:
  GraphPrinter(dnn::ModelOp model, llvm::raw_ostream &os) : model(model), os(os) {}

  void print() {
    Block &body = model.getBody().front();
    dnn::LossOp loss = model.getLossOp();
    os << "model " << model.getSymName() << ": gradients of loss '" << loss.getName()
       << "'\n";

    // Forward values are those the outputs and the loss depend on.
    SmallVector<Value> worklist;
    for (Operation &op : body)
      if (isa<dnn::OutputOp, dnn::LossOp>(op))
        worklist.push_back(op.getOperand(0));
    while (!worklist.empty()) {
      Operation *def = worklist.pop_back_val().getDefiningOp();
      if (def && forward.insert(def).second)
        llvm::append_range(worklist, def->getOperands());
    }

    for (Operation &op : body) {
      if (auto p = dyn_cast<dnn::ParamOp>(op))
        assign(p.getResult(), p.getName());
      else if (auto b = dyn_cast<dnn::BufferOp>(op))
        assign(b.getResult(), b.getName());
      else if (auto i = dyn_cast<dnn::InputOp>(op))
        assign(i.getResult(), i.getName());
      else if (auto o = dyn_cast<dnn::OutputOp>(op))
        nameHints[o.getValue()] = o.getName().str();
      else if (auto l = dyn_cast<dnn::LossOp>(op))
        nameHints[l.getValue()] = l.getName().str();
      else if (auto g = dyn_cast<dnn::GradientOp>(op))
        nameHints.try_emplace(g.getValue(),
                              ("d" + loss.getName() + "/d" + g.getParam()).str());
    }

    os << "forward:\n";
    for (Operation &op : body)
      if (forward.contains(&op) && !isStructural(op) && !isa<dnn::ConstantOp>(op))
        printLine(op, /*backward=*/false);
    os << "backward:\n";
    for (Operation &op : body)
      if (!forward.contains(&op) && !isStructural(op) && !isa<dnn::ConstantOp>(op) &&
          !isa<dnn::BufferUpdateOp>(op))
        printLine(op, /*backward=*/true);
    for (dnn::GradientOp g : body.getOps<dnn::GradientOp>()) {
      std::string expected = ("d" + loss.getName() + "/d" + g.getParam()).str();
      if (name(g.getValue()) != expected)
        os << "  " << expected << " = " << name(g.getValue()) << "\n";
    }
    // What train_step writes into the buffers (batch_norm's running statistics).
    auto updates = body.getOps<dnn::BufferUpdateOp>();
    if (!updates.empty()) {
      os << "buffer updates (train_step):\n";
      for (dnn::BufferUpdateOp update : updates)
        os << "  " << name(update.getBuffer()) << " <- " << name(update.getValue()) << "\n";
    }
  }

private:
  static bool isStructural(Operation &op) {
    return isa<dnn::ParamOp, dnn::BufferOp, dnn::InputOp, dnn::OutputOp, dnn::LossOp,
               dnn::TrainOp, dnn::GradientOp>(op);
  }

  void assign(Value v, llvm::StringRef wanted) {
    std::string candidate = wanted.str();
    for (unsigned n = 2; !used.insert(candidate).second; ++n)
      candidate = (wanted + "." + llvm::Twine(n)).str();
    names[v] = candidate;
  }

  /// A value's name, or its literal for a scalar constant.
  std::string name(Value v) {
    if (auto it = names.find(v); it != names.end())
      return it->second;
    if (auto c = v.getDefiningOp<dnn::ConstantOp>())
      return literal(c);
    return "?";
  }

  static std::string literal(dnn::ConstantOp c) {
    std::string s;
    llvm::raw_string_ostream out(s);
    auto elements = dyn_cast<DenseElementsAttr>(c.getValue());
    if (elements && elements.isSplat()) {
      Type type = elements.getElementType();
      if (isa<FloatType>(type))
        out << llvm::format("%g", elements.getSplatValue<APFloat>().convertToDouble());
      else
        out << elements.getSplatValue<APInt>().getSExtValue();
      if (elements.getType().getRank() > 0)
        out << " (every element)";
    } else {
      out << "constant";
    }
    return s;
  }

  static void printAttr(llvm::raw_ostream &out, Attribute attr) {
    if (auto ints = dyn_cast<DenseI64ArrayAttr>(attr)) {
      out << "[";
      llvm::interleaveComma(ints.asArrayRef(), out);
      out << "]";
    } else if (auto i = dyn_cast<IntegerAttr>(attr)) {
      out << i.getInt();
    } else if (auto f = dyn_cast<FloatAttr>(attr)) {
      out << llvm::format("%g", f.getValueAsDouble());
    } else if (auto str = dyn_cast<StringAttr>(attr)) {
      out << str.getValue();
    } else {
      attr.print(out);
    }
  }

  static void printType(llvm::raw_ostream &out, Type t) {
    auto type = cast<RankedTensorType>(t);
    type.getElementType().print(out);
    out << "[";
    llvm::interleaveComma(type.getShape(), out, [&](int64_t d) {
      if (ShapedType::isDynamic(d))
        out << "?";
      else
        out << d;
    });
    out << "]";
  }

  void printLine(Operation &op, bool backward) {
    for (Value r : op.getResults()) {
      std::string wanted;
      if (auto hint = nameHints.find(r); hint != nameHints.end())
        wanted = hint->second;
      else if (auto loc = dyn_cast<NameLoc>(op.getLoc()))
        wanted = loc.getName().str();
      else
        wanted = (backward ? "g" : "v") + std::to_string(++counter[backward]);
      assign(r, wanted);
    }
    std::string text;
    llvm::raw_string_ostream out(text);
    out << "  " << name(op.getResult(0)) << " = ";
    llvm::StringRef opName = op.getName().stripDialect();
    static const llvm::StringMap<const char *> infix = {
        {"add", " + "}, {"sub", " - "}, {"mul", " * "}, {"div", " / "}, {"matmul", " @ "}};
    if (auto it = infix.find(opName); it != infix.end()) {
      out << name(op.getOperand(0)) << it->second << name(op.getOperand(1));
    } else if (isa<dnn::NegOp>(op)) {
      out << "-" << name(op.getOperand(0));
    } else if (auto pow = dyn_cast<dnn::PowOp>(op)) {
      out << name(pow.getInput()) << " ** "
          << llvm::format("%g", pow.getExponent().convertToDouble());
    } else {
      out << opName << "(";
      llvm::interleaveComma(op.getOperands(), out, [&](Value v) { out << name(v); });
      for (NamedAttribute attr : op.getAttrs()) {
        if (isa<UnitAttr>(attr.getValue())) {
          out << ", " << attr.getName().getValue();
          continue;
        }
        if (attr.getName() == "operandSegmentSizes")
          continue;
        out << ", " << attr.getName().getValue() << "=";
        printAttr(out, attr.getValue());
      }
      out << ")";
    }
    os << text;
    os.indent(text.size() < 48 ? 48 - text.size() : 1) << "# ";
    printType(os, op.getResult(0).getType());
    os << "\n";
  }

  dnn::ModelOp model;
  llvm::raw_ostream &os;
  llvm::DenseSet<Operation *> forward;
  llvm::DenseMap<Value, std::string> names, nameHints;
  llvm::StringSet<> used;
  unsigned counter[2] = {0, 0};
};

} // namespace

void dnnc::printBackwardGraphs(ModuleOp module, llvm::raw_ostream &os) {
  bool first = true;
  for (dnn::ModelOp model : module.getOps<dnn::ModelOp>()) {
    if (model.getBody().front().getOps<dnn::GradientOp>().empty())
      continue;
    if (!first)
      os << "\n";
    first = false;
    GraphPrinter(model, os).print();
  }
}
