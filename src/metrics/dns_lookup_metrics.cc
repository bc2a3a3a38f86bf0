#include "metrics/dns_lookup_metrics.h"

#include <arpa/inet.h>

#include <cctype>

#include "metrics/http_metrics.h"

namespace otelbpf::metrics {
namespace {

bool IsNumericHost(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

std::string NormalizeQuestionName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The semconv advice for dns.lookup.duration is the HTTP duration buckets.
DnsLookupMetrics::Series::Series(uint64_t start)
    : start_unix_nano(start), duration(HttpDurationBoundsSeconds()) {}

void DnsLookupMetrics::Record(const DnsLookupEvent& e, uint64_t now_unix_nano) {
  if (!e.resource || e.name.empty() || IsNumericHost(e.name)) return;
  std::string name = NormalizeQuestionName(e.name);
  const double seconds =
      e.end_ns >= e.start_ns ? static_cast<double>(e.end_ns - e.start_ns) / 1e9 : 0.0;
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string>& admitted = names_[e.resource.get()];
  if (!admitted.count(name)) {
    if (admitted.size() >= max_names_) {
      ++names_overflowed_;
      name = kOtherQuestionName;
    } else {
      admitted.insert(name);
    }
  }
  series_.At(e.resource, Key{std::move(name), GetaddrinfoErrorType(e.result)}, now_unix_nano)
      .duration.Record(seconds);
}

void DnsLookupMetrics::RetireResource(const ResourcePtr& resource, uint64_t now_unix_nano) {
  if (!resource) return;
  std::lock_guard<std::mutex> lock(mu_);
  names_.erase(resource.get());
  series_.Retire(resource.get(), now_unix_nano);
}

void DnsLookupMetrics::Collect(uint64_t now_unix_nano, MetricsSnapshot* out) {
  std::lock_guard<std::mutex> lock(mu_);
  ResourcePtr current;
  series_.ForEach(now_unix_nano, [&](const ResourcePtr& r, const Key* key, const Series& s) {
    if (r != current) {
      current = r;
      out->push_back({r,
                      {{"dns.lookup.duration", "Time getaddrinfo() took to resolve a name", "s",
                        MetricKind::kHistogram, {}}}});
    }
    Attributes a;
    if (key) {
      a.push_back({"dns.question.name", key->first});
      if (!key->second.empty()) a.push_back({"error.type", key->second});
    } else {
      a.push_back({"otel.metric.overflow", true});
    }
    out->back().metrics[0].points.push_back(
        {std::move(a), s.start_unix_nano, now_unix_nano, s.duration.ToValue()});
  });
}

uint64_t DnsLookupMetrics::names_overflowed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return names_overflowed_;
}

}  // namespace otelbpf::metrics
