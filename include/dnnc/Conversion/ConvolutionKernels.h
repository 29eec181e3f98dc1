//===- ConvolutionKernels.h - Which CPU kernel a convolution gradient takes ===//
//
// convert-dnn-to-linalg decides whether a filter gradient becomes the direct
// generic or a matmul over im2col columns; dnn-tile-and-vectorize then picks
// the direct kernel (along output rows or along output channels). Both
// decisions rest on the same register arithmetic for the target's vector
// width, kept here once.
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_CONVERSION_CONVOLUTIONKERNELS_H
#define DNNC_CONVERSION_CONVOLUTIONKERNELS_H

#include <cstdint>

namespace dnnc {

/// Vector registers a kernel may hold accumulators in: 24 of the 32 AVX-512
/// registers (12 of AVX2's 16), the rest for the rows it reads and the
/// broadcast weights.
inline int64_t accumulatorRegisters(int64_t vectorWidth) { return vectorWidth >= 16 ? 24 : 12; }

/// Whether rows of `length` floats fill at least 3/4 of the vector registers
/// they take (rows of 10 in 16 lanes do not; of 28 in two registers, yes).
inline bool rowsFillRegisters(int64_t length, int64_t vectorWidth) {
  int64_t pieces = (length + vectorWidth - 1) / vectorWidth;
  return 4 * length >= 3 * vectorWidth * pieces;
}

/// Whether a direct filter gradient (dw[f, c, kh, kw] over output rows of
/// OW) takes the kernel vectorized along the output channels rather than
/// the one along output rows: the channels fill whole registers, a window
/// row's accumulators fit, and the row kernel would run below its best, on
/// rows that leave a quarter of their registers idle (LeNet-5's second
/// layer, rows of 10 in 16 lanes) or on a window too long for its
/// accumulators to cover a useful block of it (cifar_cnn's second layer,
/// 32x3x3: 5.3 ms along rows, 3.1 ms along channels plus 0.5 ms for the
/// transpose of dy, batch 64, one thread). Short windows on full rows stay
/// with the row kernel (cifar_cnn's first layer, 3x3x3 on rows of 32: 1.5
/// ms, against 2.6 ms along channels).
inline bool filterGradientAlongChannels(int64_t F, int64_t C, int64_t KH, int64_t KW,
                                        int64_t OW, int64_t vectorWidth) {
  if (F % vectorWidth != 0 || KW > accumulatorRegisters(vectorWidth))
    return false;
  return !rowsFillRegisters(OW, vectorWidth) || C * KH * KW > 32;
}

/// Whether a unit-stride filter gradient is better as a direct kernel than
/// as a matmul over im2col columns. As a matmul, the gradient is
/// [C*KH*KW, N*OH*OW] @ [N*OH*OW, F]: with a short window its product is a
/// handful of register tiles, too few for the threads, and few output
/// channels run on a fraction of the lanes (LeNet-5's first layer, 1x5x5:
/// 0.81-0.98 ms with its im2col columns, 0.49 ms direct, batch 128, one
/// thread; cifar_cnn's first, 3x3x3: 3.7 -> 1.9 ms at batch 64). So: the
/// row kernel where the window is short and the rows fill their registers,
/// and the kernel along the output channels wherever it applies (no im2col
/// columns: LeNet-5's second layer, batch 128, one thread: the copy of its
/// 7.7 MB of columns and the matmul streaming them back took 0.75 ms, the
/// kernel and its transpose of dy 0.39 ms). A long window on channels that
/// do not fill registers stays a matmul, which has large tiles and a long
/// reduction there.
inline bool prefersDirectFilterGradient(int64_t F, int64_t C, int64_t KH, int64_t KW,
                                        int64_t OW, int64_t vectorWidth) {
  if (C * KH * KW <= 32 && OW <= 32 && rowsFillRegisters(OW, vectorWidth))
    return true;
  return F % vectorWidth == 0 && KW <= accumulatorRegisters(vectorWidth);
}

} // namespace dnnc

#endif // DNNC_CONVERSION_CONVOLUTIONKERNELS_H
