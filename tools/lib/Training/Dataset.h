//===- Dataset.h - In-memory datasets for training and evaluation -*- C++ -*-===//
//
// What `dnn-run train` and `dnn-run eval` feed to a model: a table of named
// columns held in memory, each with a dtype (f32 or i32), a per-sample shape
// and the samples' bytes, dense and row-major, one row per sample.
//
// Datasets come from a SPEC string (loadDataset):
//
//   x=a.npy,labels=b.npy   one column per .npy file, named before '='; the
//                          first dimension counts the rows (all equal)
//   FILE.csv[:label=COL]   a header row, then numbers: every numeric column
//                          but the label one goes into f32 column "features"
//                          [rows, F]; the label column (default: the last)
//                          into i32 column "labels", strings numbered 0..K-1
//                          in order of first appearance (Dataset::labelNames)
//   DIR | mnist[:DIR]      the four MNIST IDX files (uncompressed) in DIR;
//                          "mnist" alone is defaultMnistDir(). f32 column
//                          "images" [rows, 28, 28] in [0, 1] and i32 column
//                          "labels"; Split::Train reads train-*, Split::Test
//                          t10k-*
//
// bindDataset then assigns columns to the inputs of a model's entry point,
// epochOrder gives each epoch's (optionally shuffled) sample order and
// gatherBatch copies a mini-batch into dnn_tensor structs for the runtime.
//
// Plain C++17 and LLVM Support; .npy files are read with the runtime of the
// loaded model library (RuntimeApi::npy_read), so that its checks and
// messages are the usual ones.
//
//===----------------------------------------------------------------------===//
#ifndef DNN_TOOLS_TRAINING_DATASET_H
#define DNN_TOOLS_TRAINING_DATASET_H

#include "ModelLibrary.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dnn {

/// One named column of a dataset.
struct Column {
  std::string name;
  int32_t dtype = DNN_DTYPE_F32;   /// DNN_DTYPE_F32 or DNN_DTYPE_I32
  std::vector<int64_t> shape;      /// of one sample ({} for a scalar per row)
  std::vector<unsigned char> data; /// rows * sampleBytes(), row-major

  int64_t sampleElements() const;
  size_t sampleBytes() const { return (size_t)sampleElements() * 4; }
};

enum class DataFormat { Npy, Csv, Mnist };

struct Dataset {
  DataFormat format = DataFormat::Npy;
  /// Where it came from, for messages: "iris.csv", "MNIST train (DIR)".
  std::string source;
  int64_t rows = 0;
  std::vector<Column> columns;
  /// CSV: the label column's name, and, when it held strings, the string of
  /// each label value (labelNames[k] became k).
  std::string labelColumn;
  std::vector<std::string> labelNames;

  /// The column called `name`, or null.
  const Column *find(const std::string &name) const;
};

/// Which MNIST files an MNIST spec reads.
enum class Split { Train, Test };

struct LoadOptions {
  Split split = Split::Train;
  /// CSV with string labels: numbers already given to strings (e.g. by the
  /// training set, so that the held-out set agrees); new strings continue
  /// from there.
  std::vector<std::string> knownLabels;
};

/// Loads the dataset that `spec` describes (see the file comment). `api`
/// reads .npy files (only its npy_read, tensor_free, last_error and
/// status_name are used). On failure returns false and sets `error`.
bool loadDataset(const std::string &spec, const RuntimeApi &api, const LoadOptions &options,
                 Dataset &out, std::string &error);

/// The loaders loadDataset dispatches to.
bool loadNpyColumns(const std::string &spec, const RuntimeApi &api, Dataset &out,
                    std::string &error);
bool loadCsvFile(const std::string &path, const std::string &labelColumn,
                 const LoadOptions &options, Dataset &out, std::string &error);
/// CSV from memory; `source` names it in messages. An empty `labelColumn`
/// means the last column.
bool parseCsv(const std::string &text, const std::string &source, const std::string &labelColumn,
              const LoadOptions &options, Dataset &out, std::string &error);
bool loadMnist(const std::string &dir, Split split, Dataset &out, std::string &error);

/// An IDX file of unsigned bytes (type 0x08), as in the MNIST distribution.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};
/// Reads `path`, which must hold `rank` dimensions: 0x00000801 for labels
/// (rank 1), 0x00000803 for images (rank 3). Checks the magic number and that
/// the size agrees with the dimensions.
bool readIdx(const std::string &path, int rank, IdxArray &out, std::string &error);

/// ${DNNC_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dnnc}/mnist, as
/// scripts/mnist-dir.sh prints it.
std::string defaultMnistDir();

/// A column feeding one input of an entry point.
struct InputBinding {
  int32_t input = -1;         /// index into dnn_model_info::inputs
  const char *name = nullptr; /// the input's name (owned by the library)
  int32_t dtype = DNN_DTYPE_F32;
  size_t column = 0;               /// index into Dataset::columns
  std::vector<int64_t> sampleDims; /// the input's dims after the batch dim
};

/// Binds the columns of `data` to every input of `entry`: .npy columns by
/// name; CSV and MNIST columns by dtype (the f32 column to the entry's one
/// f32 input, "labels" to its one i32 input). A column whose per-sample shape
/// has as many elements as the input's static per-sample dims is reshaped to
/// them ([28, 28] feeds [N, 1, 28, 28] or [N, 784]). On failure returns false
/// and sets `error`, naming the input and both shapes.
bool bindDataset(const Dataset &data, const dnn_model_info &model, const dnn_entry_info &entry,
                 std::vector<InputBinding> &out, std::string &error);

/// The order of the samples in epoch `epoch` (0-based): 0..rows-1 when
/// `shuffle` is false, else a permutation that depends only on (seed,
/// epoch), so a run resumed in the middle of an epoch sees the same order.
///
/// The generator, for reimplementation elsewhere: SplitMix64, whose output
/// is mix(state += 0x9e3779b97f4a7c15) with
///   mix(z) = (z ^= z >> 30, z *= 0xbf58476d1ce4e5b9, z ^= z >> 27,
///             z *= 0x94d049bb133111eb, z ^ z >> 31),
/// started at state = mix(seed ^ mix(epoch + 0x9e3779b97f4a7c15)); then a
/// Fisher-Yates shuffle of 0..rows-1: for i from rows-1 down to 1, swap
/// element i with element j, j uniform in [0, i] by Lemire's method (the
/// high 64 bits of next() * (i + 1), with the rejection that makes it exact).
std::vector<int64_t> epochOrder(int64_t rows, uint64_t seed, uint64_t epoch, bool shuffle = true);

/// ceil(rows / batchSize): the last batch holds the remainder.
int64_t numBatches(int64_t rows, int64_t batchSize);

/// One mini-batch: a tensor per bound input, named after it, with dims
/// [count, sampleDims...], its data owned here.
struct Batch {
  std::vector<dnn_tensor> tensors;
  std::vector<std::vector<unsigned char>> storage;
  int64_t size = 0;
};

/// Gathers samples indices[0..count) into `out` (reusing its buffers).
void gatherBatch(const Dataset &data, const std::vector<InputBinding> &bindings,
                 const int64_t *indices, int64_t count, Batch &out);

/// "[28, 28]".
std::string formatDims(const std::vector<int64_t> &dims);

} // namespace dnn

#endif // DNN_TOOLS_TRAINING_DATASET_H
