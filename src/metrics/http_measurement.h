// What one HTTP span contributes to the RED metrics: the attributes that identify its series and
// the three values measured (duration, request and response body sizes).
//
// The view borrows from the span, so finding an existing series costs no allocation; only a new
// series copies it (HttpSeriesKey).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "trace/span.h"

namespace otelbpf::metrics {

// Semconv attributes of http.{server,client}.request.duration and the body-size histograms.
// Numbers are 0 when unknown (no response; no port), strings empty when unknown.
struct HttpSeriesKeyView {
  std::string_view method;            // http.request.method (already "_OTHER" for unknown ones)
  int64_t status_code = 0;            // http.response.status_code
  std::string_view route;             // http.route (server only, when a route is known)
  // url.template (routes/route_decorator.h): the template of a path no route matched, or a
  // CLIENT's matched pattern. Low cardinality by construction (capped per service).
  std::string_view url_template;
  std::string_view scheme;            // url.scheme
  std::string_view protocol_version;  // network.protocol.version
  std::string_view error_type;        // error.type
  std::string_view server_address;    // server.address (client only)
  int64_t server_port = 0;            // server.port (client only)

  bool operator==(const HttpSeriesKeyView&) const = default;
};

// An owned copy, stored once per series.
struct HttpSeriesKey {
  std::string method;
  int64_t status_code = 0;
  std::string route;
  std::string url_template;
  std::string scheme;
  std::string protocol_version;
  std::string error_type;
  std::string server_address;
  int64_t server_port = 0;

  HttpSeriesKey() = default;
  explicit HttpSeriesKey(const HttpSeriesKeyView& v);
  operator HttpSeriesKeyView() const;  // NOLINT(google-explicit-constructor): lookups by view
};

// Transparent hash/equality so an unordered_map keyed by HttpSeriesKey can be searched with a
// view (C++20 heterogeneous lookup), without building a key.
struct HttpSeriesKeyHash {
  using is_transparent = void;
  size_t operator()(const HttpSeriesKeyView& k) const;
};
struct HttpSeriesKeyEqual {
  using is_transparent = void;
  bool operator()(const HttpSeriesKeyView& a, const HttpSeriesKeyView& b) const { return a == b; }
};

struct HttpMeasurement {
  SpanKind kind = SpanKind::kServer;  // kServer or kClient
  HttpSeriesKeyView key;
  double duration_seconds = 0;
  int64_t request_body_bytes = 0;   // 0 when the span has no http.request.body.size
  int64_t response_body_bytes = 0;  // 0 when the span has no http.response.body.size
};

// Fills `out` and returns true; false for spans that feed no RED metric: INTERNAL spans (side
// unknown). An out-parameter so the measurement is built in place in Record's frame.
// Strings longer than kMaxKeyValueBytes are cut (at a UTF-8 boundary): a hostile Host header must
// not make each of thousands of series hold kilobytes.
bool MeasureHttpSpan(const Span& span, HttpMeasurement* out);
inline constexpr size_t kMaxKeyValueBytes = 256;

// The data point attributes of a series, in a fixed order; empty/zero fields are left out.
Attributes ToAttributes(const HttpSeriesKey& key);

}  // namespace otelbpf::metrics
