//===- train.cpp - Train a compiled model from an app with the Trainer ----===//
//
// The training library of dnn-run (dnnc::training, dnn/training/Trainer.h)
// used from an app: loads a model library built by dnnc (here the MLP of
// examples/mlp.dnn), makes a synthetic 10-class dataset in memory (class k:
// the k-th band of 78 pixels bright, plus noise), trains with the model's
// own optimizer and evaluates after each epoch.
//
//   train MODEL.so [EPOCHS]
//
//===----------------------------------------------------------------------===//

#include "dnn/training/Trainer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

namespace {

/// `rows` images of 784 pixels, labels cycling through the 10 classes.
dnn::Dataset bands(int64_t rows, unsigned seed) {
  dnn::Dataset data;
  data.source = "synthetic bands";
  data.rows = rows;
  dnn::Column x{"x", DNN_DTYPE_F32, {784}, {}};
  dnn::Column y{"labels", DNN_DTYPE_I32, {}, {}};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(0.0f, 0.5f);
  std::vector<float> pixels;
  std::vector<int32_t> labels;
  for (int64_t r = 0; r < rows; ++r) {
    int32_t label = int32_t(r % 10);
    labels.push_back(label);
    for (int p = 0; p < 784; ++p)
      pixels.push_back(noise(rng) + (p / 78 == label ? 0.5f : 0.0f));
  }
  x.data.resize(pixels.size() * sizeof(float));
  std::memcpy(x.data.data(), pixels.data(), x.data.size());
  y.data.resize(labels.size() * sizeof(int32_t));
  std::memcpy(y.data.data(), labels.data(), y.data.size());
  data.columns = {x, y};
  return data;
}

/// One line per epoch.
struct Report : dnn::TrainObserver {
  bool epochDone(const dnn::EpochResult &epoch, std::string &) override {
    std::printf("epoch %lld: train loss %.4f", (long long)epoch.epoch, epoch.trainLoss);
    if (epoch.test)
      std::printf(", test loss %.4f, test accuracy %.4f", epoch.test->loss,
                  epoch.test->accuracy);
    std::printf("\n");
    return true;
  }
};

int fail(const std::string &message) {
  std::fprintf(stderr, "train: error: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3)
    return fail("usage: train MODEL.so [EPOCHS]");
  std::string error;
  std::unique_ptr<dnn::ModelLibrary> lib = dnn::ModelLibrary::open(argv[1], error);
  if (!lib)
    return fail(error);
  const dnn_model_info *model = lib->findModel("", error);
  if (!model)
    return fail(error);
  const dnn::RuntimeApi &api = lib->api();

  dnn::Dataset train = bands(600, 1), test = bands(200, 2);
  dnn::TrainOptions options;
  options.epochs = argc == 3 ? std::atoi(argv[2]) : 3;
  options.batchSize = 50;
  options.shuffleSeed = 1;
  std::unique_ptr<dnn::Trainer> trainer =
      dnn::Trainer::create(api, *model, train, &test, options, error);
  if (!trainer)
    return fail(error);
  dnn::ScopedSession session(api);
  if (dnn_status status = api.session_create(model, &session.session))
    return fail(lib->lastError(status));
  if (dnn_status status = api.session_init_params(session.session, 1))
    return fail(lib->lastError(status));
  Report report;
  dnn::TrainResult result;
  if (!trainer->run(session.session, report, result, error))
    return fail(error);
  std::printf("final: step %lld, test accuracy %.4f\n", (long long)result.step,
              result.test ? result.test->accuracy : 0.0);
  return 0;
}
