//===- Plot.h - A small SVG line plot for loss curves -----------*- C++ -*-===//
//
// `dnn-run train --plot loss.svg` draws the training loss per step and the
// evaluation losses per epoch with this: a self-contained SVG document with
// axes, "nice" ticks (1, 2, 5 x 10^k; powers of ten on a log scale when the
// values span more than two decades), axis labels, a title and a legend.
// Plain C++17.
//
//===----------------------------------------------------------------------===//
#ifndef DNN_TOOLS_DNN_RUN_PLOT_H
#define DNN_TOOLS_DNN_RUN_PLOT_H

#include <string>
#include <utility>
#include <vector>

namespace dnn {

struct PlotSeries {
  enum Style { Line, Markers };
  std::string label; /// in the legend
  Style style = Line;
  std::string color;                             /// an SVG color, "#1f77b4"
  double opacity = 1;                            /// of the line or the markers
  std::vector<std::pair<double, double>> points; /// (x, y); non-finite y are skipped
};

struct Plot {
  std::string title, xLabel, yLabel;
  std::vector<PlotSeries> series;
  /// x positions of faint vertical guides (epoch boundaries).
  std::vector<double> guides;
  int width = 800, height = 480;
};

/// The SVG document. A plot without finite points still has axes and the
/// title, with "no data" in the middle.
std::string renderSvg(const Plot &plot);

/// Tick positions covering [lo, hi] on a linear axis, at most about
/// `maxTicks` of them, on multiples of 1, 2 or 5 x 10^k; `lo` and `hi` are
/// widened to the outer ticks.
std::vector<double> niceTicks(double &lo, double &hi, int maxTicks);

} // namespace dnn

#endif // DNN_TOOLS_DNN_RUN_PLOT_H
