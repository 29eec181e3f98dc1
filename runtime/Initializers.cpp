//===- Initializers.cpp - Deterministic parameter initialisation ----------===//
//
// The initializers of docs/language.md section 7.1, reduced to three
// distributions (constant, uniform, normal) over the Philox streams of
// Random.h. Fans come precomputed in dnn_param_info; the compiler fills every
// argument default, so a missing argument is a malformed descriptor.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"
#include "Random.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace dnnrt;

namespace {

const char *initName(int32_t kind) {
  const char *name = dnn_init_kind_name(kind);
  return name ? name : "unknown";
}

/// Looks up argument `name` of `param`'s initializer.
dnn_status getArg(const dnn_param_info &param, const char *name,
                  double &value) {
  for (int32_t i = 0; i < param.num_init_args; ++i) {
    if (std::strcmp(param.init_args[i].name, name) == 0) {
      value = param.init_args[i].value;
      if (!std::isfinite(value))
        return fail(DNN_ERROR_INVALID_ARGUMENT,
                    "param '%s': argument '%s' of %s must be finite",
                    param.tensor.name, name, initName(param.init));
      return DNN_OK;
    }
  }
  return fail(DNN_ERROR_INVALID_ARGUMENT,
              "param '%s': missing argument '%s' of %s", param.tensor.name,
              name, initName(param.init));
}

dnn_status getPositiveArg(const dnn_param_info &param, const char *name,
                          double &value) {
  if (dnn_status s = getArg(param, name, value))
    return s;
  if (value <= 0)
    return fail(DNN_ERROR_INVALID_ARGUMENT,
                "param '%s': argument '%s' of %s must be positive, got %g",
                param.tensor.name, name, initName(param.init), value);
  return DNN_OK;
}

/// fan_in + fan_out for glorot, fan_in for he; must be positive.
dnn_status getFan(const dnn_param_info &param, bool both, double &fan) {
  fan = both ? double(param.fan_in) + double(param.fan_out)
             : double(param.fan_in);
  if (fan <= 0)
    return fail(DNN_ERROR_INVALID_ARGUMENT,
                "param '%s': %s needs a positive %s, got fan_in = %lld, "
                "fan_out = %lld",
                param.tensor.name, initName(param.init),
                both ? "fan_in + fan_out" : "fan_in", (long long)param.fan_in,
                (long long)param.fan_out);
  return DNN_OK;
}

/// What a parallel fill needs; chunks are kChunk elements (even, so a
/// Box-Muller pair never straddles two chunks).
struct FillJob {
  const InitPlan *plan;
  uint32_t param;
  uint64_t seed;
  float *data;
  int64_t count;
};
constexpr int64_t kChunk = 1 << 14;

void fillRange(const FillJob &job, int64_t begin, int64_t end) {
  const InitPlan &plan = *job.plan;
  ParamStream stream(job.seed, job.param);
  switch (plan.kind) {
  case InitPlan::Constant:
    std::fill(job.data + begin, job.data + end, static_cast<float>(plan.a));
    return;
  case InitPlan::Uniform:
    for (int64_t i = begin; i < end; ++i) {
      double u = uniformFromWord(stream.word(i));
      job.data[i] = static_cast<float>(plan.a + (plan.b - plan.a) * u);
    }
    return;
  case InitPlan::Normal:
    for (int64_t i = begin; i < end; i += 2) {
      double z0, z1;
      boxMuller(stream.word(i), stream.word(i + 1), z0, z1);
      job.data[i] = static_cast<float>(plan.a + plan.b * z0);
      if (i + 1 < end)
        job.data[i + 1] = static_cast<float>(plan.a + plan.b * z1);
    }
    return;
  }
}

void fillChunks(void *ctx, int64_t begin, int64_t end) {
  const FillJob &job = *static_cast<const FillJob *>(ctx);
  fillRange(job, begin * kChunk, std::min(end * kChunk, job.count));
}

} // namespace

dnn_status dnnrt::planInit(const dnn_param_info &param, InitPlan &plan) {
  const double sqrt2 = std::sqrt(2.0);
  double gain, fan;
  switch (param.init) {
  case DNN_INIT_ZEROS:
    plan = {InitPlan::Constant, 0.0, 0.0};
    return DNN_OK;
  case DNN_INIT_ONES:
    plan = {InitPlan::Constant, 1.0, 0.0};
    return DNN_OK;
  case DNN_INIT_CONSTANT:
    plan.kind = InitPlan::Constant;
    return getArg(param, "value", plan.a);
  case DNN_INIT_UNIFORM:
    plan.kind = InitPlan::Uniform;
    if (dnn_status s = getArg(param, "low", plan.a))
      return s;
    if (dnn_status s = getArg(param, "high", plan.b))
      return s;
    if (!(plan.a < plan.b))
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "param '%s': uniform initializer needs low < high, got "
                  "low = %g, high = %g",
                  param.tensor.name, plan.a, plan.b);
    return DNN_OK;
  case DNN_INIT_NORMAL:
    plan.kind = InitPlan::Normal;
    if (dnn_status s = getArg(param, "mean", plan.a))
      return s;
    return getPositiveArg(param, "std", plan.b);
  case DNN_INIT_GLOROT_UNIFORM: {
    if (dnn_status s = getPositiveArg(param, "gain", gain))
      return s;
    if (dnn_status s = getFan(param, /*both=*/true, fan))
      return s;
    double a = gain * std::sqrt(6.0 / fan);
    plan = {InitPlan::Uniform, -a, a};
    return DNN_OK;
  }
  case DNN_INIT_GLOROT_NORMAL:
    if (dnn_status s = getPositiveArg(param, "gain", gain))
      return s;
    if (dnn_status s = getFan(param, /*both=*/true, fan))
      return s;
    plan = {InitPlan::Normal, 0.0, gain * std::sqrt(2.0 / fan)};
    return DNN_OK;
  case DNN_INIT_HE_UNIFORM: {
    // kaiming_uniform_ with the ReLU gain sqrt(2), fan-in mode.
    if (dnn_status s = getFan(param, /*both=*/false, fan))
      return s;
    double a = sqrt2 * std::sqrt(3.0 / fan);
    plan = {InitPlan::Uniform, -a, a};
    return DNN_OK;
  }
  case DNN_INIT_HE_NORMAL:
    if (dnn_status s = getFan(param, /*both=*/false, fan))
      return s;
    plan = {InitPlan::Normal, 0.0, sqrt2 / std::sqrt(fan)};
    return DNN_OK;
  }
  return fail(DNN_ERROR_INVALID_ARGUMENT, "param '%s': unknown initializer %d",
              param.tensor.name, param.init);
}

void dnnrt::runInit(const InitPlan &plan, int32_t paramIndex, uint64_t seed,
                    float *data, int64_t count) {
  FillJob job{&plan, static_cast<uint32_t>(paramIndex), seed, data, count};
  int64_t chunks = (count + kChunk - 1) / kChunk;
  dnnrt_parallel_for(fillChunks, &job, chunks, "runtime: parameter initialisation");
}

extern "C" dnn_status dnn_session_init_params(dnn_session *session,
                                              uint64_t seed) {
  return guarded([&]() -> dnn_status {
    if (!session)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_init_params: session is null");
    const dnn_model_info &model = *session->model;
    // Check every initializer before touching any parameter.
    std::vector<InitPlan> plans(model.num_params);
    for (int32_t i = 0; i < model.num_params; ++i)
      if (dnn_status s = planInit(model.params[i], plans[i]))
        return s;
    std::vector<InitPlan> bufferPlans(model.num_buffers);
    for (int32_t i = 0; i < model.num_buffers; ++i)
      if (dnn_status s = planInit(model.buffers[i], bufferPlans[i]))
        return s;
    for (int32_t i = 0; i < model.num_params; ++i)
      runInit(plans[i], i, seed,
              static_cast<float *>(session->params[i].data()),
              staticNumElements(model.params[i].tensor));
    // Buffers draw from the streams after the params', so adding one
    // changes no param's values.
    for (int32_t i = 0; i < model.num_buffers; ++i)
      runInit(bufferPlans[i], model.num_params + i, seed,
              static_cast<float *>(session->buffers[i].data()),
              staticNumElements(model.buffers[i].tensor));
    session->seed = seed;
    return DNN_OK;
  });
}
