'use strict';
// Turns a decoded ExportTraceServiceRequest into flat span records shaped like
// `otelbpf run --output json`, so tests can compare both sources with the same code.
// Pure functions: no I/O.

const { ExportTraceServiceRequest } = require('./proto');

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

// JSON.stringify cannot write BigInt; write them as exact JSON integers instead.
function toJsonLine(record) {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(record, (key, value) =>
    (typeof value === 'bigint' ? marker + value.toString() : value));
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

module.exports = { flattenRequest, toJsonLine, hex };
