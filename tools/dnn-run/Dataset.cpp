//===- Dataset.cpp - In-memory datasets for dnn-run train/eval -----------===//

#include "Dataset.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>

using namespace dnn;
using llvm::StringRef;

static std::string quoted(StringRef s) { return "'" + s.str() + "'"; }

static int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

std::string dnn::formatDims(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

int64_t Column::sampleElements() const { return product(shape); }

const Column *Dataset::find(const std::string &name) const {
  for (const Column &column : columns)
    if (column.name == name)
      return &column;
  return nullptr;
}

/// Reads a whole file; a missing file is reported plainly.
static std::unique_ptr<llvm::MemoryBuffer> readFile(const std::string &path, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    std::error_code ec = buffer.getError();
    error = quoted(path) + ": " +
            (ec == std::errc::no_such_file_or_directory ? std::string("no such file")
                                                        : "cannot read: " + ec.message());
    return nullptr;
  }
  return std::move(*buffer);
}

//===----------------------------------------------------------------------===//
// The SPEC string
//===----------------------------------------------------------------------===//

static const char kSpecForms[] =
    "expected NAME=FILE.npy[,NAME=FILE.npy...], FILE.csv[:label=COLUMN], an MNIST directory "
    "or mnist[:DIR]";

bool dnn::loadDataset(const std::string &spec, const RuntimeApi &api, const LoadOptions &options,
                      Dataset &out, std::string &error) {
  out = Dataset();
  StringRef s(spec);
  if (s.empty()) {
    error = std::string("empty data spec; ") + kSpecForms;
    return false;
  }
  if (s == "mnist" || s.starts_with("mnist:")) {
    std::string dir = s.size() > 6 ? s.substr(6).str() : defaultMnistDir();
    return loadMnist(dir, options.split, out, error);
  }

  // FILE.csv, FILE.csv:label=COLUMN.
  StringRef file = s, label;
  size_t labelPos = s.rfind(":label=");
  if (labelPos != StringRef::npos) {
    file = s.substr(0, labelPos);
    label = s.substr(labelPos + 7);
  }
  if (file.ends_with_insensitive(".csv")) {
    if (labelPos != StringRef::npos && label.empty()) {
      error = "bad data spec " + quoted(spec) + ": ':label=' needs a column name";
      return false;
    }
    return loadCsvFile(file.str(), label.str(), options, out, error);
  }
  if (labelPos != StringRef::npos) {
    error = "bad data spec " + quoted(spec) + ": ':label=' applies to .csv files only";
    return false;
  }

  if (s.contains('='))
    return loadNpyColumns(spec, api, out, error);
  if (llvm::sys::fs::is_directory(s))
    return loadMnist(spec, options.split, out, error);
  if (s.ends_with_insensitive(".npy")) {
    error = "bad data spec " + quoted(spec) + ": a .npy file needs the name of its column, as " +
            "NAME=" + spec + " (NAME: an input of the model)";
    return false;
  }
  if (!llvm::sys::fs::exists(s)) {
    error = "bad data spec " + quoted(spec) + ": no such file or directory; " + kSpecForms;
    return false;
  }
  error = "bad data spec " + quoted(spec) + ": " + kSpecForms;
  return false;
}

//===----------------------------------------------------------------------===//
// .npy columns
//===----------------------------------------------------------------------===//

bool dnn::loadNpyColumns(const std::string &spec, const RuntimeApi &api, Dataset &out,
                         std::string &error) {
  out = Dataset();
  out.format = DataFormat::Npy;
  llvm::SmallVector<StringRef, 4> items;
  StringRef(spec).split(items, ',');
  for (StringRef item : items) {
    auto [name, file] = item.split('=');
    name = name.trim();
    file = file.trim();
    if (name.empty() || file.empty() || !item.contains('=')) {
      error = "bad data spec " + quoted(spec) + ": " + quoted(item) + " is not NAME=FILE.npy; " +
              kSpecForms;
      return false;
    }
    if (out.find(name.str())) {
      error = "bad data spec " + quoted(spec) + ": column " + quoted(name) + " given twice";
      return false;
    }
    std::string path = file.str();
    dnn_tensor tensor{};
    dnn_status status = api.npy_read(path.c_str(), &tensor);
    if (status != DNN_OK) {
      const char *message = api.last_error();
      error = message && *message ? message : api.status_name(status);
      return false;
    }
    struct Free {
      const RuntimeApi &api;
      dnn_tensor &t;
      ~Free() { api.tensor_free(&t); }
    } freeTensor{api, tensor};

    if (tensor.rank == 0) {
      error = quoted(path) + " holds a scalar; column " + quoted(name) +
              " needs a first dimension that counts the samples";
      return false;
    }
    Column column;
    column.name = name.str();
    column.dtype = tensor.dtype;
    column.shape.assign(tensor.dims + 1, tensor.dims + tensor.rank);
    int64_t rows = tensor.dims[0];
    const unsigned char *bytes = static_cast<const unsigned char *>(tensor.data);
    column.data.assign(bytes, bytes + rows * column.sampleBytes());
    if (out.columns.empty()) {
      out.rows = rows;
    } else if (rows != out.rows) {
      error = "column " + quoted(name) + " (" + quoted(path) + ") has " + std::to_string(rows) +
              " rows but column " + quoted(out.columns.front().name) + " has " +
              std::to_string(out.rows);
      return false;
    }
    if (!out.source.empty())
      out.source += ", ";
    out.source += path;
    out.columns.push_back(std::move(column));
  }
  if (out.rows == 0) {
    error = "data " + quoted(out.source) + " has no rows";
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

namespace {
struct Record {
  int line; // 1-based, of the record's start
  std::vector<std::string> fields;
};
} // namespace

/// Splits CSV text into records: comma-separated fields, optionally in double
/// quotes ("" for a quote inside); surrounding spaces of unquoted fields are
/// dropped; blank lines are skipped; CRLF and a UTF-8 BOM are accepted.
static bool splitCsv(StringRef text, const std::string &source, std::vector<Record> &records,
                     std::string &error) {
  if (text.starts_with("\xEF\xBB\xBF"))
    text = text.drop_front(3);
  size_t i = 0, n = text.size();
  int line = 1;
  while (i < n) {
    Record record{line, {}};
    bool blank = true;
    while (true) {
      // One field.
      while (i < n && (text[i] == ' ' || text[i] == '\t'))
        ++i;
      std::string field;
      if (i < n && text[i] == '"') {
        int startLine = line;
        ++i;
        while (true) {
          if (i >= n) {
            error = quoted(source) + " line " + std::to_string(startLine) +
                    ": unterminated quoted field";
            return false;
          }
          char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n')
            ++line;
          field += c;
        }
        while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
          ++i;
        if (i < n && text[i] != ',' && text[i] != '\n') {
          error = quoted(source) + " line " + std::to_string(line) +
                  ": unexpected text after a quoted field";
          return false;
        }
        blank = false;
      } else {
        size_t start = i;
        while (i < n && text[i] != ',' && text[i] != '\n')
          ++i;
        field = StringRef(text.data() + start, i - start).trim(" \t\r").str();
        if (!field.empty() || (i < n && text[i] == ','))
          blank = false;
      }
      record.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    if (i < n && text[i] == '\n') {
      ++i;
      ++line;
    }
    if (!blank)
      records.push_back(std::move(record));
  }
  return true;
}

/// A decimal number as written in a CSV file ("5.1", "-2e-3", "+4").
static bool parseNumber(const std::string &s, double &value) {
  const char *begin = s.data(), *end = s.data() + s.size();
  if (begin != end && *begin == '+') {
    ++begin;
    if (begin != end && (*begin == '+' || *begin == '-'))
      return false;
  }
  auto result = std::from_chars(begin, end, value);
  return result.ec == std::errc() && result.ptr == end && std::isfinite(value);
}

bool dnn::loadCsvFile(const std::string &path, const std::string &labelColumn,
                      const LoadOptions &options, Dataset &out, std::string &error) {
  out = Dataset();
  if (llvm::sys::fs::is_directory(path)) {
    error = quoted(path) + " is a directory, not a CSV file";
    return false;
  }
  std::unique_ptr<llvm::MemoryBuffer> buffer = readFile(path, error);
  if (!buffer)
    return false;
  return parseCsv(buffer->getBuffer().str(), path, labelColumn, options, out, error);
}

bool dnn::parseCsv(const std::string &text, const std::string &source,
                   const std::string &labelColumn, const LoadOptions &options, Dataset &out,
                   std::string &error) {
  out = Dataset();
  out.format = DataFormat::Csv;
  out.source = source;
  std::vector<Record> records;
  if (!splitCsv(text, source, records, error))
    return false;
  if (records.empty()) {
    error = quoted(source) + " is empty; expected a header row, then one row per sample";
    return false;
  }

  const std::vector<std::string> &header = records.front().fields;
  size_t numColumns = header.size();
  for (size_t c = 0; c < numColumns; ++c) {
    if (header[c].empty()) {
      error = quoted(source) + " line 1: column " + std::to_string(c + 1) +
              " of the header has no name";
      return false;
    }
    for (size_t d = 0; d < c; ++d)
      if (header[d] == header[c]) {
        error = quoted(source) + " line 1: column " + quoted(header[c]) + " appears twice";
        return false;
      }
  }
  std::string names;
  for (size_t c = 0; c < numColumns; ++c)
    names += (c ? ", " : "") + header[c];
  if (numColumns < 2) {
    error = quoted(source) + " has " + std::to_string(numColumns) +
            " column; expected feature columns and a label column";
    return false;
  }
  size_t label = numColumns - 1;
  if (!labelColumn.empty()) {
    auto it = std::find(header.begin(), header.end(), labelColumn);
    if (it == header.end()) {
      error =
          quoted(source) + " has no column " + quoted(labelColumn) + " (columns: " + names + ")";
      return false;
    }
    label = it - header.begin();
  }
  int64_t rows = (int64_t)records.size() - 1;
  if (rows == 0) {
    error = quoted(source) + " has a header but no data rows";
    return false;
  }
  for (size_t r = 1; r < records.size(); ++r)
    if (records[r].fields.size() != numColumns) {
      error = quoted(source) + " line " + std::to_string(records[r].line) + ": " +
              std::to_string(records[r].fields.size()) + " fields, but the header has " +
              std::to_string(numColumns);
      return false;
    }

  auto where = [&](size_t r, size_t c) {
    return quoted(source) + " line " + std::to_string(records[r].line) + ", column " +
           quoted(header[c]);
  };

  // Features: every other column, as f32, in header order.
  Column features;
  features.name = "features";
  features.dtype = DNN_DTYPE_F32;
  features.shape = {(int64_t)numColumns - 1};
  features.data.resize((size_t)rows * features.sampleBytes());
  float *f = reinterpret_cast<float *>(features.data.data());
  for (size_t r = 1; r < records.size(); ++r)
    for (size_t c = 0; c < numColumns; ++c) {
      if (c == label)
        continue;
      const std::string &field = records[r].fields[c];
      double value;
      if (!parseNumber(field, value)) {
        error = where(r, c) + ": " +
                (field.empty() ? std::string("empty value (missing values are not supported)")
                               : quoted(field) + " is not a finite number") +
                "; only the label column (" + quoted(header[label]) +
                ", choose another with FILE.csv:label=COLUMN) may hold strings";
        return false;
      }
      *f++ = (float)value;
    }

  // Labels: integers as they are, or strings numbered by first appearance.
  Column labels;
  labels.name = "labels";
  labels.dtype = DNN_DTYPE_I32;
  labels.data.resize((size_t)rows * 4);
  int32_t *l = reinterpret_cast<int32_t *>(labels.data.data());
  bool numeric = true;
  for (size_t r = 1; r < records.size() && numeric; ++r) {
    double value;
    numeric = parseNumber(records[r].fields[label], value);
  }
  if (numeric) {
    for (size_t r = 1; r < records.size(); ++r) {
      const std::string &field = records[r].fields[label];
      double value;
      parseNumber(field, value);
      if (value != std::floor(value) || value < 0 || value > 2147483647.0) {
        error = where(r, label) + ": label " + quoted(field) +
                " is not an integer in [0, 2^31); labels are class numbers or strings (for "
                "regression targets use NAME=FILE.npy columns)";
        return false;
      }
      l[r - 1] = (int32_t)value;
    }
  } else {
    out.labelNames = options.knownLabels;
    std::map<std::string, int32_t> numbers;
    for (size_t k = 0; k < out.labelNames.size(); ++k)
      numbers.emplace(out.labelNames[k], (int32_t)k);
    for (size_t r = 1; r < records.size(); ++r) {
      const std::string &field = records[r].fields[label];
      if (field.empty()) {
        error = where(r, label) + ": empty label";
        return false;
      }
      auto [it, added] = numbers.emplace(field, (int32_t)out.labelNames.size());
      if (added)
        out.labelNames.push_back(field);
      l[r - 1] = it->second;
    }
  }

  out.rows = rows;
  out.labelColumn = header[label];
  out.columns.push_back(std::move(features));
  out.columns.push_back(std::move(labels));
  return true;
}

//===----------------------------------------------------------------------===//
// MNIST
//===----------------------------------------------------------------------===//

static uint32_t readBE32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static std::string hex32(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08x", v);
  return s;
}

bool dnn::readIdx(const std::string &path, int rank, IdxArray &out, std::string &error) {
  out = IdxArray();
  std::unique_ptr<llvm::MemoryBuffer> buffer = readFile(path, error);
  if (!buffer)
    return false;
  StringRef bytes = buffer->getBuffer();
  const unsigned char *p = reinterpret_cast<const unsigned char *>(bytes.data());
  uint64_t size = bytes.size();
  uint32_t expectedMagic = 0x00000800u | (uint32_t)rank;
  std::string kind = rank == 1 ? "labels" : rank == 3 ? "images" : "data";
  if (size >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    error = quoted(path) + " is gzip-compressed; decompress it with gunzip (or run "
                           "scripts/fetch-mnist.sh)";
    return false;
  }
  if (size < 4) {
    error = quoted(path) + ": not an IDX file (" + std::to_string(size) +
            " bytes, shorter than the magic number)";
    return false;
  }
  uint32_t magic = readBE32(p);
  if (p[0] != 0 || p[1] != 0) {
    error = quoted(path) + ": not an IDX file (magic number " + hex32(magic) + ", expected " +
            hex32(expectedMagic) + " for " + kind + ")";
    return false;
  }
  if (p[2] != 0x08) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%02x", p[2]);
    error = quoted(path) + ": IDX data type " + type +
            " is not supported; expected unsigned bytes (0x08, magic " + hex32(expectedMagic) + ")";
    return false;
  }
  if (p[3] != rank) {
    error = quoted(path) + ": magic number " + hex32(magic) + " is an IDX file of " +
            std::to_string(p[3]) + " dimensions; expected " + hex32(expectedMagic) + " (" + kind +
            ", " + std::to_string(rank) + " dimension" + (rank == 1 ? "" : "s") + ")";
    return false;
  }
  uint64_t headerSize = 4 + 4 * (uint64_t)rank;
  if (size < headerSize) {
    error = quoted(path) + ": truncated IDX header (" + std::to_string(size) + " bytes, " +
            "expected " + std::to_string(headerSize) + ")";
    return false;
  }
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    int64_t dim = readBE32(p + 4 + 4 * d);
    out.dims.push_back(dim);
    if (__builtin_mul_overflow(count, dim, &count)) {
      error = quoted(path) + ": IDX dimensions " + formatDims(out.dims) + " are too large";
      return false;
    }
  }
  uint64_t available = size - headerSize;
  if (available != (uint64_t)count) {
    error = quoted(path) + ": " + (available < (uint64_t)count ? "truncated" : "trailing") +
            " data: dimensions " + formatDims(out.dims) + " need " + std::to_string(count) +
            " bytes after the header, the file has " + std::to_string(available);
    return false;
  }
  out.data.assign(p + headerSize, p + size);
  return true;
}

std::string dnn::defaultMnistDir() {
  auto env = [](const char *name) -> std::string {
    const char *value = std::getenv(name);
    return value ? value : "";
  };
  std::string base = env("DNNC_DATA_DIR");
  if (base.empty()) {
    std::string cache = env("XDG_CACHE_HOME");
    if (cache.empty())
      cache = env("HOME") + "/.cache";
    base = cache + "/dnnc";
  }
  return base + "/mnist";
}

bool dnn::loadMnist(const std::string &dir, Split split, Dataset &out, std::string &error) {
  out = Dataset();
  out.format = DataFormat::Mnist;
  const char *prefix = split == Split::Train ? "train" : "t10k";
  std::string imagesPath = dir + "/" + prefix + "-images-idx3-ubyte";
  std::string labelsPath = dir + "/" + prefix + "-labels-idx1-ubyte";
  std::string fetch = "run scripts/fetch-mnist.sh (or scripts/setup.sh) to download MNIST to " +
                      defaultMnistDir() + " (the folder follows DNNC_DATA_DIR), then use " +
                      "--data mnist";
  for (const std::string &path : {imagesPath, labelsPath}) {
    if (llvm::sys::fs::exists(path))
      continue;
    if (!llvm::sys::fs::is_directory(dir))
      error = "MNIST is missing: no directory " + quoted(dir) + "; " + fetch;
    else if (llvm::sys::fs::exists(path + ".gz"))
      error = "MNIST in " + quoted(dir) + " is compressed: found " + quoted(path + ".gz") +
              " but not " + quoted(llvm::sys::path::filename(path)) + "; gunzip it, or " + fetch;
    else
      error = "MNIST is missing: no file " + quoted(path) + "; " + fetch;
    return false;
  }

  IdxArray images, labels;
  if (!readIdx(imagesPath, 3, images, error) || !readIdx(labelsPath, 1, labels, error))
    return false;
  if (images.dims[0] != labels.dims[0]) {
    error = "MNIST in " + quoted(dir) + ": " + quoted(imagesPath) + " has " +
            std::to_string(images.dims[0]) + " images but " + quoted(labelsPath) + " has " +
            std::to_string(labels.dims[0]) + " labels";
    return false;
  }
  for (size_t i = 0; i < labels.data.size(); ++i)
    if (labels.data[i] > 9) {
      error = quoted(labelsPath) + ": label " + std::to_string(labels.data[i]) + " of sample " +
              std::to_string(i) + " is not a digit 0..9";
      return false;
    }

  Column pixels;
  pixels.name = "images";
  pixels.dtype = DNN_DTYPE_F32;
  pixels.shape = {images.dims[1], images.dims[2]};
  pixels.data.resize(images.data.size() * 4);
  float *f = reinterpret_cast<float *>(pixels.data.data());
  for (uint8_t v : images.data)
    *f++ = v / 255.0f;

  Column digits;
  digits.name = "labels";
  digits.dtype = DNN_DTYPE_I32;
  digits.data.resize(labels.data.size() * 4);
  int32_t *l = reinterpret_cast<int32_t *>(digits.data.data());
  for (uint8_t v : labels.data)
    *l++ = v;

  out.rows = images.dims[0];
  out.source =
      std::string("MNIST ") + (split == Split::Train ? "train" : "test") + " (" + dir + ")";
  out.columns.push_back(std::move(pixels));
  out.columns.push_back(std::move(digits));
  if (out.rows == 0) {
    error = out.source + " has no samples";
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Binding columns to inputs
//===----------------------------------------------------------------------===//

/// The input's dims after the batch dim, with -1 for symbolic ones.
static std::vector<int64_t> sampleDimsOf(const dnn_tensor_info &input) {
  std::vector<int64_t> dims;
  for (int32_t d = 1; d < input.rank; ++d)
    dims.push_back(input.dims[d].symbol ? -1 : input.dims[d].size);
  return dims;
}

/// Checks that `column` can feed `input` and fills `binding`.
static bool bindColumn(const Dataset &data, size_t columnIndex, const dnn_model_info &model,
                       int32_t inputIndex, InputBinding &binding, std::string &error) {
  const Column &column = data.columns[columnIndex];
  const dnn_tensor_info &input = model.inputs[inputIndex];
  std::string what = "input " + formatTensor(input) + " of model '" + model.name + "'";
  std::string from = "column " + quoted(column.name) + " of " + data.source;
  if (input.rank == 0) {
    error = what + " is a scalar; data columns feed inputs whose first dimension is the batch";
    return false;
  }
  if (!input.dims[0].symbol) {
    error = what + " has a static batch dimension " + std::to_string(input.dims[0].size) +
            "; dnn-run feeds batches of any size (the last one may be smaller), so declare it " +
            "symbolic, e.g. N";
    return false;
  }
  if (column.dtype != input.dtype) {
    error = what + " takes " + dtypeName(input.dtype) + " but " + from + " is " +
            dtypeName(column.dtype);
    return false;
  }
  std::vector<int64_t> want = sampleDimsOf(input);
  bool isStatic = std::none_of(want.begin(), want.end(), [](int64_t d) { return d < 0; });
  bool fits = want.size() == column.shape.size();
  for (size_t d = 0; fits && d < want.size(); ++d)
    fits = want[d] < 0 || want[d] == column.shape[d];
  if (!fits && isStatic && product(want) == column.sampleElements())
    fits = true; // Same values, other shape: [28, 28] as [1, 28, 28] or [784].
  if (!fits) {
    std::string wantText = "[";
    for (int32_t d = 1; d < input.rank; ++d)
      wantText += std::string(d > 1 ? ", " : "") + (input.dims[d].symbol
                                                        ? std::string(input.dims[d].symbol)
                                                        : std::to_string(input.dims[d].size));
    wantText += "]";
    error = what + " takes samples of shape " + wantText;
    if (isStatic)
      error += " (" + std::to_string(product(want)) + " values)";
    error += " but " + from + " has samples of shape " + formatDims(column.shape) + " (" +
             std::to_string(column.sampleElements()) + " values)";
    return false;
  }
  // Class indices: checked here for the whole file, so the message gives
  // the row in the file (the runtime checks each batch again).
  int64_t bound = model.input_index_bounds ? model.input_index_bounds[inputIndex] : 0;
  if (bound > 0 && column.dtype == DNN_DTYPE_I32) {
    const auto *labels = reinterpret_cast<const int32_t *>(column.data.data());
    int64_t perRow = column.sampleElements();
    for (int64_t k = 0; k < data.rows * perRow; ++k)
      if (labels[k] < 0 || labels[k] >= bound) {
        error = from + ": row " + std::to_string(k / perRow) + " holds " +
                std::to_string(labels[k]) + ", outside the class indices [0, " +
                std::to_string(bound) + ") of " + what;
        return false;
      }
  }
  binding.input = inputIndex;
  binding.name = input.name;
  binding.dtype = input.dtype;
  binding.column = columnIndex;
  binding.sampleDims = isStatic ? want : column.shape;
  return true;
}

bool dnn::bindDataset(const Dataset &data, const dnn_model_info &model, const dnn_entry_info &entry,
                      std::vector<InputBinding> &out, std::string &error) {
  out.clear();
  std::string inputs = joinNames(model.inputs, entry.num_inputs, entry.inputs);
  std::string modelText = "model '" + std::string(model.name) + "'";
  std::string entryText = "entry '" + std::string(entry.name) + "' of " + modelText;

  if (data.format == DataFormat::Npy) {
    // Every column names an input of the model (a typo otherwise); the
    // entry's inputs all need one.
    for (const Column &column : data.columns) {
      bool known = false;
      for (int32_t i = 0; i < model.num_inputs; ++i)
        known |= column.name == model.inputs[i].name;
      if (!known) {
        error = "data column " + quoted(column.name) + " is not an input of " + modelText +
                " (inputs: " + joinNames(model.inputs, model.num_inputs) + ")";
        return false;
      }
    }
    for (int32_t i = 0; i < entry.num_inputs; ++i) {
      int32_t input = entry.inputs[i];
      const char *name = model.inputs[input].name;
      const Column *column = data.find(name);
      if (!column) {
        error = "no data for input '" + std::string(name) + "' of " + entryText +
                " (inputs: " + inputs + "; data columns from " + data.source + ": ";
        for (size_t c = 0; c < data.columns.size(); ++c)
          error += (c ? ", " : "") + data.columns[c].name;
        error += "); add " + std::string(name) + "=FILE.npy to the data spec";
        return false;
      }
      InputBinding binding;
      if (!bindColumn(data, column - data.columns.data(), model, input, binding, error))
        return false;
      out.push_back(std::move(binding));
    }
    return true;
  }

  // CSV and MNIST: one f32 column (features or images) and i32 "labels",
  // matched to the entry's inputs by dtype.
  for (int32_t i = 0; i < entry.num_inputs; ++i) {
    int32_t input = entry.inputs[i];
    int32_t dtype = model.inputs[input].dtype;
    std::vector<std::string> same;
    for (int32_t j = 0; j < entry.num_inputs; ++j)
      if (model.inputs[entry.inputs[j]].dtype == dtype)
        same.push_back(model.inputs[entry.inputs[j]].name);
    size_t columnIndex = data.columns.size();
    for (size_t c = 0; c < data.columns.size(); ++c)
      if (data.columns[c].dtype == dtype)
        columnIndex = c;
    std::string kind = data.format == DataFormat::Csv ? "CSV file" : "MNIST";
    if (columnIndex == data.columns.size()) {
      error = "input " + formatTensor(model.inputs[input]) + " of " + entryText +
              " cannot be fed from " + kind + " data (" + data.source + "), which has no " +
              dtypeName(dtype) + " column; give NAME=FILE.npy columns instead";
      return false;
    }
    if (same.size() > 1) {
      std::string list;
      for (size_t k = 0; k < same.size(); ++k)
        list += (k ? ", " : "") + same[k];
      error = entryText + " has " + std::to_string(same.size()) + " " + dtypeName(dtype) +
              " inputs (" + list + "), so the " + dtypeName(dtype) + " column " +
              quoted(data.columns[columnIndex].name) + " of " + kind + " data is ambiguous; " +
              "give NAME=FILE.npy columns instead";
      return false;
    }
    InputBinding binding;
    if (!bindColumn(data, columnIndex, model, input, binding, error))
      return false;
    out.push_back(std::move(binding));
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Epoch order and batches
//===----------------------------------------------------------------------===//

namespace {
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct SplitMix64 {
  uint64_t state;
  uint64_t next() { return mix64(state += kGolden); }
  /// Uniform in [0, range), range >= 1 (Lemire, "Fast random integer
  /// generation in an interval", 2019).
  uint64_t below(uint64_t range) {
    __uint128_t m = (__uint128_t)next() * range;
    uint64_t low = (uint64_t)m;
    if (low < range) {
      uint64_t threshold = (0 - range) % range;
      while (low < threshold) {
        m = (__uint128_t)next() * range;
        low = (uint64_t)m;
      }
    }
    return (uint64_t)(m >> 64);
  }
};
} // namespace

std::vector<int64_t> dnn::epochOrder(int64_t rows, uint64_t seed, uint64_t epoch, bool shuffle) {
  std::vector<int64_t> order(rows > 0 ? rows : 0);
  std::iota(order.begin(), order.end(), 0);
  if (!shuffle)
    return order;
  SplitMix64 rng{mix64(seed ^ mix64(epoch + kGolden))};
  for (int64_t i = rows - 1; i > 0; --i)
    std::swap(order[i], order[rng.below((uint64_t)i + 1)]);
  return order;
}

int64_t dnn::numBatches(int64_t rows, int64_t batchSize) {
  return batchSize > 0 ? (rows + batchSize - 1) / batchSize : 0;
}

void dnn::gatherBatch(const Dataset &data, const std::vector<InputBinding> &bindings,
                      const int64_t *indices, int64_t count, Batch &out) {
  out.tensors.resize(bindings.size());
  out.storage.resize(bindings.size());
  out.size = count;
  for (size_t b = 0; b < bindings.size(); ++b) {
    const InputBinding &binding = bindings[b];
    const Column &column = data.columns[binding.column];
    size_t sampleBytes = column.sampleBytes();
    std::vector<unsigned char> &bytes = out.storage[b];
    bytes.resize(std::max<size_t>((size_t)count * sampleBytes, 1));
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(bytes.data() + i * sampleBytes, column.data.data() + indices[i] * sampleBytes,
                  sampleBytes);
    dnn_tensor &t = out.tensors[b];
    t = dnn_tensor{};
    t.name = binding.name;
    t.dtype = binding.dtype;
    t.rank = 1 + (int32_t)binding.sampleDims.size();
    t.dims[0] = count;
    for (size_t d = 0; d < binding.sampleDims.size(); ++d)
      t.dims[d + 1] = binding.sampleDims[d];
    t.data = bytes.data();
  }
}
