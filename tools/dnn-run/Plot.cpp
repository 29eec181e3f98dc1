//===- Plot.cpp - A small SVG line plot for loss curves ------------------===//

#include "Plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

using namespace dnn;

static std::string escape(const std::string &text) {
  std::string s;
  for (char c : text) {
    switch (c) {
    case '&':
      s += "&amp;";
      break;
    case '<':
      s += "&lt;";
      break;
    case '>':
      s += "&gt;";
      break;
    case '"':
      s += "&quot;";
      break;
    default:
      s += c;
    }
  }
  return s;
}

static std::string num(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.1f", v);
  return s;
}

static std::string label(double v) {
  if (std::fabs(v) < 1e-12)
    v = 0;
  char s[32];
  std::snprintf(s, sizeof s, "%g", v);
  return s;
}

std::vector<double> dnn::niceTicks(double &lo, double &hi, int maxTicks) {
  if (!(hi > lo)) {
    double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  double raw = (hi - lo) / std::max(maxTicks, 1);
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / magnitude;
  double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double t = lo; t <= hi + step * 1e-6; t += step)
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

std::string dnn::renderSvg(const Plot &plot) {
  const double left = 72, right = 24, top = 44, bottom = 56;
  const double x0 = left, x1 = plot.width - right, y0 = top, y1 = plot.height - bottom;

  // Data ranges over the finite points.
  double inf = std::numeric_limits<double>::infinity();
  double xmin = inf, xmax = -inf, ymin = inf, ymax = -inf;
  for (const PlotSeries &series : plot.series)
    for (auto [x, y] : series.points) {
      if (!std::isfinite(x) || !std::isfinite(y))
        continue;
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
      ymin = std::min(ymin, y);
      ymax = std::max(ymax, y);
    }
  bool empty = !(xmin <= xmax);
  if (empty) {
    xmin = 0;
    xmax = 1;
    ymin = 0;
    ymax = 1;
  }
  if (xmin >= 0)
    xmin = 0;

  // A log scale when positive values span more than two decades (a loss
  // falling from 2.3 to 0.01), else linear from 0 for non-negative values.
  bool logScale = ymin > 0 && ymax / ymin > 100;
  std::vector<double> xticks = niceTicks(xmin, xmax, 8);
  std::vector<double> yticks;
  double ylo, yhi;
  if (logScale) {
    ylo = std::floor(std::log10(ymin));
    yhi = std::ceil(std::log10(ymax));
    for (double e = ylo; e <= yhi; ++e) {
      double p = std::pow(10.0, e);
      yticks.push_back(p);
      if (yhi - ylo <= 3 && e < yhi) {
        yticks.push_back(2 * p);
        yticks.push_back(5 * p);
      }
    }
  } else {
    ylo = ymin >= 0 ? 0 : ymin;
    yhi = ymax;
    yticks = niceTicks(ylo, yhi, 6);
  }

  auto sx = [&](double x) { return x0 + (x - xmin) / (xmax - xmin) * (x1 - x0); };
  auto sy = [&](double y) {
    double v = logScale ? std::log10(y) : y;
    return y1 - (v - ylo) / (yhi - ylo) * (y1 - y0);
  };

  std::string svg;
  svg += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(plot.width) +
         "\" height=\"" + std::to_string(plot.height) + "\" viewBox=\"0 0 " +
         std::to_string(plot.width) + " " + std::to_string(plot.height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num((x0 + x1) / 2) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">" +
         escape(plot.title) + "</text>\n";

  // Grid and ticks.
  svg += "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n";
  for (double t : xticks)
    svg += "<line x1=\"" + num(sx(t)) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(sx(t)) +
           "\" y2=\"" + num(y1) + "\"/>\n";
  for (double t : yticks)
    svg += "<line x1=\"" + num(x0) + "\" y1=\"" + num(sy(t)) + "\" x2=\"" + num(x1) + "\" y2=\"" +
           num(sy(t)) + "\"/>\n";
  svg += "</g>\n";
  if (!plot.guides.empty() && plot.guides.size() <= 200) {
    svg += "<g stroke=\"#bbbbbb\" stroke-width=\"1\" stroke-dasharray=\"3,3\">\n";
    for (double g : plot.guides)
      if (g >= xmin && g <= xmax)
        svg += "<line x1=\"" + num(sx(g)) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(sx(g)) +
               "\" y2=\"" + num(y1) + "\"/>\n";
    svg += "</g>\n";
  }
  svg += "<g fill=\"#333333\">\n";
  for (double t : xticks)
    svg += "<text x=\"" + num(sx(t)) + "\" y=\"" + num(y1 + 18) + "\" text-anchor=\"middle\">" +
           label(t) + "</text>\n";
  for (double t : yticks)
    svg += "<text x=\"" + num(x0 - 8) + "\" y=\"" + num(sy(t) + 4) + "\" text-anchor=\"end\">" +
           label(t) + "</text>\n";
  svg += "</g>\n";
  svg += "<rect x=\"" + num(x0) + "\" y=\"" + num(y0) + "\" width=\"" + num(x1 - x0) +
         "\" height=\"" + num(y1 - y0) + "\" fill=\"none\" stroke=\"#333333\"/>\n";
  svg += "<text x=\"" + num((x0 + x1) / 2) + "\" y=\"" + num(plot.height - 14.0) +
         "\" text-anchor=\"middle\">" + escape(plot.xLabel) + "</text>\n";
  svg += "<text transform=\"translate(18," + num((y0 + y1) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + escape(plot.yLabel) +
         (logScale ? " (log scale)" : "") + "</text>\n";
  if (empty)
    svg += "<text x=\"" + num((x0 + x1) / 2) + "\" y=\"" + num((y0 + y1) / 2) +
           "\" text-anchor=\"middle\" fill=\"#999999\">no data</text>\n";

  // The series, clipped to the plot area.
  svg += "<defs><clipPath id=\"area\"><rect x=\"" + num(x0) + "\" y=\"" + num(y0) + "\" width=\"" +
         num(x1 - x0) + "\" height=\"" + num(y1 - y0) + "\"/></clipPath></defs>\n";
  svg += "<g clip-path=\"url(#area)\">\n";
  for (const PlotSeries &series : plot.series) {
    std::string opacity = series.opacity < 1 ? label(series.opacity) : "1";
    if (series.style == PlotSeries::Line) {
      std::string points;
      for (auto [x, y] : series.points)
        if (std::isfinite(x) && std::isfinite(y) && (!logScale || y > 0))
          points += (points.empty() ? "" : " ") + num(sx(x)) + "," + num(sy(y));
      if (!points.empty())
        svg += "<polyline fill=\"none\" stroke=\"" + series.color +
               "\" stroke-width=\"1.5\" stroke-linejoin=\"round\" stroke-opacity=\"" + opacity +
               "\" points=\"" + points + "\"/>\n";
    } else {
      for (auto [x, y] : series.points)
        if (std::isfinite(x) && std::isfinite(y) && (!logScale || y > 0))
          svg += "<circle cx=\"" + num(sx(x)) + "\" cy=\"" + num(sy(y)) + "\" r=\"4.5\" fill=\"" +
                 series.color + "\" fill-opacity=\"" + opacity +
                 "\" stroke=\"white\" stroke-width=\"1\"/>\n";
    }
  }
  svg += "</g>\n";

  // Legend, top right inside the plot area, on a translucent background.
  // Its width from the longest label, at about 6.6 pixels a character.
  double ly = y0 + 16;
  int entries = 0;
  size_t longest = 0;
  for (const PlotSeries &series : plot.series) {
    entries += !series.label.empty();
    longest = std::max(longest, series.label.size());
  }
  double legendWidth = 44 + 6.6 * (double)longest;
  double lx = x1 - legendWidth - 4;
  svg += "<g>\n";
  if (entries)
    svg += "<rect x=\"" + num(lx) + "\" y=\"" + num(y0 + 2) + "\" width=\"" + num(legendWidth) +
           "\" height=\"" + num(18.0 * entries + 6) + "\" fill=\"white\" fill-opacity=\"0.8\"/>\n";
  lx += 6;
  for (const PlotSeries &series : plot.series) {
    if (series.label.empty())
      continue;
    if (series.style == PlotSeries::Line)
      svg += "<line x1=\"" + num(lx) + "\" y1=\"" + num(ly - 4) + "\" x2=\"" + num(lx + 24) +
             "\" y2=\"" + num(ly - 4) + "\" stroke=\"" + series.color + "\" stroke-opacity=\"" +
             label(std::max(series.opacity, 0.5)) + "\" stroke-width=\"2\"/>\n";
    else
      svg += "<circle cx=\"" + num(lx + 12) + "\" cy=\"" + num(ly - 4) + "\" r=\"4.5\" fill=\"" +
             series.color + "\"/>\n";
    svg += "<text x=\"" + num(lx + 32) + "\" y=\"" + num(ly) + "\">" + escape(series.label) +
           "</text>\n";
    ly += 18;
  }
  svg += "</g>\n</svg>\n";
  return svg;
}
