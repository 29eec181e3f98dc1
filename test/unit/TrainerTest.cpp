//===- TrainerTest.cpp - The training library driven without dnn-run -----===//
//
// tools/lib/Training's Trainer on softmax regression (examples/
// softmax_regression.dnn, compiled at build time) with a synthetic dataset
// built in memory: it learns three separable clusters, reports every step,
// evaluation and epoch to its observer, resumes bit-identically from a step
// counter, stops on a non-finite loss when asked, and rejects bad options
// and datasets that do not fit the model.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace dnn;

namespace {

constexpr int kClasses = 3, kFeatures = 4;

/// `rows` samples: features around one centre per class (cluster spread
/// 0.3, centres 3 apart), labels cycling through the classes; every feature
/// of row `poisoned` is NaN when it is set.
Dataset clusters(int64_t rows, unsigned seed, int64_t poisoned = -1) {
  Dataset data;
  data.source = "synthetic clusters";
  data.rows = rows;
  Column x{"x", DNN_DTYPE_F32, {kFeatures}, {}};
  Column y{"species", DNN_DTYPE_I32, {}, {}};
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  std::vector<float> features;
  std::vector<int32_t> labels;
  for (int64_t r = 0; r < rows; ++r) {
    int32_t label = int32_t(r % kClasses);
    labels.push_back(label);
    for (int f = 0; f < kFeatures; ++f)
      features.push_back(r == poisoned ? NAN : (f == label ? 3.0f : 0.0f) + noise(rng));
  }
  x.data.resize(features.size() * 4);
  std::memcpy(x.data.data(), features.data(), x.data.size());
  y.data.resize(labels.size() * 4);
  std::memcpy(y.data.data(), labels.data(), y.data.size());
  data.columns = {x, y};
  return data;
}

/// Counts what the observer is shown; optionally stops after an epoch.
struct Recorder : TrainObserver {
  int64_t epochsStarted = 0, currentEpoch = 0, steps = 0, nonFinite = 0, interruptions = 0;
  std::vector<EpochResult> epochs;
  std::vector<std::pair<std::string, EvalResult>> evaluations;
  std::vector<double> losses;
  int64_t stopAfterEpochs = -1;

  void epochStarted(int64_t epoch, int64_t, int64_t) override {
    ++epochsStarted;
    currentEpoch = epoch;
  }
  void stepDone(const StepResult &step) override {
    ++steps;
    losses.push_back(step.loss);
    EXPECT_EQ(step.epoch, currentEpoch);
  }
  void nonFiniteLoss(const StepResult &) override { ++nonFinite; }
  void evaluated(const std::string &split, int64_t, int64_t, const EvalResult &r) override {
    evaluations.emplace_back(split, r);
  }
  bool epochDone(const EpochResult &epoch, std::string &error) override {
    epochs.push_back(epoch);
    if ((int64_t)epochs.size() == stopAfterEpochs) {
      error = "stopped by the observer";
      return false;
    }
    return true;
  }
  void interrupted() override { ++interruptions; }
};

class TrainerTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string error;
    lib = ModelLibrary::open(DNN_TRAINER_TEST_MODEL, error);
    ASSERT_TRUE(lib) << error;
    model = lib->findModel("", error);
    ASSERT_TRUE(model) << error;
    lib->api().set_num_threads(1);
  }

  /// A session with params from seed 1.
  dnn_session *newSession() {
    dnn_session *session = nullptr;
    EXPECT_EQ(lib->api().session_create(model, &session), DNN_OK);
    EXPECT_EQ(lib->api().session_init_params(session, 1), DNN_OK);
    sessions.push_back(session);
    return session;
  }

  std::vector<float> param(dnn_session *session, const char *name) {
    dnn_tensor t{};
    EXPECT_EQ(lib->api().session_param(session, name, &t), DNN_OK);
    int64_t count = 1;
    for (int32_t d = 0; d < t.rank; ++d)
      count *= t.dims[d];
    const float *data = static_cast<const float *>(t.data);
    return std::vector<float>(data, data + count);
  }

  void TearDown() override {
    for (dnn_session *s : sessions)
      lib->api().session_destroy(s);
  }

  std::unique_ptr<ModelLibrary> lib;
  const dnn_model_info *model = nullptr;
  std::vector<dnn_session *> sessions;
};

} // namespace

TEST_F(TrainerTest, LearnsSeparableClassesAndReportsEveryStep) {
  Dataset train = clusters(120, 1), test = clusters(60, 2);
  TrainOptions options;
  options.epochs = 5;
  options.batchSize = 16;
  options.shuffleSeed = 7;
  options.trainAccuracy = true;
  std::string error;
  auto trainer = Trainer::create(lib->api(), *model, train, &test, options, error);
  ASSERT_TRUE(trainer) << error;
  dnn_session *session = newSession();
  Recorder seen;
  TrainResult result;
  ASSERT_TRUE(trainer->run(session, seen, result, error)) << error;

  const int64_t perEpoch = 8; // ceil(120 / 16)
  EXPECT_EQ(result.plan.batchesPerEpoch, perEpoch);
  EXPECT_EQ(result.step, 5 * perEpoch);
  EXPECT_EQ(lib->api().session_step(session), 5 * perEpoch);
  EXPECT_EQ(seen.epochsStarted, 5);
  EXPECT_EQ(seen.steps, 5 * perEpoch);
  ASSERT_EQ(seen.epochs.size(), 5u);
  for (const EpochResult &e : seen.epochs) {
    EXPECT_TRUE(e.complete());
    EXPECT_EQ(e.samples, 120);
    ASSERT_TRUE(e.test && e.train);
  }
  // A test and a train evaluation after each epoch, in that order.
  ASSERT_EQ(seen.evaluations.size(), 10u);
  EXPECT_EQ(seen.evaluations[0].first, "test");
  EXPECT_EQ(seen.evaluations[1].first, "train");
  ASSERT_TRUE(result.test && result.test->hasAccuracy());
  EXPECT_TRUE(trainer->testHasAccuracy());
  EXPECT_EQ(result.test->samples, 60);
  // The clusters are 3 apart with spread 0.3: learned, and the loss fell.
  EXPECT_GE(result.test->accuracy, 0.95);
  EXPECT_LT(seen.epochs.back().trainLoss, 0.5 * seen.epochs.front().trainLoss);
  EXPECT_NEAR(result.lastEpochLoss, seen.epochs.back().trainLoss, 1e-12);
  EXPECT_EQ(seen.nonFinite, 0);
}

TEST_F(TrainerTest, ResumesFromTheStepCounterBitIdentically) {
  Dataset train = clusters(50, 3);
  TrainOptions options;
  options.epochs = 3;
  options.batchSize = 8; // 7 batches per epoch, the last of 2 samples
  options.shuffleSeed = 11;
  std::string error;
  auto trainer = Trainer::create(lib->api(), *model, train, nullptr, options, error);
  ASSERT_TRUE(trainer) << error;

  dnn_session *straight = newSession();
  Recorder all;
  TrainResult result;
  ASSERT_TRUE(trainer->run(straight, all, result, error)) << error;
  EXPECT_EQ(result.step, 21);

  // The same in two runs: 10 steps (into the second epoch), then the rest.
  TrainOptions firstPart = options;
  firstPart.maxSteps = 10;
  auto partial = Trainer::create(lib->api(), *model, train, nullptr, firstPart, error);
  ASSERT_TRUE(partial) << error;
  dnn_session *resumed = newSession();
  Recorder before, after;
  ASSERT_TRUE(partial->run(resumed, before, result, error)) << error;
  EXPECT_EQ(result.step, 10);
  ASSERT_EQ(before.epochs.size(), 2u);
  EXPECT_FALSE(before.epochs.back().complete());
  EXPECT_EQ(before.epochs.back().endBatch, 3);
  ASSERT_TRUE(trainer->run(resumed, after, result, error)) << error;
  EXPECT_EQ(result.step, 21);
  EXPECT_EQ(after.epochs.front().firstBatch, 3);

  std::vector<double> losses = before.losses;
  losses.insert(losses.end(), after.losses.begin(), after.losses.end());
  EXPECT_EQ(losses, all.losses);
  EXPECT_EQ(param(resumed, "w"), param(straight, "w"));
  EXPECT_EQ(param(resumed, "b"), param(straight, "b"));
}

TEST_F(TrainerTest, NonFiniteLossesStopTheRunOnlyWhenAsked) {
  Dataset train = clusters(30, 4, /*poisoned=*/0);
  TrainOptions options;
  options.epochs = 1;
  options.batchSize = 10;
  options.shuffle = false; // the NaN row is in the first batch
  std::string error;
  auto tolerant = Trainer::create(lib->api(), *model, train, nullptr, options, error);
  ASSERT_TRUE(tolerant) << error;
  Recorder seen;
  TrainResult result;
  ASSERT_TRUE(tolerant->run(newSession(), seen, result, error)) << error;
  EXPECT_EQ(seen.nonFinite, 1); // reported once, though NaN spreads to every later step
  EXPECT_EQ(result.step, 3);

  options.stopOnNonFinite = true;
  auto strict = Trainer::create(lib->api(), *model, train, nullptr, options, error);
  ASSERT_TRUE(strict) << error;
  Recorder stopped;
  EXPECT_FALSE(strict->run(newSession(), stopped, result, error));
  EXPECT_TRUE(result.stoppedOnNonFinite);
  EXPECT_EQ(error, "the loss is NaN at step 1 (epoch 1, batch 1)");
  EXPECT_EQ(stopped.interruptions, 1);
  EXPECT_TRUE(stopped.epochs.empty());
}

TEST_F(TrainerTest, TheObserverCanStopTheRunAfterAnEpoch) {
  Dataset train = clusters(40, 5);
  TrainOptions options;
  options.epochs = 4;
  options.batchSize = 20;
  std::string error;
  auto trainer = Trainer::create(lib->api(), *model, train, nullptr, options, error);
  ASSERT_TRUE(trainer) << error;
  dnn_session *session = newSession();
  Recorder seen;
  seen.stopAfterEpochs = 1;
  TrainResult result;
  EXPECT_FALSE(trainer->run(session, seen, result, error));
  EXPECT_EQ(error, "stopped by the observer");
  EXPECT_EQ(lib->api().session_step(session), 2);
}

TEST_F(TrainerTest, RejectsBadOptionsAndDatasetsThatDoNotFit) {
  Dataset train = clusters(10, 6);
  std::string error;
  TrainOptions zeroEpochs;
  zeroEpochs.epochs = 0;
  EXPECT_FALSE(Trainer::create(lib->api(), *model, train, nullptr, zeroEpochs, error));
  EXPECT_EQ(error, "epochs must be at least 1, got 0");
  EXPECT_EQ(error, zeroEpochs.validate());

  TrainOptions badRate;
  badRate.learningRate = -1;
  EXPECT_FALSE(Trainer::create(lib->api(), *model, train, nullptr, badRate, error));
  EXPECT_EQ(error, "the learning rate must be a positive number, got -1");
  // Errors name the options as the app calls them.
  badRate.learningRateName = "--lr";
  EXPECT_EQ(badRate.validate(), "--lr must be a positive number, got -1");
  TrainOptions fine;
  EXPECT_EQ(fine.validate(), "");

  // No "species" column: the label input has nothing to read.
  Dataset unlabeled = train;
  unlabeled.columns.pop_back();
  TrainOptions options;
  options.trainDataName = "the training set";
  EXPECT_FALSE(Trainer::create(lib->api(), *model, unlabeled, nullptr, options, error));
  EXPECT_EQ(error.rfind("the training set: ", 0), 0u) << error;
  EXPECT_NE(error.find("species"), std::string::npos) << error;

  // The learning rate given replaces the model's.
  options.learningRate = 0.25;
  auto trainer = Trainer::create(lib->api(), *model, train, nullptr, options, error);
  ASSERT_TRUE(trainer) << error;
  dnn_session *session = newSession();
  TrainPlan plan;
  ASSERT_TRUE(trainer->prepare(session, plan, error)) << error;
  EXPECT_EQ(lib->api().session_learning_rate(session), 0.25);
  EXPECT_EQ(plan.total, 1);
}
