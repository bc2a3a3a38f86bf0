'use strict';
// Turns a decoded ExportTraceServiceRequest into flat span records shaped like
// `otelbpf run --output json`, so tests can compare both sources with the same code, and a
// decoded ExportMetricsServiceRequest into one flat record per data point.
// Pure functions: no I/O.

const { ExportTraceServiceRequest, ExportMetricsServiceRequest } = require('./proto');

// OTLP Span.SpanKind and Status.StatusCode numbering (trace.proto).
const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];

// toObject options: 64-bit integers as decimal strings (no precision loss), enums as numbers,
// bytes left as Uint8Array (we hex-encode ids ourselves).
const TO_OBJECT_OPTIONS = { longs: String, enums: Number, defaults: false, arrays: true };

function hex(bytes) {
  if (!bytes || bytes.length === 0) return '';
  return Buffer.from(bytes).toString('hex');
}

// A 64-bit integer given as a decimal string: a plain number when it fits exactly in a
// double, else a BigInt (serialized as an exact JSON integer by toJsonLine).
function integer(decimal) {
  const big = BigInt(decimal);
  return (big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER))
    ? Number(big) : big;
}

// AnyValue → plain JSON value. Unknown or empty values become null so they stay visible.
function unwrap(anyValue) {
  if (!anyValue) return null;
  if ('stringValue' in anyValue) return anyValue.stringValue;
  if ('boolValue' in anyValue) return anyValue.boolValue;
  if ('intValue' in anyValue) return integer(anyValue.intValue);
  if ('doubleValue' in anyValue) return anyValue.doubleValue;
  if ('arrayValue' in anyValue) return (anyValue.arrayValue.values || []).map(unwrap);
  if ('kvlistValue' in anyValue) return attributes(anyValue.kvlistValue.values);
  if ('bytesValue' in anyValue) return Buffer.from(anyValue.bytesValue).toString('base64');
  return null;
}

function attributes(keyValues) {
  const out = {};
  for (const kv of keyValues || []) out[kv.key] = unwrap(kv.value);
  return out;
}

function flattenSpan(span, resource, scope, transport, contentEncoding) {
  const start = BigInt(span.startTimeUnixNano || '0');
  const end = BigInt(span.endTimeUnixNano || '0');
  const status = span.status || {};
  return {
    trace_id: hex(span.traceId),
    span_id: hex(span.spanId),
    parent_span_id: hex(span.parentSpanId),
    name: span.name || '',
    kind: KIND_NAMES[span.kind || 0] || String(span.kind),
    start_time_unix_nano: start,
    end_time_unix_nano: end,
    duration_ms: Number(end - start) / 1e6,
    status: STATUS_NAMES[status.code || 0] || String(status.code),
    status_message: status.message || '',
    resource: attributes(resource.attributes),
    attributes: attributes(span.attributes),
    events: (span.events || []).map((e) => ({
      time_unix_nano: BigInt(e.timeUnixNano || '0'),
      name: e.name || '',
      attributes: attributes(e.attributes),
    })),
    scope: { name: scope.name || '', version: scope.version || '' },
    transport,
    content_encoding: contentEncoding,
  };
}

// Decoded request message → array of flat span records. `transport` ("http" or "grpc") and
// `contentEncoding` (e.g. "gzip", "identity") say how the request arrived.
function flattenRequest(message, transport, contentEncoding) {
  const request = ExportTraceServiceRequest.toObject(message, TO_OBJECT_OPTIONS);
  const records = [];
  for (const resourceSpans of request.resourceSpans || []) {
    const resource = resourceSpans.resource || {};
    for (const scopeSpans of resourceSpans.scopeSpans || []) {
      const scope = scopeSpans.scope || {};
      for (const span of scopeSpans.spans || []) {
        records.push(flattenSpan(span, resource, scope, transport, contentEncoding));
      }
    }
  }
  return records;
}

// ---- metrics ---------------------------------------------------------------------------

// OTLP AggregationTemporality numbering (metrics.proto).
const TEMPORALITY_NAMES = ['UNSPECIFIED', 'DELTA', 'CUMULATIVE'];

function temporalityName(value) {
  return TEMPORALITY_NAMES[value || 0] || String(value);
}

function optionalDouble(point, field) {
  return field in point ? point[field] : null;
}

// Fields every data point has, whatever its metric type.
function pointBase(metric, type, data, point, resource, scope) {
  return {
    resource: attributes(resource.attributes),
    scope: { name: scope.name || '', version: scope.version || '' },
    name: metric.name || '',
    description: metric.description || '',
    unit: metric.unit || '',
    type,
    // Sums only; null for the types the field does not exist on.
    is_monotonic: type === 'sum' ? Boolean(data.isMonotonic) : null,
    // Gauges and summaries have no temporality: null.
    temporality: ['sum', 'histogram', 'exponential_histogram'].includes(type)
      ? temporalityName(data.aggregationTemporality) : null,
    attributes: attributes(point.attributes),
    start_time_unix_nano: BigInt(point.startTimeUnixNano || '0'),
    time_unix_nano: BigInt(point.timeUnixNano || '0'),
    flags: point.flags || 0,
  };
}

function numberPoint(point) {
  // NumberDataPoint.value is a oneof: exactly one of asInt / asDouble, or neither (null).
  if ('asInt' in point) return { value: integer(point.asInt), value_type: 'int' };
  if ('asDouble' in point) return { value: point.asDouble, value_type: 'double' };
  return { value: null, value_type: null };
}

function histogramPoint(point) {
  return {
    count: integer(point.count || '0'),
    sum: optionalDouble(point, 'sum'),  // optional in the proto: null when absent
    bucket_counts: (point.bucketCounts || []).map(integer),
    explicit_bounds: point.explicitBounds || [],
    min: optionalDouble(point, 'min'),
    max: optionalDouble(point, 'max'),
  };
}

function exponentialBuckets(buckets) {
  return { offset: (buckets && buckets.offset) || 0, bucket_counts: ((buckets && buckets.bucketCounts) || []).map(integer) };
}

function exponentialHistogramPoint(point) {
  return {
    count: integer(point.count || '0'),
    sum: optionalDouble(point, 'sum'),
    scale: point.scale || 0,
    zero_count: integer(point.zeroCount || '0'),
    zero_threshold: point.zeroThreshold || 0,
    positive: exponentialBuckets(point.positive),
    negative: exponentialBuckets(point.negative),
    min: optionalDouble(point, 'min'),
    max: optionalDouble(point, 'max'),
  };
}

function summaryPoint(point) {
  return {
    count: integer(point.count || '0'),
    sum: point.sum || 0,
    quantile_values: (point.quantileValues || []).map((q) => ({ quantile: q.quantile || 0, value: q.value || 0 })),
  };
}

// Metric.data oneof field → [record type, flattener of its data points].
const METRIC_TYPES = [
  ['sum', 'sum', numberPoint],
  ['gauge', 'gauge', numberPoint],
  ['histogram', 'histogram', histogramPoint],
  ['exponentialHistogram', 'exponential_histogram', exponentialHistogramPoint],
  ['summary', 'summary', summaryPoint],
];

// Decoded ExportMetricsServiceRequest → { points: flat data point records, empty: names of
// metrics that carried no data at all (invalid OTLP, reported by the caller) }.
function flattenMetricsRequest(message, transport, contentEncoding) {
  const request = ExportMetricsServiceRequest.toObject(message, TO_OBJECT_OPTIONS);
  const points = [];
  const empty = [];
  for (const resourceMetrics of request.resourceMetrics || []) {
    const resource = resourceMetrics.resource || {};
    for (const scopeMetrics of resourceMetrics.scopeMetrics || []) {
      const scope = scopeMetrics.scope || {};
      for (const metric of scopeMetrics.metrics || []) {
        const found = METRIC_TYPES.find(([field]) => field in metric);
        if (!found) {
          empty.push(metric.name || '');
          continue;
        }
        const [field, type, flattenPoint] = found;
        const data = metric[field];
        for (const point of data.dataPoints || []) {
          points.push({
            ...pointBase(metric, type, data, point, resource, scope),
            ...flattenPoint(point),
            transport,
            content_encoding: contentEncoding,
          });
        }
      }
    }
  }
  return { points, empty };
}

// JSON.stringify cannot write BigInt; write them as exact JSON integers instead.
function toJsonLine(record) {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(record, (key, value) =>
    (typeof value === 'bigint' ? marker + value.toString() : value));
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

module.exports = { flattenRequest, flattenMetricsRequest, toJsonLine, hex };
