//===- Hyperparameters.cpp - Arguments of initializers and optimizers -----===//

#include "dnnc/Dialect/DNN/IR/Hyperparameters.h"

#include "llvm/ADT/STLExtras.h"

using namespace dnnc::dnn;

llvm::ArrayRef<Hyperparameter> dnnc::dnn::getInitializerArgs(InitKind kind) {
  // Defaults follow torch.nn.init; he_* is kaiming_* with the ReLU gain and
  // fan_in mode, glorot_* is xavier_*.
  static const Hyperparameter constant[] = {{"value", std::nullopt, ValueRange::Any}};
  static const Hyperparameter uniform[] = {{"low", 0.0, ValueRange::Any},
                                           {"high", 1.0, ValueRange::Any}};
  static const Hyperparameter normal[] = {{"mean", 0.0, ValueRange::Any},
                                          {"std", 1.0, ValueRange::Positive}};
  static const Hyperparameter glorot[] = {{"gain", 1.0, ValueRange::Positive}};
  switch (kind) {
  case InitKind::constant:
    return constant;
  case InitKind::uniform:
    return uniform;
  case InitKind::normal:
    return normal;
  case InitKind::glorot_uniform:
  case InitKind::glorot_normal:
    return glorot;
  case InitKind::zeros:
  case InitKind::ones:
  case InitKind::he_uniform:
  case InitKind::he_normal:
    return {};
  }
  return {};
}

llvm::ArrayRef<Hyperparameter> dnnc::dnn::getOptimizerArgs(OptimizerKind kind) {
  // Defaults follow torch.optim; SGD has no default learning rate there either.
  static const Hyperparameter sgd[] = {{"lr", std::nullopt, ValueRange::Positive},
                                       {"weight_decay", 0.0, ValueRange::NonNegative}};
  static const Hyperparameter momentum[] = {
      {"lr", std::nullopt, ValueRange::Positive},
      {"beta", 0.9, ValueRange::UnitInterval},
      {"weight_decay", 0.0, ValueRange::NonNegative}};
  static const Hyperparameter adam[] = {
      {"lr", 0.001, ValueRange::Positive},
      {"beta1", 0.9, ValueRange::UnitInterval},
      {"beta2", 0.999, ValueRange::UnitInterval},
      {"eps", 1e-8, ValueRange::Positive},
      {"weight_decay", 0.0, ValueRange::NonNegative}};
  switch (kind) {
  case OptimizerKind::sgd:
    return sgd;
  case OptimizerKind::momentum:
    return momentum;
  case OptimizerKind::adam:
    return adam;
  }
  return {};
}

bool dnnc::dnn::needsFans(InitKind kind) {
  return kind == InitKind::glorot_uniform || kind == InitKind::glorot_normal ||
         kind == InitKind::he_uniform || kind == InitKind::he_normal;
}

std::string dnnc::dnn::checkRange(ValueRange range, double value) {
  switch (range) {
  case ValueRange::Any:
    return std::isfinite(value) ? "" : "must be finite";
  case ValueRange::Positive:
    return value > 0 && std::isfinite(value) ? "" : "must be positive";
  case ValueRange::NonNegative:
    return value >= 0 && std::isfinite(value) ? "" : "must be non-negative";
  case ValueRange::UnitInterval:
    return value >= 0 && value < 1 ? "" : "must be in [0, 1)";
  }
  return "";
}

std::string dnnc::dnn::checkArgs(llvm::ArrayRef<Hyperparameter> spec,
                                 mlir::DictionaryAttr args) {
  for (mlir::NamedAttribute arg : args) {
    if (!llvm::any_of(spec, [&](const Hyperparameter &p) {
          return p.name == arg.getName().strref();
        }))
      return ("unexpected argument '" + arg.getName().strref() + "'").str();
  }
  for (const Hyperparameter &p : spec) {
    auto value = llvm::dyn_cast_or_null<mlir::FloatAttr>(args.get(p.name));
    if (!value || !value.getType().isF64())
      return ("argument '" + p.name + "' must be an f64 float").str();
    std::string bad = checkRange(p.range, value.getValueAsDouble());
    if (!bad.empty())
      return ("argument '" + p.name + "' " + bad).str();
  }
  auto low = llvm::dyn_cast_or_null<mlir::FloatAttr>(args.get("low"));
  auto high = llvm::dyn_cast_or_null<mlir::FloatAttr>(args.get("high"));
  if (low && high && !(low.getValueAsDouble() < high.getValueAsDouble()))
    return "argument 'low' must be less than 'high'";
  return "";
}
