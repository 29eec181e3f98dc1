//===- DatasetSupport.h - Helpers the dataset readers share -----*- C++ -*-===//
//
// Internal to tools/lib/Training: quoting names in messages, element
// counts, whole-file reads with plain messages.
//
//===----------------------------------------------------------------------===//
#ifndef DNN_TOOLS_TRAINING_DATASETSUPPORT_H
#define DNN_TOOLS_TRAINING_DATASETSUPPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dnn::detail {

inline std::string quoted(llvm::StringRef s) { return "'" + s.str() + "'"; }

inline int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// The forms of a dataset SPEC, for messages.
extern const char kSpecForms[];

/// Reads a whole file; a missing file is reported plainly.
std::unique_ptr<llvm::MemoryBuffer> readFile(const std::string &path, std::string &error);

} // namespace dnn::detail

#endif // DNN_TOOLS_TRAINING_DATASETSUPPORT_H
