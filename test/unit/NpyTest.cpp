//===- NpyTest.cpp - Reading and writing NumPy .npy files -----------------===//

#include "dnn/runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::string_literals;

/// Each test gets a fresh temporary directory, removed afterwards.
class NpyTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "dnn-npy-XXXXXX";
    ASSERT_NE(::mkdtemp(&pattern[0]), nullptr);
    dir = pattern;
  }
  void TearDown() override {
    for (const std::string &file : files)
      std::remove(file.c_str());
    ::rmdir(dir.c_str());
  }

  std::string path(const std::string &name) {
    files.push_back(dir + "/" + name);
    return files.back();
  }

  /// Writes `bytes` to a new file and returns its path.
  std::string file(const std::string &bytes, const std::string &name = "in.npy") {
    std::string p = path(name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

  static std::string contents(const std::string &p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  /// Reads `p` expecting `status` and a last error containing `message`.
  static void expectReadError(const std::string &p, dnn_status status, const std::string &message) {
    dnn_tensor t;
    std::memset(&t, 0xab, sizeof t);
    EXPECT_EQ(dnn_npy_read(p.c_str(), &t), status) << dnn_last_error();
    EXPECT_NE(std::string(dnn_last_error()).find(message), std::string::npos)
        << "last error: " << dnn_last_error() << "\nexpected to contain: " << message;
    // A failed read leaves an empty tensor that is safe to free.
    EXPECT_EQ(t.data, nullptr);
    dnn_tensor_free(&t);
  }

  std::string dir;
  std::vector<std::string> files;
};

/// A version 1.0 file with `dict` as the header (padded like NumPy does) and
/// `data` after it.
std::string npy(const std::string &dict, const std::string &data = "", int major = 1) {
  size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY"s + char(major) + '\0';
  size_t n = header.size();
  out += char(n & 0xff);
  out += char(n >> 8 & 0xff);
  if (major != 1) {
    out += char(n >> 16 & 0xff);
    out += char(n >> 24 & 0xff);
  }
  return out + header + data;
}

std::string floatBytes(std::vector<float> values) {
  return std::string(reinterpret_cast<const char *>(values.data()), values.size() * 4);
}

std::string dict(const std::string &descr, const std::string &shape,
                 const std::string &order = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }";
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST_F(NpyTest, RoundTripF32AllRanks) {
  std::vector<float> values(2 * 3 * 4);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 0.5f * i - 3.25f;
  const std::vector<std::vector<int64_t>> shapes = {{}, {5}, {2, 3}, {2, 3, 4}, {0, 3}};
  for (const auto &shape : shapes) {
    dnn_tensor t{};
    t.dtype = DNN_DTYPE_F32;
    t.rank = (int32_t)shape.size();
    for (size_t i = 0; i < shape.size(); ++i)
      t.dims[i] = shape[i];
    t.data = values.data();
    std::string p = path("f32-" + std::to_string(shape.size()) + ".npy");
    ASSERT_EQ(dnn_npy_write(p.c_str(), &t), DNN_OK) << dnn_last_error();
    EXPECT_STREQ(dnn_last_error(), "");

    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    std::string bytes = contents(p);
    // Data starts at a multiple of 64 and nothing follows it.
    ASSERT_GE(bytes.size(), 64u);
    EXPECT_EQ((bytes.size() - 4 * count) % 64, 0u);
    EXPECT_EQ(bytes[bytes.size() - 4 * count - 1], '\n');

    dnn_tensor r;
    ASSERT_EQ(dnn_npy_read(p.c_str(), &r), DNN_OK) << dnn_last_error();
    EXPECT_STREQ(dnn_last_error(), "");
    EXPECT_EQ(r.name, nullptr);
    EXPECT_EQ(r.dtype, DNN_DTYPE_F32);
    ASSERT_EQ(r.rank, t.rank);
    for (int32_t i = 0; i < r.rank; ++i)
      EXPECT_EQ(r.dims[i], shape[i]);
    ASSERT_NE(r.data, nullptr);
    EXPECT_EQ(std::memcmp(r.data, values.data(), 4 * count), 0);
    dnn_tensor_free(&r);
    EXPECT_EQ(r.data, nullptr);
  }
}

TEST_F(NpyTest, RoundTripI32) {
  std::vector<int32_t> values = {0, -1, 2147483647, -2147483647 - 1, 42, 7};
  dnn_tensor t{};
  t.name = "labels";
  t.dtype = DNN_DTYPE_I32;
  t.rank = 2;
  t.dims[0] = 3;
  t.dims[1] = 2;
  t.data = values.data();
  std::string p = path("i32.npy");
  ASSERT_EQ(dnn_npy_write(p.c_str(), &t), DNN_OK) << dnn_last_error();
  dnn_tensor r;
  ASSERT_EQ(dnn_npy_read(p.c_str(), &r), DNN_OK) << dnn_last_error();
  EXPECT_EQ(r.dtype, DNN_DTYPE_I32);
  EXPECT_EQ(r.rank, 2);
  EXPECT_EQ(r.dims[0], 3);
  EXPECT_EQ(r.dims[1], 2);
  EXPECT_EQ(std::memcmp(r.data, values.data(), values.size() * 4), 0);
  dnn_tensor_free(&r);
}

TEST_F(NpyTest, WritesTheNumPyHeader) {
  float values[3] = {1, 2, 3};
  dnn_tensor t{};
  t.dtype = DNN_DTYPE_F32;
  t.rank = 1;
  t.dims[0] = 3;
  t.data = values;
  std::string p = path("out.npy");
  ASSERT_EQ(dnn_npy_write(p.c_str(), &t), DNN_OK) << dnn_last_error();
  // 10 bytes of preamble, 118 of header (the dict, spaces, '\n'): the data
  // starts at 128.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  header += std::string(117 - header.size(), ' ') + "\n";
  std::string expected = "\x93NUMPY\x01\x00\x76\x00"s + header + floatBytes({1, 2, 3});
  EXPECT_EQ(contents(p), expected);
}

//===----------------------------------------------------------------------===//
// Files as NumPy writes them
//===----------------------------------------------------------------------===//

// np.save("a.npy", np.arange(6, dtype=np.float32).reshape(2, 3)) with NumPy
// 1.26: the header has 20 extra spaces for growing the first dimension.
TEST_F(NpyTest, ReadsNumPyOutput) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
                       std::string(20, ' ');
  header += std::string(128 - 10 - 1 - header.size(), ' ') + "\n";
  ASSERT_EQ(header.size(), 118u);
  std::string bytes = "\x93NUMPY\x01\x00\x76\x00"s + header + floatBytes({0, 1, 2, 3, 4, 5});
  dnn_tensor t;
  ASSERT_EQ(dnn_npy_read(file(bytes).c_str(), &t), DNN_OK) << dnn_last_error();
  EXPECT_EQ(t.dtype, DNN_DTYPE_F32);
  ASSERT_EQ(t.rank, 2);
  EXPECT_EQ(t.dims[0], 2);
  EXPECT_EQ(t.dims[1], 3);
  const float *data = static_cast<const float *>(t.data);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(data[i], float(i));
  dnn_tensor_free(&t);
}

TEST_F(NpyTest, ReadsOtherHeaderSpellings) {
  struct Case {
    std::string dict;
    int major;
    int32_t rank;
  } cases[] = {
      // Version 2.0 and 3.0 headers have a 4-byte length.
      {dict("<i4", "(3,)"), 2, 1},
      {dict("<i4", "(3,)"), 3, 1},
      // Any key order, double quotes, no trailing comma, odd spacing.
      {"{\"shape\": ( 3 , ), \"descr\": \"<i4\", \"fortran_order\": False}", 1, 1},
      // Python 2 long literals.
      {dict("<i4", "(1L, 3L)"), 1, 2},
      {dict("<i4", "(1, 1, 3)"), 1, 3},
  };
  std::string data = "\x01\0\0\0\x02\0\0\0\x03\0\0\0"s;
  for (const Case &c : cases) {
    SCOPED_TRACE(c.dict);
    dnn_tensor t;
    ASSERT_EQ(dnn_npy_read(file(npy(c.dict, data, c.major)).c_str(), &t), DNN_OK)
        << dnn_last_error();
    EXPECT_EQ(t.dtype, DNN_DTYPE_I32);
    EXPECT_EQ(t.rank, c.rank);
    EXPECT_EQ(static_cast<int32_t *>(t.data)[2], 3);
    dnn_tensor_free(&t);
  }
}

TEST_F(NpyTest, ReadsEmptyArrays) {
  dnn_tensor t;
  ASSERT_EQ(dnn_npy_read(file(npy(dict("<f4", "(0, 4)"))).c_str(), &t), DNN_OK)
      << dnn_last_error();
  EXPECT_EQ(t.rank, 2);
  EXPECT_EQ(t.dims[0], 0);
  EXPECT_NE(t.data, nullptr);
  dnn_tensor_free(&t);
}

//===----------------------------------------------------------------------===//
// Corrupt and unsupported files
//===----------------------------------------------------------------------===//

TEST_F(NpyTest, MissingFile) {
  std::string p = dir + "/missing.npy";
  expectReadError(p, DNN_ERROR_NOT_FOUND, "'" + p + "': cannot open: No such file");
}

TEST_F(NpyTest, Directory) { expectReadError(dir, DNN_ERROR_IO, "not a regular file"); }

TEST_F(NpyTest, BadMagic) {
  expectReadError(file(""), DNN_ERROR_FORMAT, "not a .npy file (bad magic)");
  expectReadError(file("\x93NUM"), DNN_ERROR_FORMAT, "not a .npy file (bad magic)");
  expectReadError(file("PK\x03\x04 a zip file, maybe an .npz"), DNN_ERROR_FORMAT,
                  "not a .npy file (bad magic)");
}

TEST_F(NpyTest, TruncatedPreamble) {
  expectReadError(file("\x93NUMPY\x01"), DNN_ERROR_FORMAT, "truncated .npy preamble");
  expectReadError(file("\x93NUMPY\x01\x00\x10"s), DNN_ERROR_FORMAT, "truncated .npy preamble");
  expectReadError(file("\x93NUMPY\x02\x00\x10\x00\x00"s), DNN_ERROR_FORMAT,
                  "truncated .npy preamble");
}

TEST_F(NpyTest, UnsupportedVersion) {
  std::string good = npy(dict("<f4", "()"), floatBytes({1}));
  std::string v4 = good, v11 = good, v0 = good;
  v4[6] = 4;
  v11[7] = 1;
  v0[6] = 0;
  expectReadError(file(v4), DNN_ERROR_FORMAT, "unsupported .npy format version 4.0");
  expectReadError(file(v11), DNN_ERROR_FORMAT, "unsupported .npy format version 1.1");
  expectReadError(file(v0), DNN_ERROR_FORMAT, "unsupported .npy format version 0.0");
}

TEST_F(NpyTest, TruncatedHeader) {
  std::string bytes = npy(dict("<f4", "(2,)"), floatBytes({1, 2}));
  expectReadError(file(bytes.substr(0, 40)), DNN_ERROR_FORMAT,
                  "truncated .npy header (118 bytes, file has 30)");
  // A length field far beyond the file.
  expectReadError(file("\x93NUMPY\x02\x00\xff\xff\xff\xff{}"s), DNN_ERROR_FORMAT,
                  "truncated .npy header (4294967295 bytes, file has 2)");
}

TEST_F(NpyTest, MalformedHeader) {
  struct Case {
    std::string dict, message;
  } cases[] = {
      {"", "expected '{'"},
      {"descr", "expected '{'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "expected ',' or '}'"},
      {"{'descr' '<f4'}", "expected ':' after 'descr'"},
      {"{descr: '<f4'}", "expected a string key or '}'"},
      {"{'descr': '<f4}", "'descr' is not a string"},
      {"{'descr': 4}", "'descr' is not a string"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",
       "'fortran_order' is not True or False"},
      {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}",
       "'fortran_order' is not True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "'shape' is not a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}",
       "expected ',' or ')' in 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (a,)}",
       "'shape' is not a tuple of integers"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
       "unexpected key 'extra'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
       "duplicate key 'descr'"},
      {"{'fortran_order': False, 'shape': (2,)}", "missing key 'descr'"},
      {"{'descr': '<f4', 'shape': (2,)}", "missing key 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", "unexpected text after"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.dict);
    expectReadError(file(npy(c.dict, floatBytes({1, 2}))), DNN_ERROR_FORMAT,
                    "malformed .npy header: " + c.message);
  }
}

TEST_F(NpyTest, UnsupportedDtype) {
  std::string p = file(npy(dict("<f8", "(2,)"), std::string(16, '\0')), "x.npy");
  expectReadError(p, DNN_ERROR_DTYPE_MISMATCH,
                  "'" + p + "': unsupported dtype '<f8'; expected '<f4' (float32) or '<i4' (int32)");
  for (const char *descr : {">f4", ">i4", "<i8", "|u1", "<f2", "|b1", "<U5", "O"}) {
    SCOPED_TRACE(descr);
    expectReadError(file(npy(dict(descr, "(2,)"), std::string(8, '\0'))),
                    DNN_ERROR_DTYPE_MISMATCH, "unsupported dtype '" + std::string(descr) + "'");
  }
  expectReadError(
      file(npy("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }",
               std::string(8, '\0'))),
      DNN_ERROR_DTYPE_MISMATCH, "unsupported structured dtype");
}

TEST_F(NpyTest, FortranOrder) {
  expectReadError(file(npy(dict("<f4", "(2, 2)", "True"), floatBytes({1, 2, 3, 4}))),
                  DNN_ERROR_FORMAT, "Fortran-order arrays are not supported");
}

TEST_F(NpyTest, BadShapes) {
  expectReadError(file(npy(dict("<f4", "(1, 1, 1, 1, 1, 1, 1, 1, 1)"), floatBytes({1}))),
                  DNN_ERROR_SHAPE_MISMATCH, "rank 9 exceeds the maximum of 8");
  expectReadError(file(npy(dict("<f4", "(2, -3)"))), DNN_ERROR_FORMAT,
                  "negative dimension -3 in the shape");
  expectReadError(file(npy(dict("<f4", "(99999999999999999999,)"))), DNN_ERROR_FORMAT,
                  "dimension 0 of the shape is too large");
  expectReadError(file(npy(dict("<f4", "(4294967296, 4294967296)"))), DNN_ERROR_FORMAT,
                  "shape [4294967296, 4294967296] is too large");
  // Fits int64 as a count, not as bytes.
  expectReadError(file(npy(dict("<f4", "(4611686018427387904,)"))), DNN_ERROR_FORMAT,
                  "is too large");
}

TEST_F(NpyTest, TruncatedData) {
  std::string p = file(npy(dict("<f4", "(2, 3)"), floatBytes({1, 2, 3, 4, 5})), "t.npy");
  expectReadError(p, DNN_ERROR_FORMAT,
                  "'" + p + "': truncated data: shape [2, 3] of f32 needs 24 bytes of data, "
                            "file has 20");
  expectReadError(file(npy(dict("<i4", "(1,)"))), DNN_ERROR_FORMAT,
                  "truncated data: shape [1] of i32 needs 4 bytes of data, file has 0");
}

TEST_F(NpyTest, TrailingData) {
  expectReadError(file(npy(dict("<f4", "(2,)"), floatBytes({1, 2}) + "junk")), DNN_ERROR_FORMAT,
                  "trailing data: shape [2] of f32 needs 8 bytes of data, file has 12");
  // A second array appended to the first.
  std::string one = npy(dict("<f4", "()"), floatBytes({1}));
  expectReadError(file(one + one), DNN_ERROR_FORMAT, "trailing data");
}

//===----------------------------------------------------------------------===//
// API misuse and write errors
//===----------------------------------------------------------------------===//

TEST_F(NpyTest, NullArguments) {
  dnn_tensor t{};
  EXPECT_EQ(dnn_npy_read(nullptr, &t), DNN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(dnn_npy_read("x.npy", nullptr), DNN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(dnn_npy_write(nullptr, &t), DNN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(dnn_npy_write("x.npy", nullptr), DNN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(dnn_last_error()), "");
  dnn_tensor_free(nullptr);
}

TEST_F(NpyTest, WriteRejectsInvalidTensors) {
  float value = 1;
  dnn_tensor t{};
  t.name = "w";
  t.dtype = DNN_DTYPE_F32;
  t.rank = 1;
  t.dims[0] = 1;
  t.data = &value;
  std::string p = dir + "/bad.npy";

  dnn_tensor bad = t;
  bad.dtype = DNN_DTYPE_F64; // named in dnn/model.h, but .npy I/O is f32/i32 only
  EXPECT_EQ(dnn_npy_write(p.c_str(), &bad), DNN_ERROR_DTYPE_MISMATCH);
  EXPECT_NE(std::string(dnn_last_error()).find("cannot write 'w' of f64; expected f32 or i32"),
            std::string::npos)
      << dnn_last_error();
  bad.dtype = 99;
  EXPECT_EQ(dnn_npy_write(p.c_str(), &bad), DNN_ERROR_DTYPE_MISMATCH);
  EXPECT_NE(std::string(dnn_last_error()).find("cannot write 'w' of dtype 99"), std::string::npos)
      << dnn_last_error();
  bad = t;
  bad.rank = 9;
  EXPECT_EQ(dnn_npy_write(p.c_str(), &bad), DNN_ERROR_INVALID_ARGUMENT);
  bad.rank = -1;
  EXPECT_EQ(dnn_npy_write(p.c_str(), &bad), DNN_ERROR_INVALID_ARGUMENT);
  bad = t;
  bad.dims[0] = -2;
  EXPECT_EQ(dnn_npy_write(p.c_str(), &bad), DNN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(dnn_last_error()).find("invalid shape [-2]"), std::string::npos);
  bad = t;
  bad.data = nullptr;
  EXPECT_EQ(dnn_npy_write(p.c_str(), &bad), DNN_ERROR_INVALID_ARGUMENT);
  struct stat st;
  EXPECT_NE(::stat(p.c_str(), &st), 0) << "nothing is written for an invalid tensor";

  std::string noDir = dir + "/no/such/dir/out.npy";
  EXPECT_EQ(dnn_npy_write(noDir.c_str(), &t), DNN_ERROR_NOT_FOUND);
  EXPECT_NE(std::string(dnn_last_error()).find("cannot create"), std::string::npos);
  EXPECT_EQ(dnn_npy_write(dir.c_str(), &t), DNN_ERROR_IO);
}

TEST_F(NpyTest, SuccessClearsTheLastError) {
  dnn_tensor t;
  EXPECT_NE(dnn_npy_read(file("garbage").c_str(), &t), DNN_OK);
  EXPECT_STRNE(dnn_last_error(), "");
  ASSERT_EQ(dnn_npy_read(file(npy(dict("<f4", "()"), floatBytes({2})), "ok.npy").c_str(), &t),
            DNN_OK);
  EXPECT_STREQ(dnn_last_error(), "");
  EXPECT_EQ(*static_cast<float *>(t.data), 2.0f);
  dnn_tensor_free(&t);
  dnn_tensor_free(&t); // data is null now: a no-op
}

} // namespace
