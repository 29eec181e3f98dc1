//===- CsvReader.cpp - Datasets from CSV files ------------------------------===//
//
// A header row, then numbers; the label column numbered when it holds strings.
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"
#include "DatasetSupport.h"

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
using namespace dnn::detail;
using llvm::StringRef;

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
