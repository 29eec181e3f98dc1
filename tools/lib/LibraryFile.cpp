//===- LibraryFile.cpp - Checking a model library file before dlopen -----===//

#include "LibraryFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace llvm;

namespace {

/// The ELF machine of the CPU these tools run on.
constexpr unsigned hostMachine() {
#if defined(__x86_64__)
  return ELF::EM_X86_64;
#elif defined(__aarch64__)
  return ELF::EM_AARCH64;
#else
  return ELF::EM_NONE;
#endif
}

} // namespace

bool dnn::checkLibraryFile(const std::string &path, const char *symbol, std::string &error) {
  std::string name = "'" + path + "'";
  auto buffer = MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = name + ": " + buffer.getError().message();
    return false;
  }
  MemoryBufferRef ref = (*buffer)->getMemBufferRef();
  uint64_t fileSize = ref.getBufferSize();
  if (fileSize < 4 || ref.getBuffer().substr(0, 4) != "\x7f" "ELF") {
    error = name + " is not a shared library (not an ELF file)";
    return false;
  }
  StringRef ident = ref.getBuffer();
  if (ident.size() > ELF::EI_DATA &&
      (ident[ELF::EI_CLASS] != ELF::ELFCLASS64 || ident[ELF::EI_DATA] != ELF::ELFDATA2LSB)) {
    error = name + " is an ELF file of another kind (class " +
            std::to_string(uint8_t(ident[ELF::EI_CLASS])) + ", byte order " +
            std::to_string(uint8_t(ident[ELF::EI_DATA])) +
            "); model libraries are 64-bit little-endian";
    return false;
  }
  auto object = object::ELF64LEObjectFile::create(ref);
  if (!object) {
    error = name + " is truncated or corrupt: " + toString(object.takeError());
    return false;
  }
  const object::ELF64LEFile &elf = object->getELFFile();
  const auto &header = elf.getHeader();
  if (header.e_type != ELF::ET_DYN) {
    error = name + " is an ELF file but not a shared library (ELF type " +
            std::to_string(header.e_type) + ")";
    return false;
  }
  if (hostMachine() != ELF::EM_NONE && header.e_machine != hostMachine()) {
    error = name + " is a shared library for another CPU architecture (ELF machine " +
            std::to_string(header.e_machine) + ")";
    return false;
  }
  // The table itself (program_headers checks it lies within the file), then
  // every segment the loader maps or reads.
  auto segments = elf.program_headers();
  if (!segments) {
    error = name + " is truncated or corrupt: " + toString(segments.takeError());
    return false;
  }
  unsigned index = 0;
  for (const auto &segment : *segments) {
    uint64_t begin = segment.p_offset, size = segment.p_filesz;
    if (begin > fileSize || size > fileSize - begin) {
      error = name + " is truncated or corrupt: segment " + std::to_string(index) + " (bytes " +
              std::to_string(begin) + " to " + std::to_string(begin + size) +
              ") reaches past the end of the file (" + std::to_string(fileSize) + " bytes)";
      return false;
    }
    ++index;
  }
  // The symbol is looked up in the dynamic symbol section; a file without
  // section headers (legal for the loader) is left to dlsym.
  auto sections = elf.sections();
  if (!sections) {
    error = name + " is truncated or corrupt: " + toString(sections.takeError());
    return false;
  }
  if (llvm::none_of(*sections, [](const auto &section) {
        return section.sh_type == ELF::SHT_DYNSYM;
      }))
    return true;
  for (const object::ELFSymbolRef &entry : object->getDynamicSymbolIterators()) {
    Expected<StringRef> entryName = entry.getName();
    if (!entryName) {
      error = name + " is corrupt: " + toString(entryName.takeError());
      return false;
    }
    if (*entryName == symbol)
      return true;
  }
  error = name + " is not a dnnc model library (no '" + std::string(symbol) + "' symbol)";
  return false;
}
