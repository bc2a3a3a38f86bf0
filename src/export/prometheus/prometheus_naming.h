// OpenTelemetry -> Prometheus names and values, per the OTel "Prometheus and OpenMetrics
// Compatibility" specification (OTLP Metric points to Prometheus) and the text format 0.0.4:
//   http.server.request.duration (unit s, histogram) -> http_server_request_duration_seconds
//   otelbpf.capture.events (unit {event}, counter)  -> otelbpf_capture_events_total
// Pure functions, no state.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/metric_data.h"

namespace otelbpf::prometheus {

// The Prometheus unit word(s) for a UCUM unit: "s" -> "seconds", "By" -> "bytes",
// "By/s" -> "bytes_per_second"; annotations in braces ("{request}") are dropped, so a count of
// things has no unit. "1" becomes "ratio" for gauges only: a counter or histogram of a
// dimensionless quantity is a plain count (the Collector's long-standing behaviour).
std::string PrometheusUnit(std::string_view ucum_unit, metrics::MetricKind kind);

// The family name: invalid characters -> '_', runs of '_' collapsed, '_' before a leading
// digit, the unit appended unless the name already holds it, and "_total" appended to counters
// (after the unit).
std::string PrometheusMetricName(std::string_view name, std::string_view unit,
                                 metrics::MetricKind kind);

// A label name matching [a-zA-Z_][a-zA-Z0-9_]*: invalid characters -> '_', runs of '_'
// collapsed, "key_" before a leading digit. "" for an empty key.
std::string SanitizeLabelName(std::string_view key);

// Attribute values as label values (strings as they are, numbers in decimal, bools as
// true/false), per the OTel attribute specification.
std::string AttributeValueToString(const AttributeValue& value);

using Labels = std::vector<std::pair<std::string, std::string>>;

// Attributes -> labels with sanitized names. When several keys sanitize to one name, their
// values are joined with ';' in the lexicographic order of the original keys (spec rule);
// the label sits where the first of them was.
Labels AttributesToLabels(const Attributes& attributes);

// A sample value or `le` bound: "NaN", "+Inf", "-Inf", or the shortest text that reads back to
// the same double ("0.005", "10", "1e-06").
std::string FormatDouble(double value);

// Appends `value` escaped for a label value ("\\", "\"", "\n"); invalid UTF-8 becomes U+FFFD, so
// a hostile Host header cannot make the whole exposition unreadable.
void AppendLabelValue(std::string* out, std::string_view value);
// Appends `text` escaped for a HELP line ("\\", "\n"), UTF-8 repaired as above.
void AppendHelpText(std::string* out, std::string_view text);

}  // namespace otelbpf::prometheus
