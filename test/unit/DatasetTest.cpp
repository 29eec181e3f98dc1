//===- DatasetTest.cpp - dnn-run's datasets, binding, order and batches ---===//
//
// tools/lib/Training (Dataset.h and its readers) and tools/dnn-run/Plot.{h,cpp}: CSV (string and numeric
// labels), .npy columns (read through the runtime's dnn_npy_read, as dnn-run
// does), MNIST IDX files (tiny synthetic ones written here), binding columns
// to the inputs of an entry point with reshapes and errors, the per-epoch
// order, batches and the SVG plot.
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"
#include "Plot.h"

#include "dnn/runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace dnn;

namespace {

/// The runtime functions the dataset code uses, from the linked dnnrt.
RuntimeApi runtimeApi() {
  RuntimeApi api;
  api.status_name = dnn_status_name;
  api.last_error = dnn_last_error;
  api.npy_read = dnn_npy_read;
  api.npy_write = dnn_npy_write;
  api.tensor_free = dnn_tensor_free;
  return api;
}

template <typename T> std::vector<T> values(const Column &column) {
  std::vector<T> v(column.data.size() / sizeof(T));
  std::memcpy(v.data(), column.data.data(), column.data.size());
  return v;
}

::testing::AssertionResult contains(const std::string &text, const std::string &part) {
  if (text.find(part) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "'\ndoes not contain\n'" << part << "'";
}

/// A fresh temporary directory per test, removed afterwards.
class DatasetTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "dnn-dataset-XXXXXX";
    ASSERT_NE(::mkdtemp(&pattern[0]), nullptr);
    dir = pattern;
  }
  void TearDown() override {
    std::string command = "rm -rf '" + dir + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }

  std::string file(const std::string &name, const std::string &bytes) {
    std::string path = dir + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  std::string npy(const std::string &name, int32_t dtype, std::vector<int64_t> dims,
                  const void *data) {
    std::string path = dir + "/" + name;
    dnn_tensor t{};
    t.dtype = dtype;
    t.rank = (int32_t)dims.size();
    for (size_t i = 0; i < dims.size(); ++i)
      t.dims[i] = dims[i];
    t.data = const_cast<void *>(data);
    EXPECT_EQ(dnn_npy_write(path.c_str(), &t), DNN_OK) << dnn_last_error();
    return path;
  }

  /// An IDX file of unsigned bytes: magic 0x0000080<rank>, big-endian dims.
  static std::string idx(std::vector<uint32_t> dims, const std::vector<uint8_t> &data) {
    std::string s = {0, 0, 8, (char)dims.size()};
    for (uint32_t d : dims)
      s += {(char)(d >> 24), (char)(d >> 16), (char)(d >> 8), (char)d};
    s.append(data.begin(), data.end());
    return s;
  }

  /// MNIST-named IDX files of `n` images of 2x3 pixels (value 10*i + p) and
  /// labels i % 10, in `sub` (the train and the test split).
  std::string writeMnist(const std::string &sub, uint32_t nTrain, uint32_t nTest) {
    std::string d = dir + "/" + sub;
    ::mkdir(d.c_str(), 0755);
    for (auto [prefix, n] : {std::pair<const char *, uint32_t>{"train", nTrain}, {"t10k", nTest}}) {
      std::vector<uint8_t> pixels, labels;
      for (uint32_t i = 0; i < n; ++i) {
        for (int p = 0; p < 6; ++p)
          pixels.push_back(
              (uint8_t)(10 * i + p + (prefix[0] == 't' && prefix[1] == '1' ? 100 : 0)));
        labels.push_back((uint8_t)(i % 10));
      }
      file(sub + "/" + prefix + "-images-idx3-ubyte", idx({n, 2, 3}, pixels));
      file(sub + "/" + prefix + "-labels-idx1-ubyte", idx({n}, labels));
    }
    return d;
  }

  std::string dir;
  RuntimeApi api = runtimeApi();
};

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

TEST_F(DatasetTest, CsvStringLabelsNumberedByFirstAppearance) {
  Dataset data;
  std::string error;
  ASSERT_TRUE(parseCsv("a,b,species\n"
                       "1,2,virginica\n"
                       "3.5,-4e-1,setosa\n"
                       "+5,6,virginica\n"
                       "7,8,versicolor\n",
                       "t.csv", "", {}, data, error))
      << error;
  EXPECT_EQ(data.format, DataFormat::Csv);
  EXPECT_EQ(data.rows, 4);
  ASSERT_EQ(data.columns.size(), 2u);
  const Column &features = data.columns[0], &labels = data.columns[1];
  EXPECT_EQ(features.name, "features");
  EXPECT_EQ(features.dtype, DNN_DTYPE_F32);
  EXPECT_EQ(features.shape, std::vector<int64_t>({2}));
  EXPECT_EQ(values<float>(features), std::vector<float>({1, 2, 3.5f, -0.4f, 5, 6, 7, 8}));
  EXPECT_EQ(labels.name, "labels");
  EXPECT_EQ(labels.dtype, DNN_DTYPE_I32);
  EXPECT_TRUE(labels.shape.empty());
  EXPECT_EQ(values<int32_t>(labels), std::vector<int32_t>({0, 1, 0, 2}));
  EXPECT_EQ(data.labelColumn, "species");
  EXPECT_EQ(data.labelNames, std::vector<std::string>({"virginica", "setosa", "versicolor"}));
}

TEST_F(DatasetTest, CsvKnownLabelsKeepTheirNumbers) {
  // A held-out set numbers its strings as the training set did.
  LoadOptions options;
  options.knownLabels = {"setosa", "versicolor", "virginica"};
  Dataset data;
  std::string error;
  ASSERT_TRUE(parseCsv("x,y\n1,virginica\n2,other\n3,setosa\n", "t.csv", "", options, data, error))
      << error;
  EXPECT_EQ(values<int32_t>(data.columns[1]), std::vector<int32_t>({2, 3, 0}));
  EXPECT_EQ(data.labelNames,
            std::vector<std::string>({"setosa", "versicolor", "virginica", "other"}));
}

TEST_F(DatasetTest, CsvNumericLabelColumnChosenByName) {
  Dataset data;
  std::string error;
  ASSERT_TRUE(parseCsv("\xEF\xBB\xBF"
                       "class, f1 ,\"f 2\"\r\n"
                       "2, 0.5, \"1.5\"\r\n"
                       "\r\n"
                       "0,1,2\r\n",
                       "t.csv", "class", {}, data, error))
      << error;
  EXPECT_EQ(data.rows, 2);
  EXPECT_EQ(data.labelColumn, "class");
  EXPECT_TRUE(data.labelNames.empty());
  EXPECT_EQ(values<float>(data.columns[0]), std::vector<float>({0.5f, 1.5f, 1, 2}));
  EXPECT_EQ(values<int32_t>(data.columns[1]), std::vector<int32_t>({2, 0}));
}

TEST_F(DatasetTest, CsvErrors) {
  auto error = [](const std::string &text, const std::string &label = "") {
    Dataset data;
    std::string message;
    EXPECT_FALSE(parseCsv(text, "t.csv", label, {}, data, message)) << text;
    return message;
  };
  EXPECT_TRUE(contains(error(""), "'t.csv' is empty"));
  EXPECT_TRUE(contains(error("a,b\n"), "'t.csv' has a header but no data rows"));
  EXPECT_TRUE(contains(error("a\n1\n"), "has 1 column; expected feature columns and a label"));
  EXPECT_TRUE(
      contains(error("a,b,c\n1,2,3\n4,5\n"), "'t.csv' line 3: 2 fields, but the header has 3"));
  EXPECT_TRUE(contains(error("a,b,c\n1,x,3\n"),
                       "'t.csv' line 2, column 'b': 'x' is not a finite number; only the label "
                       "column ('c', choose another with FILE.csv:label=COLUMN) may hold "
                       "strings"));
  EXPECT_TRUE(contains(error("a,b,c\n1,,3\n"), "column 'b': empty value"));
  EXPECT_TRUE(contains(error("a,b,c\n1,nan,3\n"), "'nan' is not a finite number"));
  EXPECT_TRUE(contains(error("a,b\n1,2\n", "z"), "'t.csv' has no column 'z' (columns: a, b)"));
  EXPECT_TRUE(contains(error("a,b\n1,2.5\n"), "label '2.5' is not an integer in [0, 2^31)"));
  EXPECT_TRUE(contains(error("a,b\n1,-1\n"), "label '-1' is not an integer"));
  EXPECT_TRUE(contains(error("a,a\n1,2\n"), "column 'a' appears twice"));
  EXPECT_TRUE(contains(error("a,\n1,2\n"), "column 2 of the header has no name"));
  EXPECT_TRUE(contains(error("a,b\n1,\"x\n"), "'t.csv' line 2: unterminated quoted field"));
  EXPECT_TRUE(contains(error("a,b\n1,x\n2,\n"), "'t.csv' line 3, column 'b': empty label"));
}

TEST_F(DatasetTest, CsvFileSpecs) {
  std::string path = file("iris.csv", "a,b,kind\n1,2,x\n3,4,y\n");
  Dataset data;
  std::string error;
  ASSERT_TRUE(loadDataset(path, api, {}, data, error)) << error;
  EXPECT_EQ(data.rows, 2);
  EXPECT_EQ(data.labelColumn, "kind");
  // With another label column, the strings of "kind" are an error.
  EXPECT_FALSE(loadDataset(path + ":label=a", api, {}, data, error));
  EXPECT_TRUE(contains(error, "column 'kind': 'x' is not a finite number; only the label column "
                              "('a', choose another"));
  std::string numbers = file("n.csv", "a,b,c\n1,2,3\n4,5,6\n");
  ASSERT_TRUE(loadDataset(numbers + ":label=a", api, {}, data, error)) << error;
  EXPECT_EQ(data.labelColumn, "a");
  EXPECT_EQ(values<int32_t>(data.columns[1]), std::vector<int32_t>({1, 4}));
  EXPECT_EQ(values<float>(data.columns[0]), std::vector<float>({2, 3, 5, 6}));

  EXPECT_FALSE(loadDataset(path + ":label=", api, {}, data, error));
  EXPECT_TRUE(contains(error, "':label=' needs a column name"));
  EXPECT_FALSE(loadDataset(dir + "/missing.csv", api, {}, data, error));
  EXPECT_TRUE(contains(error, "missing.csv': no such file"));
}

//===----------------------------------------------------------------------===//
// .npy columns
//===----------------------------------------------------------------------===//

TEST_F(DatasetTest, NpyColumns) {
  float x[3][2] = {{1, 2}, {3, 4}, {5, 6}};
  int32_t y[3] = {7, 8, 9};
  std::string xs = npy("x.npy", DNN_DTYPE_F32, {3, 2}, x);
  std::string ys = npy("y.npy", DNN_DTYPE_I32, {3}, y);
  Dataset data;
  std::string error;
  ASSERT_TRUE(loadDataset("x=" + xs + ",labels=" + ys, api, {}, data, error)) << error;
  EXPECT_EQ(data.format, DataFormat::Npy);
  EXPECT_EQ(data.rows, 3);
  ASSERT_EQ(data.columns.size(), 2u);
  EXPECT_EQ(data.columns[0].name, "x");
  EXPECT_EQ(data.columns[0].shape, std::vector<int64_t>({2}));
  EXPECT_EQ(values<float>(data.columns[0]), std::vector<float>({1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(data.columns[1].name, "labels");
  EXPECT_EQ(data.columns[1].dtype, DNN_DTYPE_I32);
  EXPECT_TRUE(data.columns[1].shape.empty());
  EXPECT_EQ(values<int32_t>(data.columns[1]), std::vector<int32_t>({7, 8, 9}));
}

TEST_F(DatasetTest, NpyColumnErrors) {
  float x[3][2] = {};
  float scalar = 1;
  std::string xs = npy("x.npy", DNN_DTYPE_F32, {3, 2}, x);
  std::string x2 = npy("x2.npy", DNN_DTYPE_F32, {2, 2}, x);
  std::string s = npy("s.npy", DNN_DTYPE_F32, {}, &scalar);
  auto error = [&](const std::string &spec) {
    Dataset data;
    std::string message;
    EXPECT_FALSE(loadDataset(spec, api, {}, data, message)) << spec;
    return message;
  };
  EXPECT_TRUE(contains(error("x=" + xs + ",y=" + x2),
                       "column 'y' ('" + x2 + "') has 2 rows but column 'x' has 3"));
  EXPECT_TRUE(contains(error("x=" + xs + ",x=" + xs), "column 'x' given twice"));
  EXPECT_TRUE(contains(error("x=" + xs + ",oops"), "'oops' is not NAME=FILE.npy"));
  EXPECT_TRUE(contains(error("=" + xs), "is not NAME=FILE.npy"));
  EXPECT_TRUE(contains(error("s=" + s), "holds a scalar; column 's' needs a first dimension"));
  EXPECT_TRUE(contains(error("x=" + dir + "/none.npy"), "none.npy': cannot open"));
  EXPECT_TRUE(contains(error(xs), "a .npy file needs the name of its column, as NAME=" + xs));
  EXPECT_TRUE(contains(error(dir + "/nothing"), "no such file or directory; expected "));
  EXPECT_TRUE(contains(error(""), "empty data spec"));
  EXPECT_TRUE(contains(error(dir + "/x.npy:label=a"), "':label=' applies to .csv files only"));
}

//===----------------------------------------------------------------------===//
// MNIST IDX files
//===----------------------------------------------------------------------===//

TEST_F(DatasetTest, IdxParsing) {
  IdxArray array;
  std::string error;
  std::string path = file("images", idx({2, 2, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  ASSERT_TRUE(readIdx(path, 3, array, error)) << error;
  EXPECT_EQ(array.dims, std::vector<int64_t>({2, 2, 3}));
  EXPECT_EQ(array.data.size(), 12u);
  EXPECT_EQ(array.data[11], 11);

  // Labels where images are expected, and the other way around.
  std::string labels = file("labels", idx({3}, {1, 2, 3}));
  EXPECT_FALSE(readIdx(labels, 3, array, error));
  EXPECT_TRUE(contains(error, "magic number 0x00000801 is an IDX file of 1 dimensions; expected "
                              "0x00000803 (images, 3 dimensions)"));
  EXPECT_FALSE(readIdx(path, 1, array, error));
  EXPECT_TRUE(contains(error, "expected 0x00000801 (labels, 1 dimension)"));

  std::string bytes = idx({3}, {1, 2, 3});
  EXPECT_FALSE(readIdx(file("short", bytes.substr(0, bytes.size() - 1)), 1, array, error));
  EXPECT_TRUE(contains(error, "truncated data: dimensions [3] need 3 bytes after the header, "
                              "the file has 2"));
  EXPECT_FALSE(readIdx(file("long", bytes + "x"), 1, array, error));
  EXPECT_TRUE(contains(error, "trailing data"));
  EXPECT_FALSE(readIdx(file("header", bytes.substr(0, 6)), 1, array, error));
  EXPECT_TRUE(contains(error, "truncated IDX header"));
  EXPECT_FALSE(readIdx(file("text", "hello world"), 1, array, error));
  EXPECT_TRUE(contains(error, "not an IDX file (magic number 0x68656c6c, expected 0x00000801"));
  EXPECT_FALSE(readIdx(file("gz", "\x1f\x8b\x08\x00"), 1, array, error));
  EXPECT_TRUE(contains(error, "is gzip-compressed; decompress it with gunzip"));
  std::string floats = idx({1}, {0, 0, 0, 0});
  floats[2] = 0x0d;
  EXPECT_FALSE(readIdx(file("floats", floats), 1, array, error));
  EXPECT_TRUE(contains(error, "IDX data type 0x0d is not supported; expected unsigned bytes"));
  EXPECT_FALSE(readIdx(dir + "/none", 1, array, error));
  EXPECT_TRUE(contains(error, "none': no such file"));
}

TEST_F(DatasetTest, MnistSplitsAndSpecs) {
  std::string mnist = writeMnist("m", 12, 3);
  Dataset data;
  std::string error;
  ASSERT_TRUE(loadDataset(mnist, api, {}, data, error)) << error;
  EXPECT_EQ(data.format, DataFormat::Mnist);
  EXPECT_EQ(data.rows, 12);
  ASSERT_EQ(data.columns.size(), 2u);
  EXPECT_EQ(data.columns[0].name, "images");
  EXPECT_EQ(data.columns[0].shape, std::vector<int64_t>({2, 3}));
  std::vector<float> pixels = values<float>(data.columns[0]);
  ASSERT_EQ(pixels.size(), 72u);
  EXPECT_FLOAT_EQ(pixels[0], 0.0f);
  EXPECT_FLOAT_EQ(pixels[6 * 11 + 5], 115 / 255.0f);
  EXPECT_EQ(data.columns[1].name, "labels");
  EXPECT_EQ(values<int32_t>(data.columns[1])[11], 1);
  EXPECT_TRUE(contains(data.source, "MNIST train"));

  LoadOptions test;
  test.split = Split::Test;
  ASSERT_TRUE(loadDataset("mnist:" + mnist, api, test, data, error)) << error;
  EXPECT_EQ(data.rows, 3);
  EXPECT_FLOAT_EQ(values<float>(data.columns[0])[0], 100 / 255.0f);
  EXPECT_TRUE(contains(data.source, "MNIST test"));

  // "mnist" alone: the default folder, under DNNC_DATA_DIR.
  ::setenv("DNNC_DATA_DIR", dir.c_str(), 1);
  EXPECT_EQ(defaultMnistDir(), dir + "/mnist");
  EXPECT_FALSE(loadDataset("mnist", api, {}, data, error));
  EXPECT_TRUE(contains(error, "MNIST is missing: no directory '" + dir +
                                  "/mnist'; run "
                                  "scripts/fetch-mnist.sh (or scripts/setup.sh) to download MNIST "
                                  "to " +
                                  dir + "/mnist"));
  writeMnist("mnist", 4, 2);
  EXPECT_TRUE(loadDataset("mnist", api, {}, data, error)) << error;
  EXPECT_EQ(data.rows, 4);
  ::unsetenv("DNNC_DATA_DIR");
}

TEST_F(DatasetTest, MnistErrors) {
  std::string mnist = writeMnist("m", 4, 2);
  Dataset data;
  std::string error;
  std::remove((mnist + "/train-labels-idx1-ubyte").c_str());
  EXPECT_FALSE(loadMnist(mnist, Split::Train, data, error));
  EXPECT_TRUE(contains(error, "MNIST is missing: no file '" + mnist +
                                  "/train-labels-idx1-ubyte'; run scripts/fetch-mnist.sh"));
  file("m/train-labels-idx1-ubyte.gz", "\x1f\x8b");
  EXPECT_FALSE(loadMnist(mnist, Split::Train, data, error));
  EXPECT_TRUE(contains(error, "is compressed: found '" + mnist +
                                  "/train-labels-idx1-ubyte.gz' but not "
                                  "'train-labels-idx1-ubyte'; gunzip it"));
  file("m/train-labels-idx1-ubyte", idx({3}, {1, 2, 3}));
  EXPECT_FALSE(loadMnist(mnist, Split::Train, data, error));
  EXPECT_TRUE(contains(error, "has 4 images but '" + mnist +
                                  "/train-labels-idx1-ubyte' has 3 "
                                  "labels"));
  file("m/train-labels-idx1-ubyte", idx({4}, {1, 2, 10, 3}));
  EXPECT_FALSE(loadMnist(mnist, Split::Train, data, error));
  EXPECT_TRUE(contains(error, "label 10 of sample 2 is not a digit 0..9"));
}

//===----------------------------------------------------------------------===//
// Binding columns to the inputs of an entry point
//===----------------------------------------------------------------------===//

/// A model descriptor built in the test: inputs given as (name, dtype, dims)
/// with -1 for the symbol "N", one entry taking all of them.
struct FakeModel {
  struct Input {
    std::string name;
    int32_t dtype;
    std::vector<int64_t> dims;
  };
  explicit FakeModel(std::vector<Input> spec) : spec(std::move(spec)) {
    for (const Input &in : this->spec) {
      std::vector<dnn_dim_info> d;
      for (int64_t size : in.dims)
        d.push_back(size < 0 ? dnn_dim_info{-1, "N"} : dnn_dim_info{size, nullptr});
      dims.push_back(std::move(d));
    }
    for (size_t i = 0; i < this->spec.size(); ++i) {
      infos.push_back({this->spec[i].name.c_str(), this->spec[i].dtype, (int32_t)dims[i].size(),
                       dims[i].data()});
      indices.push_back((int32_t)i);
    }
    entry = {
        "train_step", DNN_ENTRY_TRAIN_STEP, nullptr, nullptr, (int32_t)indices.size(), indices.data(), 0,
        nullptr};
    model = {};
    model.name = "m";
    model.num_inputs = (int32_t)infos.size();
    model.inputs = infos.data();
    model.num_entries = 1;
    model.entries = &entry;
    model.loss = -1;
  }
  std::vector<Input> spec;
  std::vector<std::vector<dnn_dim_info>> dims;
  std::vector<dnn_tensor_info> infos;
  std::vector<int32_t> indices;
  dnn_entry_info entry;
  dnn_model_info model;
};

TEST_F(DatasetTest, BindMnistReshapesToTheInput) {
  std::string mnist = writeMnist("m", 5, 1);
  Dataset data;
  std::string error;
  ASSERT_TRUE(loadMnist(mnist, Split::Train, data, error)) << error;

  for (std::vector<int64_t> dims : {std::vector<int64_t>{-1, 1, 2, 3}, {-1, 6}, {-1, 2, 3}}) {
    FakeModel m({{"labels", DNN_DTYPE_I32, {-1}}, {"x", DNN_DTYPE_F32, dims}});
    std::vector<InputBinding> bindings;
    ASSERT_TRUE(bindDataset(data, m.model, m.entry, bindings, error)) << error;
    ASSERT_EQ(bindings.size(), 2u);
    EXPECT_STREQ(bindings[0].name, "labels");
    EXPECT_EQ(data.columns[bindings[0].column].name, "labels");
    EXPECT_TRUE(bindings[0].sampleDims.empty());
    EXPECT_STREQ(bindings[1].name, "x");
    EXPECT_EQ(data.columns[bindings[1].column].name, "images");
    EXPECT_EQ(bindings[1].sampleDims, std::vector<int64_t>(dims.begin() + 1, dims.end()));
  }

  // An entry without an i32 input takes only the images.
  FakeModel autoencoder({{"x", DNN_DTYPE_F32, {-1, 6}}});
  std::vector<InputBinding> bindings;
  ASSERT_TRUE(bindDataset(data, autoencoder.model, autoencoder.entry, bindings, error)) << error;
  EXPECT_EQ(bindings.size(), 1u);
}

TEST_F(DatasetTest, BindErrors) {
  std::string mnist = writeMnist("m", 5, 1);
  Dataset data;
  std::string error;
  ASSERT_TRUE(loadMnist(mnist, Split::Train, data, error)) << error;
  auto bindError = [&](std::vector<FakeModel::Input> inputs) {
    FakeModel m(std::move(inputs));
    std::vector<InputBinding> bindings;
    EXPECT_FALSE(bindDataset(data, m.model, m.entry, bindings, error));
    return error;
  };
  EXPECT_TRUE(contains(bindError({{"x", DNN_DTYPE_F32, {-1, 7}}}),
                       "input x: f32[N, 7] of model 'm' takes samples of shape [7] (7 values) "
                       "but column 'images' of MNIST train (" +
                           mnist + ") has samples of shape [2, 3] (6 values)"));
  EXPECT_TRUE(contains(bindError({{"x", DNN_DTYPE_F32, {-1, 6}}, {"y", DNN_DTYPE_F32, {-1, 1}}}),
                       "entry 'train_step' of model 'm' has 2 f32 inputs (x, y), so the f32 "
                       "column 'images' of MNIST data is ambiguous; give NAME=FILE.npy columns"));
  EXPECT_TRUE(contains(
      bindError(
          {{"x", DNN_DTYPE_F32, {-1, 6}}, {"a", DNN_DTYPE_I32, {-1}}, {"b", DNN_DTYPE_I32, {-1}}}),
      "has 2 i32 inputs (a, b)"));
  EXPECT_TRUE(contains(bindError({{"x", DNN_DTYPE_F32, {5, 6}}}),
                       "input x: f32[5, 6] of model 'm' has a static batch dimension 5"));
  EXPECT_TRUE(contains(bindError({{"x", DNN_DTYPE_F32, {}}}), "is a scalar"));
  EXPECT_TRUE(
      contains(bindError({{"x", DNN_DTYPE_F64, {-1, 6}}}), "cannot be fed from MNIST data"));

  // .npy columns: by name.
  float x[2][3] = {};
  int32_t y[2] = {};
  std::string xs = npy("x.npy", DNN_DTYPE_F32, {2, 3}, x);
  std::string ys = npy("y.npy", DNN_DTYPE_I32, {2}, y);
  ASSERT_TRUE(loadDataset("x=" + xs + ",labels=" + ys, api, {}, data, error)) << error;
  EXPECT_TRUE(contains(bindError({{"x", DNN_DTYPE_F32, {-1, 3}}}),
                       "data column 'labels' is not an input of model 'm' (inputs: x)"));
  EXPECT_TRUE(contains(bindError({{"x", DNN_DTYPE_F32, {-1, 3}},
                                  {"labels", DNN_DTYPE_I32, {-1}},
                                  {"w", DNN_DTYPE_F32, {-1}}}),
                       "no data for input 'w' of entry 'train_step' of model 'm' (inputs: x, "
                       "labels, w; data columns from"));
  EXPECT_TRUE(contains(bindError({{"x", DNN_DTYPE_I32, {-1, 3}}, {"labels", DNN_DTYPE_I32, {-1}}}),
                       "input x: i32[N, 3] of model 'm' takes i32 but column 'x' of"));
  EXPECT_TRUE(contains(bindError({{"x", DNN_DTYPE_F32, {-1, 2}}, {"labels", DNN_DTYPE_I32, {-1}}}),
                       "takes samples of shape [2] (2 values) but column 'x' of"));

  // Symbolic per-sample dims take the column's shape as it is.
  FakeModel m({{"x", DNN_DTYPE_F32, {-1, -1}}, {"labels", DNN_DTYPE_I32, {-1}}});
  std::vector<InputBinding> bindings;
  ASSERT_TRUE(bindDataset(data, m.model, m.entry, bindings, error)) << error;
  EXPECT_EQ(bindings[0].sampleDims, std::vector<int64_t>({3}));
}

//===----------------------------------------------------------------------===//
// Epoch order and batches
//===----------------------------------------------------------------------===//

TEST(EpochOrderTest, DependsOnlyOnSeedAndEpoch) {
  std::vector<int64_t> a = epochOrder(1000, 5, 2);
  EXPECT_EQ(a, epochOrder(1000, 5, 2));
  EXPECT_NE(a, epochOrder(1000, 5, 3));
  EXPECT_NE(a, epochOrder(1000, 6, 2));
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 1000u);
  EXPECT_EQ(*std::min_element(a.begin(), a.end()), 0);
  EXPECT_EQ(*std::max_element(a.begin(), a.end()), 999);

  std::vector<int64_t> identity = epochOrder(5, 5, 2, /*shuffle=*/false);
  EXPECT_EQ(identity, std::vector<int64_t>({0, 1, 2, 3, 4}));
  EXPECT_TRUE(epochOrder(0, 1, 0).empty());
  EXPECT_EQ(epochOrder(1, 1, 0), std::vector<int64_t>({0}));
}

TEST(EpochOrderTest, KnownAnswers) {
  // From an independent Python implementation of the generator documented
  // in Dataset.h (SplitMix64, Lemire, Fisher-Yates).
  EXPECT_EQ(epochOrder(10, 0, 0), std::vector<int64_t>({1, 4, 5, 0, 7, 6, 9, 8, 2, 3}));
  EXPECT_EQ(epochOrder(10, 0, 1), std::vector<int64_t>({7, 2, 6, 8, 0, 1, 5, 9, 3, 4}));
  EXPECT_EQ(epochOrder(10, 42, 0), std::vector<int64_t>({5, 1, 4, 8, 6, 3, 9, 2, 0, 7}));
  EXPECT_EQ(epochOrder(12, 7, 3), std::vector<int64_t>({2, 7, 1, 5, 8, 6, 10, 11, 3, 0, 9, 4}));
}

TEST_F(DatasetTest, BatchesWithASmallerLastBatch) {
  EXPECT_EQ(numBatches(10, 4), 3);
  EXPECT_EQ(numBatches(8, 4), 2);
  EXPECT_EQ(numBatches(3, 4), 1);
  EXPECT_EQ(numBatches(0, 4), 0);

  Dataset data;
  std::string error;
  std::string csv = "a,b,c,label\n";
  for (int i = 0; i < 10; ++i)
    csv += std::to_string(i) + "," + std::to_string(10 * i) + "," + std::to_string(100 * i) + "," +
           std::to_string(i % 3) + "\n";
  ASSERT_TRUE(parseCsv(csv, "t.csv", "", {}, data, error)) << error;
  FakeModel m({{"x", DNN_DTYPE_F32, {-1, 3, 1}}, {"y", DNN_DTYPE_I32, {-1}}});
  std::vector<InputBinding> bindings;
  ASSERT_TRUE(bindDataset(data, m.model, m.entry, bindings, error)) << error;

  std::vector<int64_t> order = epochOrder(data.rows, 9, 0);
  Batch batch;
  std::vector<int64_t> seen;
  for (int64_t b = 0; b < numBatches(data.rows, 4); ++b) {
    int64_t begin = b * 4, count = std::min<int64_t>(4, data.rows - begin);
    gatherBatch(data, bindings, order.data() + begin, count, batch);
    EXPECT_EQ(batch.size, b == 2 ? 2 : 4);
    ASSERT_EQ(batch.tensors.size(), 2u);
    const dnn_tensor &x = batch.tensors[0], &y = batch.tensors[1];
    EXPECT_STREQ(x.name, "x");
    EXPECT_EQ(x.dtype, DNN_DTYPE_F32);
    EXPECT_EQ(x.rank, 3);
    EXPECT_EQ(x.dims[0], count);
    EXPECT_EQ(x.dims[1], 3);
    EXPECT_EQ(x.dims[2], 1);
    EXPECT_STREQ(y.name, "y");
    EXPECT_EQ(y.rank, 1);
    EXPECT_EQ(y.dims[0], count);
    for (int64_t i = 0; i < count; ++i) {
      int64_t row = order[begin + i];
      const float *xs = static_cast<const float *>(x.data) + 3 * i;
      EXPECT_EQ(xs[0], (float)row);
      EXPECT_EQ(xs[1], 10.0f * row);
      EXPECT_EQ(xs[2], 100.0f * row);
      EXPECT_EQ(static_cast<const int32_t *>(y.data)[i], row % 3);
      seen.push_back(row);
    }
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, epochOrder(10, 0, 0, false));
}

//===----------------------------------------------------------------------===//
// The SVG plot
//===----------------------------------------------------------------------===//

TEST(PlotTest, NiceTicks) {
  double lo = 0, hi = 2.3;
  std::vector<double> ticks = niceTicks(lo, hi, 6);
  EXPECT_EQ(lo, 0);
  EXPECT_DOUBLE_EQ(hi, 2.5);
  ASSERT_EQ(ticks.size(), 6u);
  EXPECT_DOUBLE_EQ(ticks[1], 0.5);
  lo = 1, hi = 937;
  ticks = niceTicks(lo, hi, 8);
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 1000);
  EXPECT_EQ(ticks, std::vector<double>({0, 200, 400, 600, 800, 1000}));
  lo = hi = 3; // a single value still gets an axis
  ticks = niceTicks(lo, hi, 5);
  EXPECT_LT(lo, 3);
  EXPECT_GT(hi, 3);
}

TEST(PlotTest, RendersSeriesLegendAndAxes) {
  Plot plot;
  plot.title = "loss of <m> & co";
  plot.xLabel = "step";
  plot.yLabel = "loss";
  plot.series.push_back({"train", PlotSeries::Line, "#1f77b4", 1, {{1, 2.3}, {2, 1.5}, {3, 0.9}}});
  plot.series.push_back({"test", PlotSeries::Markers, "#ff7f0e", 1, {{3, 1.1}}});
  plot.guides = {2};
  std::string svg = renderSvg(plot);
  EXPECT_TRUE(contains(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(contains(svg, "loss of &lt;m&gt; &amp; co"));
  EXPECT_TRUE(contains(svg, "<polyline"));
  EXPECT_TRUE(contains(svg, "<circle"));
  EXPECT_TRUE(contains(svg, ">train</text>"));
  EXPECT_TRUE(contains(svg, ">test</text>"));
  EXPECT_TRUE(contains(svg, ">step</text>"));
  EXPECT_TRUE(contains(svg, "stroke-dasharray"));
  EXPECT_TRUE(contains(svg, "</svg>"));
  EXPECT_FALSE(contains(svg, "log scale"));

  // Three decades: a log scale.
  plot.series[0].points = {{1, 2.0}, {2, 0.1}, {3, 0.001}};
  EXPECT_TRUE(contains(renderSvg(plot), "loss (log scale)"));
  // No finite points: axes and "no data".
  plot.series.clear();
  EXPECT_TRUE(contains(renderSvg(plot), "no data"));
}

} // namespace
