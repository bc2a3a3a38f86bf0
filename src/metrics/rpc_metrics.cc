#include "metrics/rpc_metrics.h"

#include <functional>
#include <string>
#include <string_view>

#include "metrics/histogram.h"
#include "metrics/http_metrics.h"
#include "metrics/series_key_values.h"

namespace otelbpf::metrics {
namespace {

struct MetricInfo {
  const char* name;
  const char* description;
};
constexpr MetricInfo kServerMetric = {"rpc.server.call.duration",
                                      "Measures the duration of inbound remote procedure calls."};
constexpr MetricInfo kClientMetric = {"rpc.client.call.duration",
                                      "Measures the duration of outbound remote procedure calls."};
constexpr const char* kUnit = "s";

enum : size_t { kServerSide = 0, kClientSide = 1, kSides = 2 };

// The attributes of one series, borrowed from a span (no allocation to find a series).
struct RpcSeriesKeyView {
  std::string_view system;          // rpc.system.name
  std::string_view method;          // rpc.method
  std::string_view status_code;     // rpc.response.status_code
  std::string_view error_type;      // error.type
  std::string_view server_address;  // server.address (client side only)
  int64_t server_port = 0;          // server.port (client side only)

  bool operator==(const RpcSeriesKeyView&) const = default;
};

struct RpcSeriesKey {
  std::string system, method, status_code, error_type, server_address;
  int64_t server_port = 0;

  explicit RpcSeriesKey(const RpcSeriesKeyView& v)
      : system(v.system),
        method(v.method),
        status_code(v.status_code),
        error_type(v.error_type),
        server_address(v.server_address),
        server_port(v.server_port) {}

  operator RpcSeriesKeyView() const {  // NOLINT(google-explicit-constructor): lookups by view
    return RpcSeriesKeyView{system, method, status_code, error_type, server_address, server_port};
  }
};

struct RpcSeriesKeyHash {
  using is_transparent = void;
  size_t operator()(const RpcSeriesKeyView& k) const {
    std::hash<std::string_view> hs;
    size_t h = hs(k.system);
    for (std::string_view s : {k.method, k.status_code, k.error_type, k.server_address}) {
      h = HashCombine(h, hs(s));
    }
    return HashCombine(h, std::hash<int64_t>()(k.server_port));
  }
};
struct RpcSeriesKeyEqual {
  using is_transparent = void;
  bool operator()(const RpcSeriesKeyView& a, const RpcSeriesKeyView& b) const { return a == b; }
};

RpcSeriesKeyView SeriesKeyOf(const Span& span, bool client) {
  using namespace std::string_view_literals;
  RpcSeriesKeyView k;
  for (const Attribute& a : span.attributes) {
    const std::string_view name = a.key;
    if (name == "rpc.system.name"sv) {
      k.system = SeriesStringOf(a.value);
    } else if (name == "rpc.method"sv) {
      k.method = SeriesStringOf(a.value);
    } else if (name == "rpc.response.status_code"sv) {
      k.status_code = SeriesStringOf(a.value);
    } else if (name == "error.type"sv) {
      k.error_type = SeriesStringOf(a.value);
    } else if (client && name == "server.address"sv) {
      k.server_address = SeriesStringOf(a.value);
    } else if (client && name == "server.port"sv) {
      k.server_port = SeriesIntOf(a.value);
    }
  }
  return k;
}

Attributes ToAttributes(const RpcSeriesKey& key) {
  Attributes out;
  out.reserve(6);
  const std::pair<const char*, const std::string*> strings[] = {
      {"rpc.system.name", &key.system},
      {"rpc.method", &key.method},
      {"rpc.response.status_code", &key.status_code},
      {"error.type", &key.error_type},
      {"server.address", &key.server_address},
  };
  for (const auto& [name, value] : strings) {
    if (!value->empty()) out.push_back(Attribute{name, *value});
  }
  if (key.server_port != 0) out.push_back(Attribute{"server.port", key.server_port});
  return out;
}

struct Series {
  explicit Series(uint64_t start) : start_time_unix_nano(start) {}

  uint64_t start_time_unix_nano;
  ExplicitHistogram duration{HttpDurationBoundsSeconds()};
};

}  // namespace

// The RPC duration histograms take the same advice as HTTP's (seconds, 5 ms to 10 s).
std::span<const double> RpcDurationBoundsSeconds() { return HttpDurationBoundsSeconds(); }

struct RpcMetrics::Table : ResourceSeriesTable<RpcSeriesKey, RpcSeriesKeyView, RpcSeriesKeyHash,
                                               RpcSeriesKeyEqual, Series, kSides> {
  using ResourceSeriesTable::ResourceSeriesTable;
};

RpcMetrics::RpcMetrics(RpcMetricsOptions options) : table_(std::make_unique<Table>(options)) {}
RpcMetrics::~RpcMetrics() = default;

void RpcMetrics::Record(const Span& span) {
  if (span.family != SemanticFamily::kRpc) return;
  if (span.kind != SpanKind::kServer && span.kind != SpanKind::kClient) return;
  const bool client = span.kind == SpanKind::kClient;
  const uint64_t start = span.start_time_unix_nano;
  const uint64_t end = span.end_time_unix_nano;
  const double seconds = end > start ? static_cast<double>(end - start) * 1e-9 : 0.0;
  table_->Record(span.resource, client ? kClientSide : kServerSide, SeriesKeyOf(span, client),
                 start, [seconds](Series& series) { series.duration.Record(seconds); });
}

void RpcMetrics::ForgetResource(const Resource* resource) { table_->Forget(resource); }

void RpcMetrics::Collect(uint64_t now_unix_nano, MetricsSnapshot* out) {
  table_->Collect(now_unix_nano, [&](const ResourcePtr& resource, const Table::SideCopies& sides) {
    ResourceMetrics& rm = out->emplace_back();
    rm.resource = resource;
    for (size_t side : {kServerSide, kClientSide}) {
      if (sides[side].empty()) continue;
      const MetricInfo& info = side == kClientSide ? kClientMetric : kServerMetric;
      MetricData& md = rm.metrics.emplace_back();
      md.name = info.name;
      md.description = info.description;
      md.unit = kUnit;
      md.kind = MetricKind::kHistogram;
      md.points.reserve(sides[side].size());
      for (const Table::SeriesCopy& copy : sides[side]) {
        DataPoint& p = md.points.emplace_back();
        p.attributes = copy.key != nullptr ? ToAttributes(*copy.key) : OverflowAttributes();
        p.start_time_unix_nano = copy.values.start_time_unix_nano;
        p.time_unix_nano = now_unix_nano;
        p.value = copy.values.duration.ToValue();
      }
    }
  });
}

uint64_t RpcMetrics::overflow_measurements() const { return table_->overflow_measurements(); }
uint64_t RpcMetrics::dropped_measurements() const { return table_->dropped_measurements(); }
size_t RpcMetrics::series_count() const { return table_->series_count(); }
size_t RpcMetrics::resource_count() const { return table_->resource_count(); }

}  // namespace otelbpf::metrics
