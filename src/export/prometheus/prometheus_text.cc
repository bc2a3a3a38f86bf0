#include "export/prometheus/prometheus_text.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace otelbpf::prometheus {
namespace {

using metrics::DataPoint;
using metrics::HistogramValue;
using metrics::MetricData;
using metrics::MetricKind;

constexpr std::string_view kTargetInfo = "target_info";

const char* TypeName(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kHistogram:
      return "histogram";
    case MetricKind::kUpDownCounter:
    case MetricKind::kGauge:
      break;
  }
  return "gauge";
}

std::string StringAttribute(const Resource& r, std::string_view key) {
  const AttributeValue* v = FindAttribute(r.attributes, key);
  return v ? AttributeValueToString(*v) : std::string();
}

bool HasLabel(const Labels& labels, std::string_view name) {
  return std::any_of(labels.begin(), labels.end(), [&](const auto& l) { return l.first == name; });
}

// `base` followed by `extra`, with extra labels renamed exported_<name> when they would clash
// with a label already set or with one of `reserved`; dropped when even that name is taken.
Labels Merge(const Labels& base, Labels extra, std::initializer_list<std::string_view> reserved) {
  Labels out = base;
  out.reserve(base.size() + extra.size());
  for (auto& [name, value] : extra) {
    const bool is_reserved = std::find(reserved.begin(), reserved.end(), name) != reserved.end();
    if (is_reserved || HasLabel(out, name)) {
      name.insert(0, "exported_");
      if (HasLabel(out, name)) continue;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

// `a="x",b="y"` without braces, so `le` can be appended.
std::string RenderInner(const Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    if (!out.empty()) out.push_back(',');
    out.append(name).append("=\"");
    AppendLabelValue(&out, value);
    out.push_back('"');
  }
  return out;
}

void AppendSample(std::string* out, std::string_view name, const std::string& inner,
                  std::string_view le, std::string_view value) {
  out->append(name);
  if (!inner.empty() || !le.empty()) {
    out->push_back('{');
    out->append(inner);
    if (!le.empty()) {
      if (!inner.empty()) out->push_back(',');
      out->append("le=\"").append(le).push_back('"');
    }
    out->push_back('}');
  }
  out->push_back(' ');
  out->append(value);
  out->push_back('\n');
}

struct Family {
  std::string name;
  std::string help;
  MetricKind kind;
  std::string samples;
  std::unordered_set<std::string> series;  // rendered label sets already written
};

class Exposition {
 public:
  Exposition() {
    target_info_.name = kTargetInfo;
    target_info_.help = "Target metadata";
    target_info_.kind = MetricKind::kGauge;
    sample_owner_.emplace(kTargetInfo, kTargetInfoOwner);
  }

  void AddResource(const metrics::ResourceMetrics& rm) {
    const Labels target = TargetLabels(rm.resource.get());
    AddTargetInfo(rm.resource.get(), target);
    for (const MetricData& md : rm.metrics) AddMetric(md, target);
  }

  std::string Finish() && {
    std::string out;
    Write(target_info_, &out);
    for (const Family& f : families_) Write(f, &out);
    return out;
  }

 private:
  static constexpr size_t kTargetInfoOwner = SIZE_MAX;

  // One target_info per job/instance, for resources with attributes (spec: none for an empty
  // resource).
  void AddTargetInfo(const Resource* resource, const Labels& target) {
    if (resource == nullptr || resource->attributes.empty()) return;
    if (!target_info_.series.insert(RenderInner(target)).second) return;
    const Labels labels =
        Merge(target, AttributesToLabels(resource->attributes), {"job", "instance"});
    AppendSample(&target_info_.samples, kTargetInfo, RenderInner(labels), {}, "1");
  }

  static std::vector<std::string> SampleNames(const std::string& name, MetricKind kind) {
    if (kind != MetricKind::kHistogram) return {name};
    return {name, name + "_bucket", name + "_sum", name + "_count"};
  }

  // The family `md` belongs to; nullptr when it cannot join one without breaking the format.
  Family* FamilyFor(const MetricData& md) {
    std::string name = PrometheusMetricName(md.name, md.unit, md.kind);
    if (auto it = by_name_.find(name); it != by_name_.end()) {
      Family& f = families_[it->second];
      // An up-down counter and a gauge are both gauges: they may share a family.
      return std::string_view(TypeName(f.kind)) == TypeName(md.kind) ? &f : nullptr;
    }
    const std::vector<std::string> sample_names = SampleNames(name, md.kind);
    for (const std::string& s : sample_names) {
      if (sample_owner_.count(s) != 0) return nullptr;
    }
    const size_t index = families_.size();
    for (const std::string& s : sample_names) sample_owner_.emplace(s, index);
    by_name_.emplace(name, index);
    Family& f = families_.emplace_back();
    f.name = std::move(name);
    f.help = md.description.empty() ? md.name : md.description;
    f.kind = md.kind;
    return &f;
  }

  void AddMetric(const MetricData& md, const Labels& target) {
    Family* family = FamilyFor(md);
    if (family == nullptr) return;
    const bool histogram = md.kind == MetricKind::kHistogram;
    for (const DataPoint& p : md.points) {
      Labels point = AttributesToLabels(p.attributes);
      const Labels labels = histogram ? Merge(target, std::move(point), {"job", "instance", "le"})
                                      : Merge(target, std::move(point), {"job", "instance"});
      std::string inner = RenderInner(labels);
      if (family->series.count(inner) != 0) continue;
      const bool written =
          histogram ? AppendHistogram(family, inner, p) : AppendNumber(family, inner, p);
      if (written) family->series.insert(std::move(inner));
    }
  }

  static bool AppendNumber(Family* f, const std::string& inner, const DataPoint& p) {
    std::string value;
    if (const auto* i = std::get_if<int64_t>(&p.value)) {
      value = std::to_string(*i);
    } else if (const auto* d = std::get_if<double>(&p.value)) {
      value = FormatDouble(*d);
    } else {
      return false;  // a histogram value under a counter/gauge: nothing sensible to write
    }
    AppendSample(&f->samples, f->name, inner, {}, value);
    return true;
  }

  static bool AppendHistogram(Family* f, const std::string& inner, const DataPoint& p) {
    const auto* h = std::get_if<HistogramValue>(&p.value);
    if (h == nullptr || h->bucket_counts.size() != h->bounds.size() + 1) return false;
    const std::string bucket = f->name + "_bucket";
    uint64_t cumulative = 0;
    std::optional<double> previous;
    for (size_t i = 0; i < h->bounds.size(); ++i) {
      cumulative += h->bucket_counts[i];
      const double bound = h->bounds[i];
      // `le` must increase and the +Inf bucket comes last: skip bounds that break that (their
      // counts still reach the next bucket, as cumulative counts should).
      if (std::isnan(bound) || std::isinf(bound) || (previous && bound <= *previous)) continue;
      previous = bound;
      AppendSample(&f->samples, bucket, inner, FormatDouble(bound), std::to_string(cumulative));
    }
    cumulative += h->bucket_counts.back();
    // +Inf and _count from the same total, so they agree even if `count` were inconsistent.
    AppendSample(&f->samples, bucket, inner, "+Inf", std::to_string(cumulative));
    // Spec: _sum only when it is monotonic, i.e. no negative value was recorded.
    if (cumulative == 0 || h->min >= 0) {
      AppendSample(&f->samples, f->name + "_sum", inner, {}, FormatDouble(h->sum));
    }
    AppendSample(&f->samples, f->name + "_count", inner, {}, std::to_string(cumulative));
    return true;
  }

  static void Write(const Family& f, std::string* out) {
    if (f.samples.empty()) return;
    out->append("# HELP ").append(f.name).push_back(' ');
    AppendHelpText(out, f.help);
    out->append("\n# TYPE ").append(f.name).push_back(' ');
    out->append(TypeName(f.kind)).push_back('\n');
    out->append(f.samples);
  }

  Family target_info_;
  std::vector<Family> families_;  // in order of first appearance: stable output
  std::unordered_map<std::string, size_t> by_name_;
  std::unordered_map<std::string, size_t> sample_owner_;  // sample name -> family index
};

}  // namespace

Labels TargetLabels(const Resource* resource) {
  Labels out;
  if (resource == nullptr) return out;
  const std::string name = StringAttribute(*resource, "service.name");
  const std::string ns = StringAttribute(*resource, "service.namespace");
  std::string job = ns.empty() ? name : (name.empty() ? ns : ns + "/" + name);
  std::string instance = StringAttribute(*resource, "service.instance.id");
  if (instance.empty()) {
    const std::string host = StringAttribute(*resource, "host.name");
    const std::string pid = StringAttribute(*resource, "process.pid");
    instance = host.empty() || pid.empty() ? host + pid : host + ":" + pid;
  }
  if (!job.empty()) out.emplace_back("job", std::move(job));
  if (!instance.empty()) out.emplace_back("instance", std::move(instance));
  return out;
}

std::string FormatPrometheusText(const metrics::MetricsSnapshot& snapshot) {
  Exposition exposition;
  for (const metrics::ResourceMetrics& rm : snapshot) exposition.AddResource(rm);
  return std::move(exposition).Finish();
}

}  // namespace otelbpf::prometheus
