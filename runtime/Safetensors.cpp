//===- Safetensors.cpp - Parameter checkpoints in safetensors format ------===//
//
// Format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON mapping tensor names to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
// data that follows the header) plus an optional "__metadata__" object of
// strings, then the tensor data, little-endian and row-major.
//
// Saving writes a temporary file next to the target and renames it over the
// target, so a crash never leaves a half-written checkpoint. Loading checks
// the whole file and reads every tensor into temporaries before it changes
// any parameter, so a failed load leaves the session as it was.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <map>
#include <set>
#include <type_traits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error                                                                         \
    "safetensors data is little-endian; this file assumes a little-endian host"
#endif

using namespace dnnrt;

namespace {

/// safetensors caps the header at 100 MB; so do we, so that a corrupt length
/// cannot make us allocate the whole file.
constexpr uint64_t kMaxHeaderSize = 100u << 20;

/// Closes a file descriptor on scope exit.
struct FileCloser {
  int fd;
  ~FileCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

std::string dimsString(const std::vector<int64_t> &dims) {
  return shapeString(dims.data(), static_cast<int32_t>(dims.size()));
}

/// Bytes per element of a safetensors dtype, or 0 if unknown.
size_t safetensorsDtypeSize(const std::string &dtype) {
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1},
      {"U16", 2},  {"I16", 2}, {"F16", 2}, {"BF16", 2},    {"U32", 4},
      {"I32", 4},  {"F32", 4}, {"U64", 8}, {"I64", 8},     {"F64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

//===----------------------------------------------------------------------===//
// Saving
//===----------------------------------------------------------------------===//

dnn_status ioError(const char *what, const std::string &path, int error) {
  return fail(DNN_ERROR_IO, "cannot %s '%s': %s", what, path.c_str(),
              std::strerror(error));
}

/// Writes all of `size` bytes; false with errno set on failure.
bool writeAll(int fd, const void *data, size_t size) {
  const char *p = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// Syncs the directory holding `path` so that a rename in it is durable.
/// Best effort: some file systems cannot sync directories.
void syncDirectory(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  ::fsync(fd);
  ::close(fd);
}

/// A tensor a checkpoint holds: a param, a slot of its optimizer state, or
/// a buffer.
struct Stored {
  enum Kind { Param, State, Buffer };
  std::string name;
  Kind kind;
  int32_t index; ///< Of the param (Param, State) or buffer.
  int32_t slot;  ///< The optimizer state's slot.

  const dnn_tensor_info &info(const dnn_model_info &model) const {
    return kind == Buffer ? model.buffers[index].tensor : model.params[index].tensor;
  }
  const char *what() const {
    return kind == Param ? "param" : kind == State ? "optimizer state" : "buffer";
  }
};

/// Params in declaration order, then buffers, then
/// "optimizer.<slot>.<param>" for each param and slot.
std::vector<Stored> storedTensors(const dnn_model_info &model) {
  std::vector<Stored> stored;
  for (int32_t i = 0; i < model.num_params; ++i)
    stored.push_back({model.params[i].tensor.name, Stored::Param, i, -1});
  for (int32_t i = 0; i < model.num_buffers; ++i)
    stored.push_back({model.buffers[i].tensor.name, Stored::Buffer, i, -1});
  for (int32_t i = 0; i < model.num_params; ++i)
    for (int32_t k = 0; k < numStateSlots(model); ++k)
      stored.push_back({std::string("optimizer.") + model.optimizer->slots[k] + "." +
                            model.params[i].tensor.name,
                        Stored::State, i, k});
  return stored;
}

void *storedData(const dnn_session &session, const Stored &t) {
  switch (t.kind) {
  case Stored::Param: return session.params[t.index].data();
  case Stored::Buffer: return session.buffers[t.index].data();
  case Stored::State: break;
  }
  return session.state[t.index * numStateSlots(*session.model) + t.slot].data();
}

/// The header JSON: metadata, then the tensors of storedTensors.
std::string makeHeader(const dnn_session &session) {
  const dnn_model_info &model = *session.model;
  nlohmann::ordered_json header;
  header["__metadata__"] = {
      {"format", "pt"}, {"producer", "dnnc"}, {"model", model.name}};
  if (model.optimizer) {
    header["__metadata__"]["dnn.step"] = std::to_string(session.step);
    header["__metadata__"]["dnn.lr"] = format("%.17g", session.learningRate);
  }
  // The seed keys the dropout masks: a resumed run draws the same ones.
  header["__metadata__"]["dnn.seed"] = std::to_string(session.seed);
  uint64_t offset = 0;
  for (const Stored &t : storedTensors(model)) {
    const dnn_tensor_info &info = t.info(model);
    std::vector<int64_t> shape;
    for (int32_t d = 0; d < info.rank; ++d)
      shape.push_back(info.dims[d].size);
    uint64_t bytes = staticBytes(info);
    header[t.name] = {{"dtype", "F32"},
                         {"shape", shape},
                         {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  // Replace rather than throw on names that are not UTF-8.
  std::string text =
      header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Pad so that the data starts 8-byte aligned, as the reference writer does.
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

dnn_status save(const dnn_session &session, const std::string &path) {
  const dnn_model_info &model = *session.model;
  std::string header = makeHeader(session);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());

  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    return ioError("create", tmp, errno);
  auto abandon = [&](const char *what, int error) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return ioError(what, tmp, error);
  };

  unsigned char length[8];
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<unsigned char>(n >> (8 * i));
  if (!writeAll(fd, length, sizeof length) ||
      !writeAll(fd, header.data(), header.size()))
    return abandon("write", errno);
  for (const Stored &t : storedTensors(model))
    if (!writeAll(fd, storedData(session, t), staticBytes(t.info(model))))
      return abandon("write", errno);
  if (::fsync(fd) != 0)
    return abandon("sync", errno);
  if (::close(fd) != 0) {
    int error = errno;
    ::unlink(tmp.c_str());
    return ioError("close", tmp, error);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(tmp.c_str());
    return fail(DNN_ERROR_IO, "cannot rename '%s' to '%s': %s", tmp.c_str(),
                path.c_str(), std::strerror(error));
  }
  syncDirectory(path);
  return DNN_OK;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

/// One tensor entry of a header, checked for internal consistency.
struct Entry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

class Loader {
public:
  Loader(dnn_session &session, const char *path)
      : session(session), model(*session.model), path(path) {}

  dnn_status load() {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      return fail(error == ENOENT ? DNN_ERROR_NOT_FOUND : DNN_ERROR_IO,
                  "cannot open checkpoint '%s': %s", path,
                  std::strerror(error));
    }
    FileCloser closer{fd};
    struct stat st;
    if (::fstat(fd, &st) != 0)
      return fail(DNN_ERROR_IO, "cannot stat checkpoint '%s': %s", path,
                  std::strerror(errno));
    if (!S_ISREG(st.st_mode))
      return fail(DNN_ERROR_IO, "checkpoint '%s' is not a regular file", path);
    uint64_t fileSize = static_cast<uint64_t>(st.st_size);

    if (fileSize < 8)
      return corrupt("is truncated: %llu bytes, less than the 8-byte header "
                     "length",
                     (unsigned long long)fileSize);
    unsigned char length[8];
    if (dnn_status s = readAt(fd, length, 8, 0))
      return s;
    uint64_t headerSize = 0;
    for (int i = 0; i < 8; ++i)
      headerSize |= uint64_t(length[i]) << (8 * i);
    if (headerSize > fileSize - 8)
      return corrupt("is truncated: the header length is %llu bytes but only "
                     "%llu follow",
                     (unsigned long long)headerSize,
                     (unsigned long long)(fileSize - 8));
    if (headerSize > kMaxHeaderSize)
      return corrupt("has a %llu-byte header, more than the %llu allowed",
                     (unsigned long long)headerSize,
                     (unsigned long long)kMaxHeaderSize);
    std::string text(headerSize, '\0');
    if (dnn_status s = readAt(fd, &text[0], headerSize, 8))
      return s;
    dataStart = 8 + headerSize;
    dataSize = fileSize - dataStart;

    if (dnn_status s = parseHeader(text))
      return s;
    if (dnn_status s = matchModel())
      return s;

    // Read everything before changing anything.
    std::vector<std::vector<float>> values(stored.size());
    for (size_t i = 0; i < stored.size(); ++i) {
      const Entry *e = byStored[i];
      if (!e)
        continue;
      values[i].resize((e->end - e->begin) / sizeof(float));
      if (dnn_status s = readAt(fd, values[i].data(), e->end - e->begin,
                                dataStart + e->begin))
        return s;
    }
    // The step counter and learning rate come with the optimizer state (SGD
    // has none: then with the metadata alone).
    int64_t step = 0;
    double lr = session.learningRate;
    if (model.optimizer && (hasState || numStateSlots(model) == 0)) {
      auto number = [&](const char *key, auto &out) -> bool {
        auto it = metadata.find(key);
        if (it == metadata.end())
          return true;
        char *end = nullptr;
        errno = 0;
        if constexpr (std::is_same_v<std::decay_t<decltype(out)>, int64_t>)
          out = std::strtoll(it->second.c_str(), &end, 10);
        else
          out = std::strtod(it->second.c_str(), &end);
        return errno == 0 && end && *end == '\0' && !it->second.empty();
      };
      if (!number("dnn.step", step) || step < 0 || step >= INT32_MAX)
        return corrupt("has an invalid 'dnn.step' in its metadata");
      if (!number("dnn.lr", lr) || !(lr > 0))
        return corrupt("has an invalid 'dnn.lr' in its metadata");
    }
    for (size_t i = 0; i < stored.size(); ++i) {
      float *dest = static_cast<float *>(storedData(session, stored[i]));
      if (byStored[i])
        std::copy(values[i].begin(), values[i].end(), dest);
      else
        std::fill(dest, dest + staticBytes(stored[i].info(model)) / sizeof(float), 0.0f);
    }
    if (auto it = metadata.find("dnn.seed"); it != metadata.end()) {
      char *end = nullptr;
      errno = 0;
      unsigned long long seed = std::strtoull(it->second.c_str(), &end, 10);
      if (errno != 0 || !end || *end != '\0' || it->second.empty())
        return corrupt("has an invalid 'dnn.seed' in its metadata");
      session.seed = seed;
    }
    if (model.optimizer) {
      session.step = step;
      session.learningRate = lr;
    }
    return DNN_OK;
  }

private:
  /// A DNN_ERROR_FORMAT failure: "checkpoint '<path>' <message>".
  dnn_status corrupt(const char *fmt, ...)
      __attribute__((format(printf, 2, 3))) {
    va_list args;
    va_start(args, fmt);
    std::string message = vformat(fmt, args);
    va_end(args);
    return fail(DNN_ERROR_FORMAT, "checkpoint '%s' %s", path, message.c_str());
  }

  dnn_status readAt(int fd, void *data, uint64_t size, uint64_t offset) {
    char *p = static_cast<char *>(data);
    while (size > 0) {
      ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return fail(DNN_ERROR_IO, "cannot read checkpoint '%s': %s", path,
                    std::strerror(errno));
      }
      if (n == 0) // The file shrank under us.
        return corrupt("is truncated: it ended while being read");
      p += n;
      size -= static_cast<uint64_t>(n);
      offset += static_cast<uint64_t>(n);
    }
    return DNN_OK;
  }

  /// Parses the JSON and checks every entry and the data layout.
  dnn_status parseHeader(const std::string &text) {
    // JSON leaves a repeated key to the parser (nlohmann keeps the last);
    // in a checkpoint it makes the data ambiguous, so it is an error.
    std::vector<std::set<std::string>> keys; // one set per open object
    std::string repeated;
    auto noteKeys = [&](int, nlohmann::json::parse_event_t event, nlohmann::json &parsed) {
      using Event = nlohmann::json::parse_event_t;
      if (event == Event::object_start)
        keys.emplace_back();
      else if (event == Event::object_end && !keys.empty())
        keys.pop_back();
      else if (event == Event::key && !keys.empty() && parsed.is_string() &&
               !keys.back().insert(parsed.get<std::string>()).second && repeated.empty())
        repeated = parsed.get<std::string>();
      return true;
    };
    nlohmann::json header = nlohmann::json::parse(text, noteKeys,
                                                  /*allow_exceptions=*/false);
    if (header.is_discarded())
      return corrupt("has a header that is not valid JSON (or not UTF-8)");
    if (!repeated.empty())
      return corrupt("has the key '%s' twice in one object of its header", repeated.c_str());
    if (!header.is_object())
      return corrupt("has a header that is not a JSON object");

    for (auto &[name, value] : header.items()) {
      if (name == "__metadata__") {
        if (!value.is_object())
          return corrupt("has a '__metadata__' that is not an object");
        for (auto &[key, text] : value.items())
          if (text.is_string())
            metadata[key] = text.get<std::string>();
        continue;
      }
      Entry e;
      e.name = name;
      const char *n = name.c_str();
      if (!value.is_object())
        return corrupt("tensor '%s': the entry is not an object", n);
      auto dtype = value.find("dtype");
      auto shape = value.find("shape");
      auto offsets = value.find("data_offsets");
      if (dtype == value.end() || !dtype->is_string())
        return corrupt("tensor '%s': missing or malformed 'dtype'", n);
      e.dtype = dtype->get<std::string>();
      if (shape == value.end() || !shape->is_array())
        return corrupt("tensor '%s': missing or malformed 'shape'", n);
      for (const auto &d : *shape) {
        if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t(INT64_MAX))
          return corrupt("tensor '%s': 'shape' must hold non-negative integers",
                         n);
        e.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
      }
      if (e.shape.size() > DNN_MAX_RANK)
        return corrupt("tensor '%s': rank %zu is more than %d", n,
                       e.shape.size(), DNN_MAX_RANK);
      if (offsets == value.end() || !offsets->is_array() ||
          offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
          !(*offsets)[1].is_number_unsigned())
        return corrupt("tensor '%s': missing or malformed 'data_offsets'", n);
      e.begin = (*offsets)[0].get<uint64_t>();
      e.end = (*offsets)[1].get<uint64_t>();
      if (e.begin > e.end)
        return corrupt("tensor '%s': data_offsets [%llu, %llu] are reversed", n,
                       (unsigned long long)e.begin, (unsigned long long)e.end);
      if (e.end > dataSize)
        return corrupt("is truncated: tensor '%s' needs bytes [%llu, %llu) of "
                       "the data but there are only %llu",
                       n, (unsigned long long)e.begin,
                       (unsigned long long)e.end, (unsigned long long)dataSize);
      if (size_t elementSize = safetensorsDtypeSize(e.dtype)) {
        int64_t count;
        uint64_t bytes;
        if (!numElements(e.shape.data(), int32_t(e.shape.size()), count) ||
            __builtin_mul_overflow(uint64_t(count), uint64_t(elementSize),
                                   &bytes) ||
            bytes != e.end - e.begin)
          return corrupt("tensor '%s': data_offsets [%llu, %llu] do not match "
                         "%s of shape %s",
                         n, (unsigned long long)e.begin,
                         (unsigned long long)e.end, e.dtype.c_str(),
                         dimsString(e.shape).c_str());
      }
      entries.push_back(std::move(e));
    }

    // The tensors must tile the data exactly: no overlap, no gap, nothing
    // after the last one (as the reference implementation requires).
    std::vector<const Entry *> sorted;
    for (const Entry &e : entries)
      sorted.push_back(&e);
    std::sort(sorted.begin(), sorted.end(), [](const Entry *a, const Entry *b) {
      return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    uint64_t expected = 0;
    for (const Entry *e : sorted) {
      if (e->begin < expected)
        return corrupt("tensors '%s' and '%s' overlap", e->name.c_str(),
                       prevName(sorted, e).c_str());
      if (e->begin > expected)
        return corrupt("has %llu unused bytes before tensor '%s'",
                       (unsigned long long)(e->begin - expected),
                       e->name.c_str());
      expected = e->end;
    }
    if (expected != dataSize)
      return corrupt("has %llu bytes of data but its tensors cover %llu",
                     (unsigned long long)dataSize,
                     (unsigned long long)expected);
    return DNN_OK;
  }

  static std::string prevName(const std::vector<const Entry *> &sorted,
                              const Entry *e) {
    auto it = std::find(sorted.begin(), sorted.end(), e);
    return it == sorted.begin() ? "" : (*(it - 1))->name;
  }

  /// Pairs each stored tensor with its entry: names, dtypes and shapes must
  /// match. Params are required; the optimizer state is all or nothing.
  dnn_status matchModel() {
    std::map<std::string, const Entry *> byName;
    for (const Entry &e : entries)
      byName[e.name] = &e;
    stored = storedTensors(model);
    byStored.assign(stored.size(), nullptr);
    const char *missingState = nullptr;
    for (size_t i = 0; i < stored.size(); ++i) {
      const Stored &t = stored[i];
      const dnn_tensor_info &info = t.info(model);
      const char *n = t.name.c_str();
      auto it = byName.find(t.name);
      if (it == byName.end()) {
        if (t.kind != Stored::State)
          return fail(DNN_ERROR_NOT_FOUND,
                      "checkpoint '%s' has no tensor for %s '%s'", path, t.what(), n);
        if (!missingState)
          missingState = n;
        continue;
      }
      const Entry &e = *it->second;
      if (e.dtype != "F32")
        return fail(DNN_ERROR_DTYPE_MISMATCH,
                    "%s '%s': expected F32 but the checkpoint '%s' has %s",
                    t.what(), n, path, e.dtype.c_str());
      std::vector<int64_t> expected;
      for (int32_t d = 0; d < info.rank; ++d)
        expected.push_back(info.dims[d].size);
      if (e.shape != expected)
        return fail(DNN_ERROR_SHAPE_MISMATCH,
                    "%s '%s': expected shape %s but the checkpoint '%s' "
                    "has %s",
                    t.what(), n,
                    dimsString(expected).c_str(), path, dimsString(e.shape).c_str());
      byStored[i] = &e;
      hasState |= t.kind == Stored::State;
      byName.erase(it);
    }
    if (hasState && missingState)
      return corrupt("has optimizer state but not '%s'", missingState);
    if (!byName.empty())
      return corrupt("has tensor '%s', which model '%s' does not have",
                     byName.begin()->first.c_str(), model.name);
    return DNN_OK;
  }

  dnn_session &session;
  const dnn_model_info &model;
  const char *path;
  uint64_t dataStart = 0, dataSize = 0;
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
  std::vector<Stored> stored;
  std::vector<const Entry *> byStored; ///< Null for absent optimizer state.
  bool hasState = false;
};

} // namespace

extern "C" dnn_status dnn_session_save_params(const dnn_session *session,
                                              const char *path) {
  return guarded([&]() -> dnn_status {
    if (!session || !path || !*path)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_save_params: session and path must not be null "
                  "or empty");
    return save(*session, path);
  });
}

extern "C" dnn_status dnn_session_load_params(dnn_session *session,
                                              const char *path) {
  return guarded([&]() -> dnn_status {
    if (!session || !path || !*path)
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_session_load_params: session and path must not be null "
                  "or empty");
    return Loader(*session, path).load();
  });
}
