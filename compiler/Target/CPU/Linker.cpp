//===- Linker.cpp - Link a model's object into a shared library -----------===//
//
// lld does the linking, through the clang driver so that the C++ runtime's
// start files and standard libraries are found the way the platform expects.
// A version script keeps every symbol but the public API local, and
// -Bsymbolic binds the embedded runtime to itself even when several model
// libraries live in one process.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Target/CPU/Linker.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace llvm;

#ifndef DNNC_DEFAULT_LINKER
#define DNNC_DEFAULT_LINKER ""
#endif
#ifndef DNNC_BUILD_RUNTIME_LIBRARY
#define DNNC_BUILD_RUNTIME_LIBRARY ""
#endif

Error dnnc::resolveLinkOptions(LinkOptions &options, const char *argv0) {
  if (options.driver.empty())
    if (const char *env = std::getenv("DNNC_LINKER"))
      options.driver = env;
  if (options.driver.empty() && sys::fs::can_execute(DNNC_DEFAULT_LINKER))
    options.driver = DNNC_DEFAULT_LINKER;
  for (const char *name : {"clang++-22", "clang++"}) {
    if (!options.driver.empty())
      break;
    if (auto path = sys::findProgramByName(name))
      options.driver = *path;
  }
  if (options.driver.empty())
    return createStringError("cannot find clang++ to link with lld; pass --linker=PATH");

  if (options.runtimeLibrary.empty())
    if (const char *env = std::getenv("DNNC_RUNTIME_LIBRARY"))
      options.runtimeLibrary = env;
  if (options.runtimeLibrary.empty()) {
    std::string exe = sys::fs::getMainExecutable(argv0, (void *)&resolveLinkOptions);
    SmallString<256> candidate(sys::path::parent_path(sys::path::parent_path(exe)));
    sys::path::append(candidate, "lib", "libdnnrt.a");
    if (sys::fs::exists(candidate))
      options.runtimeLibrary = candidate.str().str();
    else if (sys::fs::exists(DNNC_BUILD_RUNTIME_LIBRARY))
      options.runtimeLibrary = DNNC_BUILD_RUNTIME_LIBRARY;
  }
  if (options.runtimeLibrary.empty())
    return createStringError("cannot find the dnnc runtime library (libdnnrt.a) next to dnnc; "
                             "pass --runtime-library=PATH");
  return Error::success();
}

Error dnnc::linkSharedLibrary(StringRef objectFile, StringRef output,
                              const LinkOptions &options) {
  SmallString<128> script, log;
  if (std::error_code ec = sys::fs::createTemporaryFile("dnnc-exports", "map", script))
    return createStringError(ec, "cannot create a temporary file");
  if (std::error_code ec = sys::fs::createTemporaryFile("dnnc-link", "log", log))
    return createStringError(ec, "cannot create a temporary file");
  scope_exit cleanup([&] {
    sys::fs::remove(script);
    sys::fs::remove(log);
  });
  {
    std::error_code ec;
    raw_fd_ostream os(script, ec);
    if (ec)
      return createStringError(ec, "cannot write '%s'", script.c_str());
    os << "{\n  global:\n    dnn_*;\n  local:\n    *;\n};\n";
  }

  std::string outputArg = output.str(), objectArg = objectFile.str();
  std::string scriptArg = ("-Wl,--version-script=" + script).str();
  SmallVector<StringRef> args = {options.driver, "-shared", "-fuse-ld=lld", "-o", outputArg,
                                 objectArg,
                                 // Generated code calls only the thread pool, but the
                                 // library exports the whole runtime API.
                                 "-Wl,--whole-archive", options.runtimeLibrary,
                                 "-Wl,--no-whole-archive", scriptArg, "-Wl,-Bsymbolic",
                                 "-Wl,--gc-sections", "-Wl,--no-undefined", "-Wl,-z,noexecstack",
                                 "-pthread", "-lm"};
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log), StringRef(log)};
  std::string error;
  int rc = sys::ExecuteAndWait(options.driver, args, std::nullopt, redirects, 0, 0, &error);
  if (rc != 0) {
    std::string details = error;
    if (auto buffer = MemoryBuffer::getFile(log))
      details += (*buffer)->getBuffer().str();
    return createStringError("linking '%s' with '%s' failed:\n%s", output.str().c_str(),
                             options.driver.c_str(), details.c_str());
  }
  return Error::success();
}
