//===- LibraryFile.h - Checking a model library file before dlopen -*- C++ -*-===//
//
// dlopen maps a shared object as its headers describe it and trusts them: a
// truncated file faults (SIGBUS) inside the loader when a segment reaches
// past its end. Tools therefore check the file first, with LLVM's ELF
// reader, which bounds-checks every table it reads.
//
//===----------------------------------------------------------------------===//
#ifndef DNN_TOOLS_LIBRARYFILE_H
#define DNN_TOOLS_LIBRARYFILE_H

#include <string>

namespace dnn {

/// Whether `path` is a 64-bit little-endian ELF shared object for this
/// machine whose program headers and segments lie within the file and whose
/// dynamic symbols include `symbol`. Otherwise `error` says what is wrong,
/// naming the file.
bool checkLibraryFile(const std::string &path, const char *symbol, std::string &error);

} // namespace dnn

#endif // DNN_TOOLS_LIBRARYFILE_H
