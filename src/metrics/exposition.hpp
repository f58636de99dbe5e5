// Prometheus text exposition (format 0.0.4): families with HELP and TYPE, samples with escaped
// label values, histograms with cumulative buckets, _sum and _count. What `promtool check
// metrics` accepts: every family named once, its samples right after its header, base units.
//
// Ownership and threading: a plain value built by one thread (the scrape), then taken.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spool::metrics {

using Label = std::pair<std::string_view, std::string_view>;

// Fixed-bucket histogram: counts per bucket (upper bounds inclusive, as Prometheus' `le`) plus
// one for +Inf. Not synchronised: its owner guards it.
class Histogram {
 public:
  // REQUIRES: bounds ascending; they must outlive the histogram (use a static array).
  explicit Histogram(std::span<const double> bounds)
      : bounds_(bounds), counts_(bounds.size() + 1, 0) {}

  void observe(double value) {
    std::size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    ++counts_[i];
    sum_ += value;
    ++count_;
  }

  std::span<const double> bounds() const { return bounds_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }  // per bucket, last +Inf
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::span<const double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

class Exposition {
 public:
  // Starts a family. type: "counter", "gauge" or "histogram". A counter's name ends in _total.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);
  void sample(std::string_view name, std::span<const Label> labels, double value);
  // Writes name_bucket{...,le="..."} (cumulative), name_sum and name_count.
  void histogram(std::string_view name, std::initializer_list<Label> labels, const Histogram& h);

  std::string take() { return std::move(out_); }

 private:
  void labels(std::span<const Label> labels, std::string_view le = {});
  std::string out_;
};

// A number as Prometheus writes it: integers without a fraction, +Inf, -Inf, NaN.
std::string format_value(double value);

}  // namespace spool::metrics
