//===- RuntimeTest.cpp - The thin runtime (dnnrt) over hand-built models --===//
//
// The models here are written by hand in the layout the compiler emits, and
// their entry points are C++ functions that read the memref descriptors, so
// the tests also pin down the calling convention of dnn/model.h.
//
//===----------------------------------------------------------------------===//

#include "dnn/runtime.h"

#include "Random.h" // runtime/, for the Philox known answers.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

//===----------------------------------------------------------------------===//
// A hand-built model: y = x @ w + b, and a scalar score.
//===----------------------------------------------------------------------===//

template <int R> struct MemRef {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[R];
  int64_t strides[R];
};
struct MemRef0 {
  void *allocated;
  void *aligned;
  int64_t offset;
};

// Set by the entry points when a descriptor is not laid out as documented.
std::atomic<int> layoutErrors{0};
std::atomic<int> entryCalls{0};

template <int R> void checkLayout(const MemRef<R> *m, const int64_t *sizes) {
  if (m->allocated != m->aligned || m->offset != 0 || !m->aligned)
    ++layoutErrors;
  int64_t stride = 1;
  for (int i = R - 1; i >= 0; --i) {
    if (m->sizes[i] != sizes[i] || m->strides[i] != stride)
      ++layoutErrors;
    stride *= sizes[i];
  }
}

// args: w[3,2], b[2], x[N,3], y[N,2].
void predictEntry(void **args) {
  ++entryCalls;
  auto *w = static_cast<MemRef<2> *>(args[0]);
  auto *b = static_cast<MemRef<1> *>(args[1]);
  auto *x = static_cast<MemRef<2> *>(args[2]);
  auto *y = static_cast<MemRef<2> *>(args[3]);
  int64_t n = x->sizes[0];
  const int64_t wShape[] = {3, 2}, bShape[] = {2}, xShape[] = {n, 3},
                yShape[] = {n, 2};
  checkLayout(w, wShape);
  checkLayout(b, bShape);
  checkLayout(x, xShape);
  checkLayout(y, yShape);
  auto *W = static_cast<float *>(w->aligned);
  auto *B = static_cast<float *>(b->aligned);
  auto *X = static_cast<float *>(x->aligned);
  auto *Y = static_cast<float *>(y->aligned);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      float acc = B[j * b->strides[0]];
      for (int64_t k = 0; k < 3; ++k)
        acc += X[i * x->strides[0] + k * x->strides[1]] *
               W[k * w->strides[0] + j * w->strides[1]];
      Y[i * y->strides[0] + j * y->strides[1]] = acc;
    }
}

// args: w, b, x[N,3], labels[N], y[N,2], score[] = sum_i y[i, labels[i]].
void scoreEntry(void **args) {
  void *predictArgs[] = {args[0], args[1], args[2], args[4]};
  predictEntry(predictArgs);
  auto *labels = static_cast<MemRef<1> *>(args[3]);
  auto *y = static_cast<MemRef<2> *>(args[4]);
  auto *score = static_cast<MemRef0 *>(args[5]);
  int64_t n = labels->sizes[0];
  const int64_t lShape[] = {n};
  checkLayout(labels, lShape);
  if (score->allocated != score->aligned || score->offset != 0)
    ++layoutErrors;
  auto *L = static_cast<int32_t *>(labels->aligned);
  auto *Y = static_cast<float *>(y->aligned);
  float s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += Y[i * 2 + L[i]];
  *static_cast<float *>(score->aligned) = s;
}

const dnn_dim_info kDimsN3[] = {{-1, "N"}, {3, nullptr}};
const dnn_dim_info kDimsN[] = {{-1, "N"}};
const dnn_dim_info kDimsN2[] = {{-1, "N"}, {2, nullptr}};
const dnn_dim_info kDims32[] = {{3, nullptr}, {2, nullptr}};
const dnn_dim_info kDims2[] = {{2, nullptr}};

const dnn_tensor_info kInputs[] = {
    {"x", DNN_DTYPE_F32, 2, kDimsN3},
    {"labels", DNN_DTYPE_I32, 1, kDimsN},
};
const dnn_tensor_info kOutputs[] = {
    {"y", DNN_DTYPE_F32, 2, kDimsN2},
    {"score", DNN_DTYPE_F32, 0, nullptr},
};
const dnn_init_arg kGain1[] = {{"gain", 1.0}};
const dnn_param_info kParams[] = {
    {{"w", DNN_DTYPE_F32, 2, kDims32},
     DNN_INIT_GLOROT_UNIFORM,
     1,
     kGain1,
     3,
     2},
    {{"b", DNN_DTYPE_F32, 1, kDims2}, DNN_INIT_ZEROS, 0, nullptr, 0, 0},
};
const int32_t kPredictIn[] = {0}, kPredictOut[] = {0};
const int32_t kScoreIn[] = {0, 1}, kScoreOut[] = {0, 1};
const dnn_entry_info kEntries[] = {
    {"predict", DNN_ENTRY_PREDICT, predictEntry, nullptr, 1, kPredictIn, 1, kPredictOut},
    {"score", DNN_ENTRY_EVAL, scoreEntry, nullptr, 2, kScoreIn, 2, kScoreOut},
};
const dnn_model_info kModel = {"tiny", 2,       kInputs, 2,       kOutputs,
                               2,      kParams, 2,       kEntries, -1, nullptr};
const dnn_library_info kLibrary = {DNN_ABI_VERSION, "dnnc test", 1, &kModel};

//===----------------------------------------------------------------------===//
// A model with one parameter per initializer, for statistics.
//===----------------------------------------------------------------------===//

const dnn_dim_info kDimsBig[] = {{1000, nullptr}, {100, nullptr}};
const dnn_dim_info kDimsOdd[] = {{7, nullptr}};
const dnn_init_arg kUniformArgs[] = {{"low", -2.0}, {"high", 3.0}};
const dnn_init_arg kNormalArgs[] = {{"mean", 2.0}, {"std", 0.5}};
const dnn_init_arg kConstantArgs[] = {{"value", 0.25}};
const dnn_init_arg kGain2[] = {{"gain", 2.0}};
const dnn_param_info kInitParams[] = {
    {{"zeros", DNN_DTYPE_F32, 2, kDimsBig}, DNN_INIT_ZEROS, 0, nullptr, 0, 0},
    {{"ones", DNN_DTYPE_F32, 2, kDimsBig}, DNN_INIT_ONES, 0, nullptr, 0, 0},
    {{"constant", DNN_DTYPE_F32, 1, kDimsOdd},
     DNN_INIT_CONSTANT,
     1,
     kConstantArgs,
     0,
     0},
    {{"uniform", DNN_DTYPE_F32, 2, kDimsBig},
     DNN_INIT_UNIFORM,
     2,
     kUniformArgs,
     0,
     0},
    {{"normal", DNN_DTYPE_F32, 2, kDimsBig},
     DNN_INIT_NORMAL,
     2,
     kNormalArgs,
     0,
     0},
    {{"glorot_uniform", DNN_DTYPE_F32, 2, kDimsBig},
     DNN_INIT_GLOROT_UNIFORM,
     1,
     kGain2,
     1000,
     100},
    {{"glorot_normal", DNN_DTYPE_F32, 2, kDimsBig},
     DNN_INIT_GLOROT_NORMAL,
     1,
     kGain1,
     1000,
     100},
    {{"he_uniform", DNN_DTYPE_F32, 2, kDimsBig},
     DNN_INIT_HE_UNIFORM,
     0,
     nullptr,
     1000,
     100},
    {{"he_normal", DNN_DTYPE_F32, 2, kDimsBig},
     DNN_INIT_HE_NORMAL,
     0,
     nullptr,
     1000,
     100},
    {{"odd_normal", DNN_DTYPE_F32, 1, kDimsOdd},
     DNN_INIT_NORMAL,
     2,
     kNormalArgs,
     0,
     0},
};
constexpr int kNumInitParams = sizeof(kInitParams) / sizeof(kInitParams[0]);
const dnn_model_info kInitModel = {
    "inits", 0, nullptr, 0, nullptr, kNumInitParams, kInitParams, 0, nullptr, -1, nullptr};

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

struct SessionPtr {
  dnn_session *s = nullptr;
  explicit SessionPtr(const dnn_model_info *model = &kModel) {
    EXPECT_EQ(dnn_session_create(model, &s), DNN_OK) << dnn_last_error();
  }
  ~SessionPtr() { dnn_session_destroy(s); }
  operator dnn_session *() const { return s; }
};

dnn_tensor tensor(const char *name, int32_t dtype, std::vector<int64_t> dims,
                  void *data) {
  dnn_tensor t{};
  t.name = name;
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i)
    t.dims[i] = dims[i];
  t.data = data;
  return t;
}

std::vector<float> paramValues(dnn_session *s, const char *name) {
  dnn_tensor t;
  EXPECT_EQ(dnn_session_param(s, name, &t), DNN_OK) << dnn_last_error();
  int64_t n = 1;
  for (int i = 0; i < t.rank; ++i)
    n *= t.dims[i];
  const float *p = static_cast<const float *>(t.data);
  return std::vector<float>(p, p + n);
}

void setParam(dnn_session *s, const char *name, std::vector<float> values) {
  dnn_tensor t;
  ASSERT_EQ(dnn_session_param(s, name, &t), DNN_OK);
  std::memcpy(t.data, values.data(), values.size() * sizeof(float));
}

struct Stats {
  double mean = 0, stddev = 0, min = INFINITY, max = -INFINITY;
};
Stats stats(const std::vector<float> &v) {
  Stats s;
  double sum = 0, sq = 0;
  for (float f : v) {
    sum += f;
    s.min = std::min<double>(s.min, f);
    s.max = std::max<double>(s.max, f);
  }
  s.mean = sum / v.size();
  for (float f : v)
    sq += (f - s.mean) * (f - s.mean);
  s.stddev = std::sqrt(sq / v.size());
  return s;
}

std::string lastError() { return dnn_last_error(); }

#define EXPECT_ERROR(call, status, substring)                                  \
  do {                                                                         \
    dnn_status actual_ = (call);                                               \
    EXPECT_EQ(actual_, status)                                                 \
        << dnn_status_name(actual_) << ": " << dnn_last_error();               \
    EXPECT_NE(lastError().find(substring), std::string::npos)                  \
        << "message: " << dnn_last_error();                                    \
  } while (0)

/// A fresh directory under /tmp for checkpoint files.
class TempDir {
public:
  TempDir() {
    char pattern[] = "/tmp/dnnrt-test-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TempDir() {
    for (const std::string &f : files())
      std::remove((path + "/" + f).c_str());
    rmdir(path.c_str());
  }
  std::string file(const std::string &name) const { return path + "/" + name; }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (DIR *d = opendir(path.c_str())) {
      while (dirent *e = readdir(d))
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
          out.push_back(e->d_name);
      closedir(d);
    }
    return out;
  }
  std::string path;
};

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), bytes.size());
}

std::string lengthPrefix(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i)
    s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

/// A safetensors file from a header and raw data.
std::string safetensors(const std::string &header, const std::string &data) {
  return lengthPrefix(header.size()) + header + data;
}

/// A well-formed checkpoint of the tiny model with w = 0..5, b = {10, 11},
/// optionally with edits to the header.
std::string tinyCheckpoint(nlohmann::json header = nullptr) {
  if (header.is_null())
    header = {
        {"w", {{"dtype", "F32"}, {"shape", {3, 2}}, {"data_offsets", {0, 24}}}},
        {"b", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {24, 32}}}}};
  float values[] = {0, 1, 2, 3, 4, 5, 10, 11};
  return safetensors(
      header.dump(),
      std::string(reinterpret_cast<char *>(values), sizeof values));
}

} // namespace

//===----------------------------------------------------------------------===//
// Status and library
//===----------------------------------------------------------------------===//

TEST(Runtime, StatusNames) {
  EXPECT_STREQ(dnn_status_name(DNN_OK), "DNN_OK");
  EXPECT_STREQ(dnn_status_name(DNN_ERROR_IO), "DNN_ERROR_IO");
  EXPECT_STREQ(dnn_status_name(DNN_ERROR_ABI_MISMATCH),
               "DNN_ERROR_ABI_MISMATCH");
  EXPECT_STREQ(dnn_status_name(static_cast<dnn_status>(99)),
               "DNN_ERROR_UNKNOWN");
}

TEST(Runtime, LastErrorIsClearedBySuccessAndIsPerThread) {
  EXPECT_EQ(dnn_set_num_threads(0), DNN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError(), "");
  std::string other = "unset";
  std::thread([&] { other = dnn_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_EQ(dnn_check_library(&kLibrary), DNN_OK);
  EXPECT_EQ(lastError(), "");
}

TEST(Runtime, CheckLibrary) {
  EXPECT_EQ(dnn_runtime_abi_version(), DNN_ABI_VERSION);
  EXPECT_EQ(dnn_check_library(&kLibrary), DNN_OK) << dnn_last_error();
  EXPECT_ERROR(dnn_check_library(nullptr), DNN_ERROR_INVALID_ARGUMENT, "null");

  dnn_library_info newer = kLibrary;
  newer.abi_version = DNN_ABI_VERSION + 1;
  EXPECT_ERROR(dnn_check_library(&newer), DNN_ERROR_ABI_MISMATCH,
               "built for dnn ABI version 8, but this runtime implements ABI "
               "version 7");

  EXPECT_EQ(dnn_find_model(&kLibrary, "tiny"), &kModel);
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(dnn_find_model(&kLibrary, "huge"), nullptr);
  EXPECT_NE(lastError().find("no model 'huge' in the library; models: tiny"),
            std::string::npos)
      << lastError();
  EXPECT_EQ(dnn_find_model(nullptr, "tiny"), nullptr);
}

TEST(Runtime, CheckLibraryRejectsInconsistentModels) {
  auto check = [](const dnn_model_info &model) {
    dnn_library_info library = {DNN_ABI_VERSION, "test", 1, &model};
    return dnn_check_library(&library);
  };
  {
    dnn_model_info m = kModel;
    m.name = nullptr;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT, "has no name");
  }
  {
    dnn_tensor_info inputs[] = {kInputs[0], kInputs[1]};
    inputs[0].rank = DNN_MAX_RANK + 1;
    dnn_model_info m = kModel;
    m.inputs = inputs;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT,
                 "input 'x' has rank 9, outside [0, 8]");
    inputs[0].rank = 2;
    inputs[0].dims = nullptr;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT,
                 "input 'x' has rank 2 but no dims");
    const dnn_dim_info noSymbol[] = {{-1, nullptr}, {3, nullptr}};
    inputs[0].dims = noSymbol;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT, "no symbol");
    inputs[0].dims = kDimsN3;
    inputs[1].name = nullptr;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT, "input 1 has no name");
    inputs[1].name = "x";
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT, "two inputs named 'x'");
  }
  {
    dnn_model_info m = kModel;
    m.num_training_checks = 1;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT, "malformed list of training checks");
    const char *const symbols[] = {"N", nullptr};
    dnn_training_check checks[] = {{"batch_norm at m.dnn:3:5", 2, symbols}};
    m.training_checks = checks;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT,
                 "training check 0 has a symbol without a name");
    checks[0].num_symbols = 1;
    EXPECT_EQ(check(m), DNN_OK) << lastError();
    checks[0].what = nullptr;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT, "training check 0 is malformed");
  }
  {
    dnn_param_info params[] = {kParams[0], kParams[1]};
    params[1].tensor.dims = kDimsN;
    dnn_model_info m = kModel;
    m.params = params;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT,
                 "param 'b' has symbolic dim N");
  }
  {
    dnn_entry_info entries[] = {kEntries[0], kEntries[1]};
    const int32_t bad[] = {5};
    entries[0].outputs = bad;
    dnn_model_info m = kModel;
    m.entries = entries;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT,
                 "entry 'predict': output index 5 is out of range [0, 2)");
    entries[0].outputs = kPredictOut;
    entries[1].fn = nullptr;
    EXPECT_ERROR(check(m), DNN_ERROR_INVALID_ARGUMENT,
                 "entry 'score' has no function");
    // Sessions check the model too.
    dnn_session *s = reinterpret_cast<dnn_session *>(1);
    EXPECT_ERROR(dnn_session_create(&m, &s), DNN_ERROR_INVALID_ARGUMENT,
                 "entry 'score' has no function");
    EXPECT_EQ(s, nullptr);
  }
}

//===----------------------------------------------------------------------===//
// Random numbers and initializers
//===----------------------------------------------------------------------===//

TEST(Runtime, PhiloxKnownAnswers) {
  // Random123's kat_vectors for philox4x32_10.
  using dnnrt::philox4x32;
  EXPECT_EQ(
      philox4x32({0, 0, 0, 0}, {0, 0}),
      (dnnrt::PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(
      philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                 {0xffffffff, 0xffffffff}),
      (dnnrt::PhiloxCounter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(
      philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                 {0xa4093822, 0x299f31d0}),
      (dnnrt::PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Runtime, InitFollowsTheDocumentedStream) {
  SessionPtr s(&kInitModel);
  const uint64_t seed = 0x123456789abcdefull;
  ASSERT_EQ(dnn_session_init_params(s, seed), DNN_OK) << dnn_last_error();
  auto word = [&](uint32_t param, uint64_t i) {
    uint64_t k = i / 4;
    return dnnrt::philox4x32({uint32_t(k), uint32_t(k >> 32), param, 0},
                             {uint32_t(seed), uint32_t(seed >> 32)})[i % 4];
  };
  // uniform is param 3: low + (high - low) * u.
  std::vector<float> u = paramValues(s, "uniform");
  for (uint64_t i : {0ull, 1ull, 5ull, 99999ull}) {
    double unit = (word(3, i) >> 8) * std::ldexp(1.0, -24);
    EXPECT_EQ(u[i], static_cast<float>(-2.0 + 5.0 * unit)) << i;
  }
  // odd_normal is param 9 with 7 elements: Box-Muller pairs, mean + std * z.
  std::vector<float> n = paramValues(s, "odd_normal");
  for (uint64_t j = 0; j < 4; ++j) {
    double u1 = ((word(9, 2 * j) >> 8) + 1) * std::ldexp(1.0, -24);
    double u2 = (word(9, 2 * j + 1) >> 8) * std::ldexp(1.0, -24);
    double r = std::sqrt(-2 * std::log(u1));
    EXPECT_EQ(n[2 * j],
              static_cast<float>(2.0 + 0.5 * r * std::cos(2 * M_PI * u2)));
    if (2 * j + 1 < 7)
      EXPECT_EQ(n[2 * j + 1],
                static_cast<float>(2.0 + 0.5 * r * std::sin(2 * M_PI * u2)));
  }
}

TEST(Runtime, InitIsDeterministic) {
  SessionPtr a(&kInitModel), b(&kInitModel), c(&kInitModel);
  ASSERT_EQ(dnn_set_num_threads(1), DNN_OK);
  ASSERT_EQ(dnn_session_init_params(a, 42), DNN_OK);
  ASSERT_EQ(dnn_set_num_threads(5), DNN_OK); // Same bits on any thread count.
  ASSERT_EQ(dnn_session_init_params(b, 42), DNN_OK);
  ASSERT_EQ(dnn_session_init_params(c, 43), DNN_OK);
  for (const dnn_param_info &p : kInitParams) {
    std::vector<float> va = paramValues(a, p.tensor.name),
                       vb = paramValues(b, p.tensor.name),
                       vc = paramValues(c, p.tensor.name);
    EXPECT_EQ(std::memcmp(va.data(), vb.data(), va.size() * 4), 0)
        << p.tensor.name;
    bool random = p.init >= DNN_INIT_UNIFORM;
    EXPECT_EQ(va != vc, random) << p.tensor.name;
  }
  // Different params draw from different streams.
  EXPECT_NE(paramValues(a, "he_uniform"), paramValues(a, "glorot_uniform"));
  ASSERT_EQ(dnn_set_num_threads(4), DNN_OK);
}

TEST(Runtime, InitStatistics) {
  SessionPtr s(&kInitModel);
  ASSERT_EQ(dnn_session_init_params(s, 7), DNN_OK) << dnn_last_error();
  for (float v : paramValues(s, "zeros"))
    ASSERT_EQ(v, 0.0f);
  for (float v : paramValues(s, "ones"))
    ASSERT_EQ(v, 1.0f);
  EXPECT_EQ(paramValues(s, "constant"), std::vector<float>(7, 0.25f));

  Stats u = stats(paramValues(s, "uniform"));
  EXPECT_GE(u.min, -2.0);
  EXPECT_LT(u.max, 3.0);
  EXPECT_NEAR(u.mean, 0.5, 0.03);
  EXPECT_NEAR(u.stddev, 5.0 / std::sqrt(12.0), 0.02);

  Stats n = stats(paramValues(s, "normal"));
  EXPECT_NEAR(n.mean, 2.0, 0.01);
  EXPECT_NEAR(n.stddev, 0.5, 0.01);

  double a = 2.0 * std::sqrt(6.0 / 1100.0);
  Stats gu = stats(paramValues(s, "glorot_uniform"));
  EXPECT_GE(gu.min, -a);
  EXPECT_LE(gu.max, a);
  EXPECT_GT(gu.max, 0.99 * a); // The bound is really used.
  EXPECT_NEAR(gu.stddev, a / std::sqrt(3.0), 0.01 * a);

  Stats gn = stats(paramValues(s, "glorot_normal"));
  EXPECT_NEAR(gn.mean, 0.0, 0.002);
  EXPECT_NEAR(gn.stddev, std::sqrt(2.0 / 1100.0), 0.001);

  double ha = std::sqrt(2.0) * std::sqrt(3.0 / 1000.0);
  Stats hu = stats(paramValues(s, "he_uniform"));
  EXPECT_GE(hu.min, -ha);
  EXPECT_LE(hu.max, ha);
  EXPECT_NEAR(hu.stddev, ha / std::sqrt(3.0), 0.01 * ha);

  Stats hn = stats(paramValues(s, "he_normal"));
  EXPECT_NEAR(hn.mean, 0.0, 0.002);
  EXPECT_NEAR(hn.stddev, std::sqrt(2.0 / 1000.0), 0.0005);
}

TEST(Runtime, InitRejectsMissingArgumentsAndChangesNothing) {
  dnn_param_info params[] = {kParams[0], kParams[1]};
  const dnn_init_arg wrong[] = {{"value", 1.0}};
  params[1].init = DNN_INIT_UNIFORM;
  params[1].num_init_args = 1;
  params[1].init_args = wrong;
  dnn_model_info m = kModel;
  m.params = params;
  SessionPtr s(&m);
  EXPECT_ERROR(dnn_session_init_params(s, 1), DNN_ERROR_INVALID_ARGUMENT,
               "param 'b': missing argument 'low' of uniform");
  // w comes first but must not have been initialised either.
  EXPECT_EQ(paramValues(s, "w"), std::vector<float>(6, 0.0f));

  params[1].init = DNN_INIT_NORMAL;
  const dnn_init_arg badStd[] = {{"mean", 0.0}, {"std", 0.0}};
  params[1].num_init_args = 2;
  params[1].init_args = badStd;
  EXPECT_ERROR(dnn_session_init_params(s, 1), DNN_ERROR_INVALID_ARGUMENT,
               "param 'b': argument 'std' of normal must be positive");
  params[1].init = DNN_INIT_HE_NORMAL;
  EXPECT_ERROR(dnn_session_init_params(s, 1), DNN_ERROR_INVALID_ARGUMENT,
               "param 'b': he_normal needs a positive fan_in");
}

//===----------------------------------------------------------------------===//
// Sessions and running entries
//===----------------------------------------------------------------------===//

TEST(Runtime, CPUSessionsTakeHostDataOnly) {
  SessionPtr s;
  EXPECT_EQ(dnn_session_set_data_location(s, DNN_DATA_HOST), DNN_OK) << lastError();
  EXPECT_ERROR(dnn_session_set_data_location(s, DNN_DATA_DEVICE), DNN_ERROR_INVALID_ARGUMENT,
               "model 'tiny' runs on the CPU: its sessions take host memory only");
  EXPECT_ERROR(dnn_session_set_data_location(s, 2), DNN_ERROR_INVALID_ARGUMENT,
               "unknown location 2");
}

TEST(Runtime, SessionParams) {
  SessionPtr s;
  EXPECT_EQ(dnn_session_model(s), &kModel);
  dnn_tensor w;
  ASSERT_EQ(dnn_session_param(s, "w", &w), DNN_OK);
  EXPECT_STREQ(w.name, "w");
  EXPECT_EQ(w.dtype, DNN_DTYPE_F32);
  EXPECT_EQ(w.rank, 2);
  EXPECT_EQ(w.dims[0], 3);
  EXPECT_EQ(w.dims[1], 2);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data) % 64, 0u);
  EXPECT_EQ(paramValues(s, "w"), std::vector<float>(6, 0.0f)); // Zeroed.
  EXPECT_ERROR(dnn_session_param(s, "v", &w), DNN_ERROR_NOT_FOUND,
               "model 'tiny' has no param 'v'; params: w, b");
  EXPECT_ERROR(dnn_session_param(nullptr, "w", &w), DNN_ERROR_INVALID_ARGUMENT,
               "must not be null");
}

TEST(Runtime, RunComputesWithTheDocumentedDescriptors) {
  SessionPtr s;
  setParam(s, "w", {1, 2, 3, 4, 5, 6});
  setParam(s, "b", {0.5f, -1});
  std::vector<float> x = {1, 0, 0, 0, 1, 1, 2, 2, 2, 1, -1, 1};
  std::vector<int32_t> labels = {0, 1, 1, 0};
  std::vector<float> expected = {1.5f, 1, 8.5f, 9, 18.5f, 23, 3.5f, 3};
  dnn_tensor in[] = {tensor("x", DNN_DTYPE_F32, {4, 3}, x.data())};
  layoutErrors = 0;

  // Session-provided buffer.
  dnn_tensor out[] = {tensor("y", 0, {}, nullptr)};
  ASSERT_EQ(dnn_session_run(s, "predict", 1, in, 1, out), DNN_OK)
      << dnn_last_error();
  EXPECT_EQ(lastError(), "");
  EXPECT_STREQ(out[0].name, "y");
  EXPECT_EQ(out[0].dtype, DNN_DTYPE_F32);
  ASSERT_EQ(out[0].rank, 2);
  EXPECT_EQ(out[0].dims[0], 4);
  EXPECT_EQ(out[0].dims[1], 2);
  ASSERT_NE(out[0].data, nullptr);
  const float *y = static_cast<const float *>(out[0].data);
  EXPECT_EQ(std::vector<float>(y, y + 8), expected);
  dnn_tensor kept;
  ASSERT_EQ(dnn_session_output(s, "y", &kept), DNN_OK);
  EXPECT_EQ(kept.data, out[0].data);

  // Caller-provided buffer: not kept in the session.
  std::vector<float> mine(8, -7);
  out[0] = tensor("y", 0, {}, mine.data());
  ASSERT_EQ(dnn_session_run(s, "predict", 1, in, 1, out), DNN_OK);
  EXPECT_EQ(out[0].data, mine.data());
  EXPECT_EQ(mine, expected);
  EXPECT_ERROR(dnn_session_output(s, "y", &kept), DNN_ERROR_NOT_FOUND,
               "not in the session");

  // Two inputs in any order, and num_outputs = 0 keeps every output.
  dnn_tensor in2[] = {tensor("labels", DNN_DTYPE_I32, {4}, labels.data()),
                      tensor("x", DNN_DTYPE_F32, {4, 3}, x.data())};
  ASSERT_EQ(dnn_session_run(s, "score", 2, in2, 0, nullptr), DNN_OK)
      << dnn_last_error();
  dnn_tensor score;
  ASSERT_EQ(dnn_session_output(s, "score", &score), DNN_OK);
  EXPECT_EQ(score.rank, 0);
  EXPECT_EQ(*static_cast<float *>(score.data), 1.5f + 9 + 23 + 3.5f);
  ASSERT_EQ(dnn_session_output(s, "y", &kept), DNN_OK);
  EXPECT_EQ(std::vector<float>(static_cast<float *>(kept.data),
                               static_cast<float *>(kept.data) + 8),
            expected);
  EXPECT_ERROR(dnn_session_output(s, "z", &kept), DNN_ERROR_NOT_FOUND,
               "model 'tiny' has no output 'z'; outputs: y, score");

  // A bigger batch gets a bigger session buffer.
  std::vector<float> bigX(300 * 3, 1.0f);
  dnn_tensor bigIn[] = {tensor("x", DNN_DTYPE_F32, {300, 3}, bigX.data())};
  ASSERT_EQ(dnn_session_run(s, "predict", 1, bigIn, 0, nullptr), DNN_OK);
  ASSERT_EQ(dnn_session_output(s, "y", &kept), DNN_OK);
  EXPECT_EQ(kept.dims[0], 300);
  EXPECT_EQ(static_cast<float *>(kept.data)[599], 2 + 4 + 6 - 1.0f);
  // score was not computed by predict.
  EXPECT_ERROR(dnn_session_output(s, "score", &kept), DNN_ERROR_NOT_FOUND,
               "not in the session");
  EXPECT_EQ(layoutErrors.load(), 0);
}

TEST(Runtime, RunRejectsBadInputs) {
  SessionPtr s;
  std::vector<float> x(12 * 4);
  std::vector<int32_t> labels(32);
  dnn_tensor out[] = {tensor("y", 0, {}, nullptr)};
  int callsBefore = entryCalls.load();
  auto run = [&](const char *entry, std::vector<dnn_tensor> in,
                 int32_t numOutputs = 0, dnn_tensor *outputs = nullptr) {
    return dnn_session_run(s, entry, int32_t(in.size()), in.data(), numOutputs,
                           outputs);
  };
  dnn_tensor x43 = tensor("x", DNN_DTYPE_F32, {4, 3}, x.data());
  dnn_tensor l4 = tensor("labels", DNN_DTYPE_I32, {4}, labels.data());

  EXPECT_ERROR(run("train", {x43}), DNN_ERROR_NOT_FOUND,
               "model 'tiny' has no entry 'train'; entries: predict, score");
  EXPECT_ERROR(run("predict", {tensor("z", DNN_DTYPE_F32, {4, 3}, x.data())}),
               DNN_ERROR_NOT_FOUND,
               "entry 'predict' has no input 'z'; expected inputs: x");
  EXPECT_ERROR(run("predict", {x43, l4}), DNN_ERROR_NOT_FOUND,
               "entry 'predict' has no input 'labels'");
  EXPECT_ERROR(run("score", {x43}), DNN_ERROR_INVALID_ARGUMENT,
               "missing input 'labels' of entry 'score'");
  EXPECT_ERROR(run("score", {x43, l4, x43}), DNN_ERROR_INVALID_ARGUMENT,
               "input 'x' is given twice");
  EXPECT_ERROR(run("predict", {tensor("x", DNN_DTYPE_I32, {4, 3}, x.data())}),
               DNN_ERROR_DTYPE_MISMATCH, "input 'x': expected f32 but got i32");
  EXPECT_ERROR(
      run("score", {x43, tensor("labels", DNN_DTYPE_F32, {4}, x.data())}),
      DNN_ERROR_DTYPE_MISMATCH, "input 'labels': expected i32 but got f32");
  EXPECT_ERROR(run("predict", {tensor("x", DNN_DTYPE_F32, {4, 5}, x.data())}),
               DNN_ERROR_SHAPE_MISMATCH,
               "input 'x': expected shape [N, 3] but got [4, 5]");
  EXPECT_ERROR(run("predict", {tensor("x", DNN_DTYPE_F32, {12}, x.data())}),
               DNN_ERROR_SHAPE_MISMATCH,
               "input 'x': expected shape [N, 3] but got [12] (rank 1 "
               "instead of 2)");
  EXPECT_ERROR(
      run("score", {x43, tensor("labels", DNN_DTYPE_I32, {3}, labels.data())}),
      DNN_ERROR_SHAPE_MISMATCH,
      "input 'labels': expected shape [N=4] (N bound by input 'x') "
      "but got [3]");
  // Symbols are bound in the entry's order, whatever the caller's order.
  EXPECT_ERROR(
      run("score", {tensor("labels", DNN_DTYPE_I32, {3}, labels.data()), x43}),
      DNN_ERROR_SHAPE_MISMATCH,
      "input 'labels': expected shape [N=4] (N bound by input 'x') "
      "but got [3]");
  EXPECT_ERROR(run("predict", {tensor("x", DNN_DTYPE_F32, {0, 3}, x.data())}),
               DNN_ERROR_SHAPE_MISMATCH, "symbol N must be at least 1");
  EXPECT_ERROR(run("predict", {tensor("x", DNN_DTYPE_F32, {-1, 3}, x.data())}),
               DNN_ERROR_INVALID_ARGUMENT, "input 'x': negative size");
  EXPECT_ERROR(run("predict", {tensor("x", DNN_DTYPE_F32, {4, 3}, nullptr)}),
               DNN_ERROR_INVALID_ARGUMENT, "input 'x' has no data");
  EXPECT_ERROR(
      run("predict", {tensor(nullptr, DNN_DTYPE_F32, {4, 3}, x.data())}),
      DNN_ERROR_INVALID_ARGUMENT, "inputs[0] has no name");

  dnn_tensor badOut[] = {tensor("score", 0, {}, nullptr)};
  EXPECT_ERROR(run("predict", {x43}, 1, badOut), DNN_ERROR_NOT_FOUND,
               "entry 'predict' has no output 'score'; outputs: y");
  dnn_tensor twice[] = {out[0], out[0]};
  EXPECT_ERROR(run("predict", {x43}, 2, twice), DNN_ERROR_INVALID_ARGUMENT,
               "output 'y' is requested twice");
  EXPECT_ERROR(dnn_session_run(s, "predict", 1, nullptr, 0, nullptr),
               DNN_ERROR_INVALID_ARGUMENT, "malformed input list");
  EXPECT_ERROR(dnn_session_run(nullptr, "predict", 0, nullptr, 0, nullptr),
               DNN_ERROR_INVALID_ARGUMENT, "must not be null");
  EXPECT_EQ(entryCalls.load(), callsBefore); // Nothing ran.

  // A failed run keeps the previous run's outputs.
  ASSERT_EQ(run("predict", {x43}), DNN_OK);
  EXPECT_NE(run("predict", {tensor("x", DNN_DTYPE_F32, {4, 5}, x.data())}),
            DNN_OK);
  dnn_tensor kept;
  EXPECT_EQ(dnn_session_output(s, "y", &kept), DNN_OK);
}

TEST(Runtime, HugeParamsRunOutOfMemory) {
  const dnn_dim_info huge[] = {{int64_t(1) << 40, nullptr},
                               {int64_t(1) << 20, nullptr}};
  dnn_param_info params[] = {
      {{"w", DNN_DTYPE_F32, 2, huge}, DNN_INIT_ZEROS, 0, nullptr, 0, 0}};
  dnn_model_info m = {"huge", 0, nullptr, 0, nullptr, 1, params, 0, nullptr, -1, nullptr};
  dnn_session *s = nullptr;
  EXPECT_ERROR(dnn_session_create(&m, &s), DNN_ERROR_OUT_OF_MEMORY,
               "out of memory");
  EXPECT_EQ(s, nullptr);
}

//===----------------------------------------------------------------------===//
// Training: grad and train_step entries, optimizer state, lr and step
//===----------------------------------------------------------------------===//

// A trainable stand-in with one param p[2], one input x[N] and one state slot:
//   grad(p, x, key -> loss, dp):           loss = sum(x), dp = 2 p
//   train_step(p, v, x, lr, step, key -> loss; p and v in place; workspace):
//                                          p -= lr * step, v += 1
// so that the arguments' order, lr and step are visible in the results;
// both record the random key they get in lastKey.
// train_step asks for a workspace of 4 N bytes (the float copy of x it
// sums), or an impossible one when x[0] is -1.
uint64_t lastKey = 0;

void gradEntry(void **args) {
  auto *p = static_cast<MemRef<1> *>(args[0]);
  auto *x = static_cast<MemRef<1> *>(args[1]);
  lastKey = *static_cast<uint64_t *>(static_cast<MemRef0 *>(args[2])->aligned);
  auto *loss = static_cast<MemRef0 *>(args[3]);
  auto *dp = static_cast<MemRef<1> *>(args[4]);
  float sum = 0;
  for (int64_t i = 0; i < x->sizes[0]; ++i)
    sum += static_cast<float *>(x->aligned)[i];
  *static_cast<float *>(loss->aligned) = sum;
  for (int i = 0; i < 2; ++i)
    static_cast<float *>(dp->aligned)[i] = 2 * static_cast<float *>(p->aligned)[i];
}

int64_t trainStepWorkspace(void **args) {
  auto *x = static_cast<MemRef<1> *>(args[2]);
  if (x->sizes[0] > 0 && static_cast<float *>(x->aligned)[0] == -1)
    return int64_t(1) << 62;
  return 4 * x->sizes[0];
}

void trainStepEntry(void **args) {
  auto *p = static_cast<MemRef<1> *>(args[0]);
  auto *v = static_cast<MemRef<1> *>(args[1]);
  auto *x = static_cast<MemRef<1> *>(args[2]);
  double lr = *static_cast<double *>(static_cast<MemRef0 *>(args[3])->aligned);
  int32_t step = *static_cast<int32_t *>(static_cast<MemRef0 *>(args[4])->aligned);
  lastKey = *static_cast<uint64_t *>(static_cast<MemRef0 *>(args[5])->aligned);
  auto *loss = static_cast<MemRef0 *>(args[6]);
  auto *workspace = static_cast<MemRef<1> *>(args[7]);
  // The loss is summed from a copy of x in the workspace, which must be
  // large enough and aligned.
  ASSERT_GE(workspace->sizes[0], 4 * x->sizes[0]);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(workspace->aligned) % 64, 0u);
  float *copy = static_cast<float *>(workspace->aligned);
  float sum = 0;
  for (int64_t i = 0; i < x->sizes[0]; ++i)
    sum += copy[i] = static_cast<float *>(x->aligned)[i];
  *static_cast<float *>(loss->aligned) = sum;
  for (int i = 0; i < 2; ++i) {
    static_cast<float *>(p->aligned)[i] -= lr * step;
    static_cast<float *>(v->aligned)[i] += 1;
  }
}

const dnn_tensor_info kTrainInputs[] = {{"x", DNN_DTYPE_F32, 1, kDimsN}};
const dnn_tensor_info kTrainOutputs[] = {{"loss", DNN_DTYPE_F32, 0, nullptr}};
const dnn_param_info kTrainParams[] = {
    {{"p", DNN_DTYPE_F32, 1, kDims2}, DNN_INIT_ZEROS, 0, nullptr, 0, 0}};
const int32_t kTrainIn[] = {0}, kTrainOut[] = {0};
const dnn_entry_info kTrainEntries[] = {
    {"grad", DNN_ENTRY_GRAD, gradEntry, nullptr, 1, kTrainIn, 1, kTrainOut},
    {"train_step", DNN_ENTRY_TRAIN_STEP, trainStepEntry, trainStepWorkspace, 1, kTrainIn, 1, kTrainOut},
};
const dnn_init_arg kMomentumArgs[] = {{"beta", 0.9}, {"lr", 0.25}, {"weight_decay", 0}};
const char *const kMomentumSlots[] = {"momentum_buffer"};
const dnn_optimizer_info kMomentum = {DNN_OPTIMIZER_MOMENTUM, 3, kMomentumArgs, 1,
                                      kMomentumSlots};
const dnn_model_info kTrainModel = {"trainable", 1, kTrainInputs, 1, kTrainOutputs, 1,
                                    kTrainParams, 2, kTrainEntries, 0, &kMomentum};

std::vector<float> stateValues(dnn_session *s) {
  dnn_tensor t;
  EXPECT_EQ(dnn_session_optimizer_state(s, "p", "momentum_buffer", &t), DNN_OK)
      << dnn_last_error();
  const float *v = static_cast<const float *>(t.data);
  return {v[0], v[1]};
}

TEST(Runtime, TrainStepUpdatesParamsStateAndStep) {
  SessionPtr s(&kTrainModel);
  EXPECT_EQ(dnn_session_learning_rate(s), 0.25); // the model's lr
  EXPECT_EQ(dnn_session_step(s), 0);
  setParam(s, "p", {1, 2});
  float x[] = {1, 2, 3};
  dnn_tensor in = tensor("x", DNN_DTYPE_F32, {3}, x);
  double loss = 0;
  ASSERT_EQ(dnn_session_train_step(s, 1, &in, &loss), DNN_OK) << dnn_last_error();
  EXPECT_EQ(loss, 6);
  EXPECT_EQ(paramValues(s, "p"), (std::vector<float>{0.75f, 1.75f})); // lr 0.25, step 1
  EXPECT_EQ(stateValues(s), (std::vector<float>{1, 1}));
  EXPECT_EQ(dnn_session_step(s), 1);
  EXPECT_EQ(lastKey, dnn_step_key(0, 1)); // a session's seed is 0 until init_params

  ASSERT_EQ(dnn_session_set_learning_rate(s, 0.5), DNN_OK);
  ASSERT_EQ(dnn_session_train_step(s, 1, &in, nullptr), DNN_OK) << dnn_last_error();
  EXPECT_EQ(paramValues(s, "p"), (std::vector<float>{-0.25f, 0.75f})); // lr 0.5, step 2
  EXPECT_EQ(stateValues(s), (std::vector<float>{2, 2}));
  EXPECT_EQ(dnn_session_step(s), 2);

  // The checkpoint carries state, step and lr into a fresh session.
  TempDir dir;
  std::string path = dir.file("train.safetensors");
  ASSERT_EQ(dnn_session_save_params(s, path.c_str()), DNN_OK) << dnn_last_error();
  SessionPtr t(&kTrainModel);
  ASSERT_EQ(dnn_session_load_params(t, path.c_str()), DNN_OK) << dnn_last_error();
  EXPECT_EQ(paramValues(t, "p"), paramValues(s, "p"));
  EXPECT_EQ(stateValues(t), (std::vector<float>{2, 2}));
  EXPECT_EQ(dnn_session_step(t), 2);
  EXPECT_EQ(dnn_session_learning_rate(t), 0.5);

  // The seed of init_params keys the steps, and checkpoints carry it.
  ASSERT_EQ(dnn_session_init_params(t, 42), DNN_OK);
  ASSERT_EQ(dnn_session_train_step(t, 1, &in, nullptr), DNN_OK) << dnn_last_error();
  EXPECT_EQ(lastKey, dnn_step_key(42, 3));
  ASSERT_EQ(dnn_session_save_params(t, path.c_str()), DNN_OK) << dnn_last_error();
  SessionPtr u(&kTrainModel);
  ASSERT_EQ(dnn_session_load_params(u, path.c_str()), DNN_OK) << dnn_last_error();
  ASSERT_EQ(dnn_session_train_step(u, 1, &in, nullptr), DNN_OK) << dnn_last_error();
  EXPECT_EQ(lastKey, dnn_step_key(42, 4));

  ASSERT_EQ(dnn_session_reset_optimizer(t), DNN_OK);
  EXPECT_EQ(stateValues(t), (std::vector<float>{0, 0}));
  EXPECT_EQ(dnn_session_step(t), 0);
  ASSERT_EQ(dnn_session_set_step(t, 7), DNN_OK);
  EXPECT_EQ(dnn_session_step(t), 7);
}

TEST(Runtime, GradKeepsGradientsInTheSession) {
  SessionPtr s(&kTrainModel);
  setParam(s, "p", {1, -3});
  dnn_tensor g;
  EXPECT_ERROR(dnn_session_gradient(s, "p", &g), DNN_ERROR_NOT_FOUND,
               "run dnn_session_grad first");
  float x[] = {0.5f};
  dnn_tensor in = tensor("x", DNN_DTYPE_F32, {1}, x);
  double loss = 0;
  ASSERT_EQ(dnn_session_grad(s, 1, &in, &loss), DNN_OK) << dnn_last_error();
  EXPECT_EQ(loss, 0.5);
  ASSERT_EQ(dnn_session_gradient(s, "p", &g), DNN_OK) << dnn_last_error();
  EXPECT_EQ(g.rank, 1);
  EXPECT_EQ(g.dims[0], 2);
  EXPECT_EQ(static_cast<float *>(g.data)[0], 2);
  EXPECT_EQ(static_cast<float *>(g.data)[1], -6);
  EXPECT_EQ(paramValues(s, "p"), (std::vector<float>{1, -3})); // grad changes nothing
  EXPECT_EQ(dnn_session_step(s), 0);
  EXPECT_EQ(lastKey, dnn_step_key(0, 1)); // the masks of the step that would run next
}

// A model with a buffer (non-trainable state, as batch_norm's running
// statistics): predict(p, r, x -> y) computes y = x * r[0] + p[0], so the
// buffer's position among the arguments is visible in the result.
void bufferedPredict(void **args) {
  auto *p = static_cast<MemRef<1> *>(args[0]);
  auto *r = static_cast<MemRef<1> *>(args[1]);
  auto *x = static_cast<MemRef<1> *>(args[2]);
  auto *y = static_cast<MemRef<1> *>(args[3]);
  for (int64_t i = 0; i < x->sizes[0]; ++i)
    static_cast<float *>(y->aligned)[i] =
        static_cast<float *>(x->aligned)[i] * static_cast<float *>(r->aligned)[0] +
        static_cast<float *>(p->aligned)[0];
}

const dnn_param_info kBufferedParams[] = {
    {{"p", DNN_DTYPE_F32, 1, kDims2}, DNN_INIT_ZEROS, 0, nullptr, 0, 0}};
const dnn_init_arg kFive[] = {{"value", 5}};
const dnn_param_info kBuffers[] = {
    {{"r", DNN_DTYPE_F32, 1, kDims2}, DNN_INIT_CONSTANT, 1, kFive, 0, 0}};
const dnn_tensor_info kBufferedOutputs[] = {{"y", DNN_DTYPE_F32, 1, kDimsN}};
const dnn_entry_info kBufferedEntries[] = {
    {"predict", DNN_ENTRY_PREDICT, bufferedPredict, nullptr, 1, kTrainIn, 1, kTrainOut}};
const dnn_model_info kBufferedModel = {
    "buffered", 1, kTrainInputs, 1, kBufferedOutputs, 1, kBufferedParams, 1,
    kBufferedEntries, -1, nullptr, 0, nullptr, nullptr, 1, kBuffers};

TEST(Runtime, BuffersAreInitialisedPassedAndCheckpointed) {
  SessionPtr s(&kBufferedModel);
  ASSERT_EQ(dnn_session_init_params(s, 1), DNN_OK) << dnn_last_error();
  EXPECT_EQ(paramValues(s, "r"), (std::vector<float>{5, 5})); // its initializer
  setParam(s, "p", {1, 0});
  float x[] = {1, 2};
  dnn_tensor in = tensor("x", DNN_DTYPE_F32, {2}, x);
  float y[2] = {};
  dnn_tensor out = tensor("y", DNN_DTYPE_F32, {2}, y);
  ASSERT_EQ(dnn_session_run(s, "predict", 1, &in, 1, &out), DNN_OK) << dnn_last_error();
  EXPECT_EQ(y[0], 6);
  EXPECT_EQ(y[1], 11);

  // Saved beside the params, loaded back; a checkpoint without it fails.
  TempDir dir;
  std::string path = dir.file("buffered.safetensors");
  setParam(s, "r", {3, 4});
  ASSERT_EQ(dnn_session_save_params(s, path.c_str()), DNN_OK) << dnn_last_error();
  SessionPtr t(&kBufferedModel);
  ASSERT_EQ(dnn_session_load_params(t, path.c_str()), DNN_OK) << dnn_last_error();
  EXPECT_EQ(paramValues(t, "r"), (std::vector<float>{3, 4}));
  EXPECT_EQ(paramValues(t, "p"), (std::vector<float>{1, 0}));
  SessionPtr plain(&kTrainModel);
  std::string other = dir.file("plain.safetensors");
  setParam(plain, "p", {1, 0});
  ASSERT_EQ(dnn_session_save_params(plain, other.c_str()), DNN_OK) << dnn_last_error();
  EXPECT_ERROR(dnn_session_load_params(t, other.c_str()), DNN_ERROR_NOT_FOUND,
               "has no tensor for buffer 'r'");
}

TEST(Runtime, TrainingErrors) {
  SessionPtr plain; // kModel: no loss, no optimizer
  float x[] = {1, 2, 3};
  dnn_tensor in = tensor("x", DNN_DTYPE_F32, {1, 3}, x);
  EXPECT_ERROR(dnn_session_train_step(plain, 1, &in, nullptr), DNN_ERROR_NOT_FOUND,
               "cannot be trained");
  EXPECT_ERROR(dnn_session_grad(plain, 1, &in, nullptr), DNN_ERROR_NOT_FOUND,
               "has no gradients");
  dnn_tensor t;
  EXPECT_ERROR(dnn_session_optimizer_state(plain, "w", "exp_avg", &t), DNN_ERROR_NOT_FOUND,
               "has no state 'exp_avg'");

  SessionPtr s(&kTrainModel);
  EXPECT_ERROR(dnn_session_set_learning_rate(s, 0), DNN_ERROR_INVALID_ARGUMENT,
               "must be positive");
  EXPECT_ERROR(dnn_session_optimizer_state(s, "q", "momentum_buffer", &t),
               DNN_ERROR_NOT_FOUND, "has no param 'q'");
  EXPECT_ERROR(dnn_session_run(s, "train_step", 0, nullptr, 0, nullptr),
               DNN_ERROR_INVALID_ARGUMENT, "run with dnn_session_train_step");
  dnn_tensor wrong = tensor("x", DNN_DTYPE_F32, {1, 3}, x);
  EXPECT_ERROR(dnn_session_train_step(s, 1, &wrong, nullptr), DNN_ERROR_SHAPE_MISMATCH,
               "input 'x'");
  EXPECT_EQ(dnn_session_step(s), 0); // nothing ran
}

TEST(Runtime, WorkspaceGrowsWithTheBatchAndItsFailureIsAnError) {
  SessionPtr s(&kTrainModel);
  setParam(s, "p", {1, 2});
  std::vector<float> big(1000, 1.0f);
  for (int64_t n : {3, 1000, 2}) { // grows for 1000, is reused for 2
    dnn_tensor in = tensor("x", DNN_DTYPE_F32, {n}, big.data());
    double loss = 0;
    ASSERT_EQ(dnn_session_train_step(s, 1, &in, &loss), DNN_OK) << dnn_last_error();
    EXPECT_EQ(loss, n);
  }
  big[0] = -1; // the stand-in then asks for 2^62 bytes
  dnn_tensor in = tensor("x", DNN_DTYPE_F32, {4}, big.data());
  EXPECT_ERROR(dnn_session_train_step(s, 1, &in, nullptr), DNN_ERROR_OUT_OF_MEMORY,
               "entry 'train_step' needs a workspace of 4611686018427387904 bytes");
  EXPECT_EQ(dnn_session_step(s), 3); // the failed step changed nothing
  EXPECT_EQ(paramValues(s, "p"), (std::vector<float>{1 - 0.25f * 6, 2 - 0.25f * 6}));
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

TEST(Runtime, SafetensorsRoundTrip) {
  TempDir dir;
  std::string path = dir.file("tiny.safetensors");
  SessionPtr a, b;
  setParam(a, "w", {1, 2, 3, 4, 5, 6});
  setParam(a, "b", {-1, 0.5f});
  ASSERT_EQ(dnn_session_save_params(a, path.c_str()), DNN_OK)
      << dnn_last_error();
  EXPECT_EQ(dir.files(), std::vector<std::string>{"tiny.safetensors"});

  // The layout: length, padded JSON header, data.
  std::string bytes = readFile(path);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  EXPECT_EQ(n % 8, 0u);
  ASSERT_EQ(bytes.size(), 8 + n + 32);
  std::string headerText = bytes.substr(8, n);
  EXPECT_EQ(headerText.find("{\"__metadata__\""), 0u) << headerText;
  nlohmann::json header = nlohmann::json::parse(headerText);
  EXPECT_EQ(header["__metadata__"]["format"], "pt");
  EXPECT_EQ(header["__metadata__"]["producer"], "dnnc");
  EXPECT_EQ(header["__metadata__"]["model"], "tiny");
  EXPECT_EQ(header["w"]["dtype"], "F32");
  EXPECT_EQ(header["w"]["shape"], nlohmann::json({3, 2}));
  EXPECT_EQ(header["w"]["data_offsets"], nlohmann::json({0, 24}));
  EXPECT_EQ(header["b"]["data_offsets"], nlohmann::json({24, 32}));
  float data[8];
  std::memcpy(data, bytes.data() + 8 + n, 32);
  EXPECT_EQ(std::vector<float>(data, data + 8),
            (std::vector<float>{1, 2, 3, 4, 5, 6, -1, 0.5f}));

  ASSERT_EQ(dnn_session_load_params(b, path.c_str()), DNN_OK)
      << dnn_last_error();
  EXPECT_EQ(paramValues(b, "w"), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(paramValues(b, "b"), (std::vector<float>{-1, 0.5f}));

  // Overwriting an existing checkpoint.
  ASSERT_EQ(dnn_session_init_params(a, 3), DNN_OK);
  ASSERT_EQ(dnn_session_save_params(a, path.c_str()), DNN_OK);
  ASSERT_EQ(dnn_session_load_params(b, path.c_str()), DNN_OK);
  EXPECT_EQ(paramValues(b, "w"), paramValues(a, "w"));
  EXPECT_EQ(dir.files().size(), 1u);

  // A hand-written file in the format loads too.
  writeFile(dir.file("hand.safetensors"), tinyCheckpoint());
  ASSERT_EQ(dnn_session_load_params(b, dir.file("hand.safetensors").c_str()),
            DNN_OK)
      << dnn_last_error();
  EXPECT_EQ(paramValues(b, "b"), (std::vector<float>{10, 11}));
}

TEST(Runtime, SafetensorsSaveFailures) {
  SessionPtr s;
  EXPECT_ERROR(dnn_session_save_params(s, "/nonexistent-dir/x.safetensors"),
               DNN_ERROR_IO, "No such file or directory");
  TempDir dir;
  // Renaming over a directory fails after the data was written; the
  // temporary file must be gone.
  std::string sub = dir.file("sub");
  ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
  std::ofstream(sub + "/keep") << "x";
  EXPECT_ERROR(dnn_session_save_params(s, sub.c_str()), DNN_ERROR_IO,
               "cannot rename");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"sub"});
  std::remove((sub + "/keep").c_str());
  rmdir(sub.c_str());
}

// A 16 MiB param, so that each save takes a while and a kill lands in one.
const dnn_dim_info kBigDims[] = {{2048, nullptr}, {2048, nullptr}};
const dnn_param_info kBigParams[] = {
    {{"w", DNN_DTYPE_F32, 2, kBigDims}, DNN_INIT_ZEROS, 0, nullptr, 0, 0}};
const dnn_model_info kBigModel = {"big", 0, nullptr, 0, nullptr, 1, kBigParams, 0, nullptr,
                                  -1, nullptr};

TEST(Runtime, CheckpointSurvivesAWriterKilledMidSave) {
  // A child saves versions 1, 2, ... of w (every element = the version)
  // over one checkpoint without pause and is killed with SIGKILL after a
  // varying delay. Each time the checkpoint must load and hold one whole
  // version, no older than the one before; a temporary file left behind
  // shows that the kill came in the middle of a save.
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  {
    SessionPtr s(&kBigModel);
    ASSERT_EQ(dnn_session_save_params(s, path.c_str()), DNN_OK) << dnn_last_error();
  }
  float lastVersion = 0;
  int interrupted = 0;
  // At least six rounds, and more (up to 30) until a kill has landed in a
  // save: on a fast disk a save is a small part of the writer's loop.
  for (int round = 0; round < 30 && (round < 6 || interrupted == 0); ++round) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      alarm(60);
      dnn_session *s = nullptr;
      if (dnn_session_create(&kBigModel, &s) != DNN_OK)
        _exit(1);
      dnn_tensor w;
      if (dnn_session_param(s, "w", &w) != DNN_OK)
        _exit(2);
      for (float version = lastVersion + 1;; ++version) {
        std::fill_n(static_cast<float *>(w.data), 2048 * 2048, version);
        if (dnn_session_save_params(s, path.c_str()) != DNN_OK)
          _exit(3);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 70 * (round % 6)));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer failed on its own: exit " << status;

    std::vector<std::string> files = dir.files();
    for (const std::string &f : files)
      if (f != "w.safetensors") {
        ++interrupted;
        EXPECT_NE(f.find("w.safetensors.tmp."), std::string::npos) << f;
        std::remove(dir.file(f).c_str());
      }
    SessionPtr reader(&kBigModel);
    ASSERT_EQ(dnn_session_load_params(reader, path.c_str()), DNN_OK)
        << "round " << round << ": " << dnn_last_error();
    std::vector<float> w = paramValues(reader, "w");
    Stats st = stats(w);
    EXPECT_EQ(st.min, st.max) << "round " << round << ": a mix of versions";
    EXPECT_GE(st.min, lastVersion) << "round " << round << ": an older version";
    lastVersion = static_cast<float>(st.max);
  }
  EXPECT_GT(interrupted, 0) << "no kill landed in a save";
  EXPECT_GT(lastVersion, 0) << "no save completed";
}

TEST(Runtime, SafetensorsRejectsBadFilesAndChangesNothing) {
  TempDir dir;
  SessionPtr s;
  setParam(s, "w", {9, 9, 9, 9, 9, 9});
  setParam(s, "b", {8, 8});
  std::string path = dir.file("bad.safetensors");
  auto load = [&](const std::string &bytes) {
    writeFile(path, bytes);
    return dnn_session_load_params(s, path.c_str());
  };
  auto tensorEntry = [](const char *dtype, nlohmann::json shape, int begin,
                        int end) {
    return nlohmann::json{
        {"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, end}}};
  };
  nlohmann::json good = {{"w", tensorEntry("F32", {3, 2}, 0, 24)},
                         {"b", tensorEntry("F32", {2}, 24, 32)}};
  std::string valid = tinyCheckpoint();

  EXPECT_ERROR(dnn_session_load_params(s, dir.file("none").c_str()),
               DNN_ERROR_NOT_FOUND, "cannot open checkpoint");
  EXPECT_ERROR(load("abc"), DNN_ERROR_FORMAT,
               "is truncated: 3 bytes, less than the 8-byte header length");
  EXPECT_ERROR(load(valid.substr(0, valid.size() - 1)), DNN_ERROR_FORMAT,
               "is truncated: tensor 'b' needs bytes [24, 32) of the data but "
               "there are only 31");
  EXPECT_ERROR(load(valid.substr(0, 20)), DNN_ERROR_FORMAT, "is truncated");
  EXPECT_ERROR(load(lengthPrefix(uint64_t(1) << 60) + valid.substr(8)),
               DNN_ERROR_FORMAT, "is truncated: the header length is");
  EXPECT_ERROR(load(safetensors("{\"w\": ", std::string(32, '\0'))),
               DNN_ERROR_FORMAT, "not valid JSON");
  EXPECT_ERROR(load(safetensors("[1, 2]", "")), DNN_ERROR_FORMAT,
               "not a JSON object");
  {
    nlohmann::json h = good;
    h["w"].erase("dtype");
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_FORMAT,
                 "tensor 'w': missing or malformed 'dtype'");
    h = good;
    h["w"]["shape"] = {3, -2};
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_FORMAT,
                 "tensor 'w': 'shape' must hold non-negative integers");
    h = good;
    h["w"].erase("data_offsets");
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_FORMAT,
                 "tensor 'w': missing or malformed 'data_offsets'");
    h = good;
    h["w"]["data_offsets"] = {0, 20};
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_FORMAT,
                 "tensor 'w': data_offsets [0, 20] do not match F32 of shape "
                 "[3, 2]");
    h = good;
    h["b"]["data_offsets"] = {16, 24};
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_FORMAT, "overlap");
    h = good;
    h["b"]["data_offsets"] = {28, 36};
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_FORMAT, "is truncated");
    EXPECT_ERROR(load(tinyCheckpoint(good) + "xxxx"), DNN_ERROR_FORMAT,
                 "has 36 bytes of data but its tensors cover 32");
    h = good;
    h["w"] = tensorEntry("F32", {3, 1}, 0, 12);
    h["b"] = tensorEntry("F32", {2}, 12, 20);
    EXPECT_ERROR(load(tinyCheckpoint(h).substr(0, 8 + h.dump().size() + 20)),
                 DNN_ERROR_SHAPE_MISMATCH,
                 "param 'w': expected shape [3, 2] but the checkpoint '" +
                     path + "' has [3, 1]");
    h = good;
    h["w"] = tensorEntry("F64", {3, 1}, 0, 24);
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_DTYPE_MISMATCH,
                 "param 'w': expected F32 but the checkpoint '" + path +
                     "' has F64");
    h = good;
    h["v"] = h["w"];
    h.erase("w");
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_NOT_FOUND,
                 "has no tensor for param 'w'");
    h = good;
    h["extra"] = tensorEntry("F32", {0}, 32, 32);
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_FORMAT,
                 "has tensor 'extra', which model 'tiny' does not have");
    h = good;
    h["__metadata__"] = "x";
    EXPECT_ERROR(load(tinyCheckpoint(h)), DNN_ERROR_FORMAT, "__metadata__");
  }
  EXPECT_EQ(paramValues(s, "w"), std::vector<float>(6, 9));
  EXPECT_EQ(paramValues(s, "b"), std::vector<float>(2, 8));
  // A name given twice (JSON parsers keep one of them silently), at the top
  // level or inside an entry; a header that is not UTF-8.
  {
    std::string entry = "{\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}";
    EXPECT_ERROR(load(safetensors("{\"b\": " + entry + ", \"b\": " + entry + "}",
                                  std::string(8, '\0'))),
                 DNN_ERROR_FORMAT, "has the key 'b' twice");
    std::string twice = "{\"dtype\": \"F32\", \"dtype\": \"F64\", \"shape\": [2], "
                        "\"data_offsets\": [0, 8]}";
    EXPECT_ERROR(load(safetensors("{\"b\": " + twice + "}", std::string(8, '\0'))),
                 DNN_ERROR_FORMAT, "has the key 'dtype' twice");
    EXPECT_ERROR(load(safetensors("{\"b\xff\": " + entry + "}", std::string(8, '\0'))),
                 DNN_ERROR_FORMAT, "not valid JSON (or not UTF-8)");
  }

  // Messages name the file.
  EXPECT_ERROR(load("abc"), DNN_ERROR_FORMAT, "checkpoint '" + path + "'");
  ASSERT_EQ(load(valid), DNN_OK) << dnn_last_error();
  EXPECT_EQ(paramValues(s, "b"), (std::vector<float>{10, 11}));
}

//===----------------------------------------------------------------------===//
// Thread pool
//===----------------------------------------------------------------------===//

namespace {
struct Coverage {
  std::vector<std::atomic<int>> hits;
  std::atomic<int> badChunks{0};
  explicit Coverage(int64_t n) : hits(n) {}
};

void markChunk(void *ctx, int64_t begin, int64_t end) {
  auto &c = *static_cast<Coverage *>(ctx);
  if (begin < 0 || end > int64_t(c.hits.size()) || begin >= end)
    ++c.badChunks;
  for (int64_t i = begin; i < end && i >= 0 && i < int64_t(c.hits.size()); ++i)
    ++c.hits[i];
}

bool coveredOnce(const Coverage &c) {
  if (c.badChunks)
    return false;
  for (const auto &h : c.hits)
    if (h != 1)
      return false;
  return true;
}

// Each outer index runs an inner parallel loop over 100 elements.
struct Nested {
  Coverage inner{64 * 100};
};
void outerChunk(void *ctx, int64_t begin, int64_t end) {
  auto &n = *static_cast<Nested *>(ctx);
  for (int64_t i = begin; i < end; ++i) {
    struct Slice {
      Coverage *c;
      int64_t base;
    } slice{&n.inner, i * 100};
    dnnrt_parallel_for(
        [](void *p, int64_t b, int64_t e) {
          auto &s = *static_cast<Slice *>(p);
          markChunk(s.c, s.base + b, s.base + e);
        },
        &slice, 100, nullptr);
  }
}
} // namespace

TEST(Runtime, ThreadPoolCoversEveryIndexOnce) {
  EXPECT_GE(dnn_get_num_threads(), 1);
  EXPECT_ERROR(dnn_set_num_threads(0), DNN_ERROR_INVALID_ARGUMENT,
               "at least 1");
  EXPECT_EQ(dnn_set_num_threads(-3), DNN_ERROR_INVALID_ARGUMENT);
  for (int32_t threads : {1, 2, 3, 8}) {
    ASSERT_EQ(dnn_set_num_threads(threads), DNN_OK);
    EXPECT_EQ(dnn_get_num_threads(), threads);
    for (int64_t count : {1, 2, 3, 7, 31, 32, 33, 100, 1000, 12345}) {
      Coverage c(count);
      dnnrt_parallel_for(markChunk, &c, count, nullptr);
      EXPECT_TRUE(coveredOnce(c)) << threads << " threads, count " << count;
    }
    // Nothing to do: the body is not called.
    Coverage none(0);
    dnnrt_parallel_for(markChunk, &none, 0, nullptr);
    dnnrt_parallel_for(markChunk, &none, -5, nullptr);
    EXPECT_EQ(none.badChunks, 0);
  }
  // Many small jobs in a row reuse the workers.
  ASSERT_EQ(dnn_set_num_threads(4), DNN_OK);
  for (int rep = 0; rep < 2000; ++rep) {
    Coverage c(9);
    dnnrt_parallel_for(markChunk, &c, 9, nullptr);
    ASSERT_TRUE(coveredOnce(c)) << rep;
  }
}

namespace {
/// How many threads run the 16 chunks of a slow parallel loop.
size_t threadsUsed() {
  struct Seen {
    std::mutex mutex;
    std::set<std::thread::id> ids;
  } seen;
  dnnrt_parallel_for(
      [](void *ctx, int64_t, int64_t) {
        auto &s = *static_cast<Seen *>(ctx);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard<std::mutex> lock(s.mutex);
        s.ids.insert(std::this_thread::get_id());
      },
      &seen, 16, nullptr);
  return seen.ids.size();
}
} // namespace

TEST(Runtime, ThreadPoolUsesItsWorkers) {
  ASSERT_EQ(dnn_set_num_threads(4), DNN_OK);
  EXPECT_GT(threadsUsed(), 1u);
  ASSERT_EQ(dnn_set_num_threads(1), DNN_OK);
  EXPECT_EQ(threadsUsed(), 1u);
}

namespace {
/// The first chunk the calling thread ran in a slow loop of `count`
/// iterations (one per chunk: count <= 4 * threads), and the first chunks
/// the other threads ran.
std::pair<int64_t, std::set<int64_t>> firstChunks(int64_t count) {
  struct Seen {
    std::mutex mutex;
    std::map<std::thread::id, int64_t> first;
  } seen;
  dnnrt_parallel_for(
      [](void *ctx, int64_t begin, int64_t) {
        auto &s = *static_cast<Seen *>(ctx);
        {
          std::lock_guard<std::mutex> lock(s.mutex);
          s.first.emplace(std::this_thread::get_id(), begin);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      },
      &seen, count, nullptr);
  std::pair<int64_t, std::set<int64_t>> result{-1, {}};
  for (auto &[id, chunk] : seen.first) {
    if (id == std::this_thread::get_id())
      result.first = chunk;
    else
      result.second.insert(chunk);
  }
  return result;
}
} // namespace

// Each thread owns a fixed contiguous share of a loop's chunks and starts at
// its beginning (it steals from others only when its own are done), so loops
// of the same shape give a thread the same elements every time. The 20 ms
// chunks leave every worker time to wake before its share could be stolen.
TEST(Runtime, ThreadPoolGivesEachThreadItsOwnShareFirst) {
  ASSERT_EQ(dnn_set_num_threads(2), DNN_OK);
  for (int rep = 0; rep < 2; ++rep)
    EXPECT_EQ(firstChunks(8), std::make_pair(int64_t{0}, std::set<int64_t>{4})) << rep;
  ASSERT_EQ(dnn_set_num_threads(4), DNN_OK);
  EXPECT_EQ(firstChunks(16), std::make_pair(int64_t{0}, std::set<int64_t>{4, 8, 12}));
}

TEST(Runtime, ThreadPoolWorksInAForkedChild) {
  // The parent's workers do not exist in a child (e.g. a Python
  // multiprocessing worker); the child must start its own, not hang.
  ASSERT_EQ(dnn_set_num_threads(3), DNN_OK);
  Coverage warm(100);
  dnnrt_parallel_for(markChunk, &warm, 100, nullptr);
  ASSERT_TRUE(coveredOnce(warm));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    alarm(20); // A hang fails the test instead of blocking it.
    Coverage c(1000);
    dnnrt_parallel_for(markChunk, &c, 1000, nullptr);
    _exit(!coveredOnce(c) ? 1 : threadsUsed() < 2 ? 2 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: indices missed, 2: no workers";
}

TEST(Runtime, ThreadPoolNestedAndConcurrentLoops) {
  ASSERT_EQ(dnn_set_num_threads(4), DNN_OK);
  Nested nested;
  dnnrt_parallel_for(outerChunk, &nested, 64, nullptr);
  EXPECT_TRUE(coveredOnce(nested.inner));

  // Several application threads at once.
  std::vector<std::thread> apps;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    apps.emplace_back([&, t] {
      for (int rep = 0; rep < 200; ++rep) {
        Coverage c(100 + t * 37 + rep);
        dnnrt_parallel_for(markChunk, &c, int64_t(c.hits.size()), nullptr);
        if (!coveredOnce(c))
          ++failures;
      }
    });
  for (std::thread &t : apps)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}
