'use strict';
// Self-test of the receiver, independent of otelbpf: starts receiver.js, sends one
// hand-made ExportTraceServiceRequest and one ExportMetricsServiceRequest over HTTP and over
// gRPC (each plain and gzip), checks the flat JSON lines it writes (spans and metric data
// points). Also checks that a receiver started without --metrics-out accepts and drops
// metrics. Exits non-zero on any mismatch.
//
//   node selftest.js

const assert = require('assert/strict');
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const readline = require('readline');
const zlib = require('zlib');
const grpc = require('@grpc/grpc-js');
const {
  ExportTraceServiceRequest, ExportTraceServiceResponse,
  ExportMetricsServiceRequest, ExportMetricsServiceResponse,
} = require('./proto');

const START_NS = '1700000000123456789';  // not representable exactly as a double
const END_NS = '1700000000223456789';    // start + 100 ms
const HUGE_INT = '9007199254740993';     // 2^53 + 1: must survive as an exact integer

function handMadeRequest(name) {
  const str = (key, value) => ({ key, value: { stringValue: value } });
  const int = (key, value) => ({ key, value: { intValue: value } });
  return ExportTraceServiceRequest.fromObject({
    resourceSpans: [{
      resource: { attributes: [str('service.name', 'selftest'), int('process.pid', 42)] },
      scopeSpans: [{
        scope: { name: 'otelbpf', version: '0.0.0' },
        spans: [{
          traceId: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
          spanId: Buffer.from('a1a2a3a4a5a6a7a8', 'hex'),
          parentSpanId: Buffer.alloc(0),
          name,
          kind: 2,  // SERVER
          startTimeUnixNano: START_NS,
          endTimeUnixNano: END_NS,
          attributes: [
            str('url.path', '/hello'), int('http.response.status_code', 500),
            int('huge', HUGE_INT), { key: 'ratio', value: { doubleValue: 0.5 } },
            { key: 'flag', value: { boolValue: true } },
            { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
          ],
          status: { code: 2, message: 'boom' },
        }],
      }],
    }],
  });
}

// A hand-made metrics request: one of each metric type otelbpf sends (histogram, monotonic
// int sum, non-monotonic sum, double gauge) plus the edge cases of the flattening.
const BOUNDS = [0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const METRIC_START_NS = '1700000000000000001';
const METRIC_TIME_NS = '1700000060000000003';

function handMadeMetricsRequest(tag) {
  const str = (key, value) => ({ key, value: { stringValue: value } });
  const int = (key, value) => ({ key, value: { intValue: value } });
  const times = { startTimeUnixNano: METRIC_START_NS, timeUnixNano: METRIC_TIME_NS };
  const bucketCounts = BOUNDS.map(() => '0').concat(['0']);
  bucketCounts[2] = '2';
  bucketCounts[15] = '1';  // overflow bucket (> 10 s)
  return ExportMetricsServiceRequest.fromObject({
    resourceMetrics: [{
      resource: { attributes: [str('service.name', 'selftest'), int('process.pid', 42)] },
      scopeMetrics: [{
        scope: { name: 'otelbpf', version: '0.0.0' },
        metrics: [
          {
            name: 'http.server.request.duration', description: 'Duration', unit: 's',
            histogram: {
              aggregationTemporality: 2,  // CUMULATIVE
              dataPoints: [
                { ...times, attributes: [str('http.request.method', 'GET'), int('http.response.status_code', 200)],
                  count: '3', sum: 12.0075, bucketCounts, explicitBounds: BOUNDS, min: 0.0025, max: 12 },
                // sum, min, max are optional: absent here.
                { ...times, attributes: [int('http.response.status_code', 404)], count: '0',
                  bucketCounts: BOUNDS.map(() => '0').concat(['0']), explicitBounds: BOUNDS },
              ],
            },
          },
          {
            name: `counter.${tag}`, unit: '{event}',
            sum: { aggregationTemporality: 1, isMonotonic: true,  // DELTA
              dataPoints: [{ ...times, asInt: HUGE_INT }, { ...times, attributes: [str('reason', 'zero')], asInt: '0' }] },
          },
          {
            name: 'updown', unit: '{connection}',
            sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: [{ ...times, asInt: '-5' }] },
          },
          {
            name: 'fill', unit: '1',
            gauge: { dataPoints: [{ timeUnixNano: METRIC_TIME_NS, asDouble: 0.25 }, { timeUnixNano: METRIC_TIME_NS, asDouble: 0 }] },
          },
        ],
      }],
    }],
  });
}

function startReceiver(out, metricsOut) {
  const argv = [path.join(__dirname, 'receiver.js'), '--out', out];
  if (metricsOut) argv.push('--metrics-out', metricsOut);
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve({ child, ports: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
}

function post(port, body, headers, urlPath = '/v1/traces') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      });
    req.on('error', reject);
    req.end(body);
  });
}

const TRACES = {
  service: 'opentelemetry.proto.collector.trace.v1.TraceService',
  Request: ExportTraceServiceRequest, Response: ExportTraceServiceResponse,
};
const METRICS = {
  service: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
  Request: ExportMetricsServiceRequest, Response: ExportMetricsServiceResponse,
};

function grpcExport(port, request, options = {}, signal = TRACES) {
  const definition = {
    Export: {
      path: `/${signal.service}/Export`,
      requestStream: false, responseStream: false,
      requestSerialize: (m) => Buffer.from(signal.Request.encode(m).finish()),
      requestDeserialize: (b) => signal.Request.decode(b),
      responseSerialize: (m) => Buffer.from(signal.Response.encode(m).finish()),
      responseDeserialize: (b) => signal.Response.decode(b),
    },
  };
  const Client = grpc.makeGenericClientConstructor(definition, signal.service);
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  return new Promise((resolve, reject) => {
    client.Export(request, (err, response) => {
      client.close();
      if (err) reject(err); else resolve(response);
    });
  });
}

function checkSpan(line, name, transport, encoding) {
  // Timestamps and the huge int must be exact JSON integers, not rounded doubles.
  assert.match(line, new RegExp(`"start_time_unix_nano":${START_NS}[,}]`));
  assert.match(line, new RegExp(`"end_time_unix_nano":${END_NS}[,}]`));
  assert.match(line, new RegExp(`"huge":${HUGE_INT}[,}]`));
  const span = JSON.parse(line);
  assert.equal(span.name, name);
  assert.equal(span.transport, transport);
  assert.equal(span.content_encoding, encoding);
  assert.equal(span.trace_id, '0102030405060708090a0b0c0d0e0f10');
  assert.equal(span.span_id, 'a1a2a3a4a5a6a7a8');
  assert.equal(span.parent_span_id, '');
  assert.equal(span.kind, 'SERVER');
  assert.equal(span.status, 'ERROR');
  assert.equal(span.status_message, 'boom');
  assert.equal(span.duration_ms, 100);
  assert.deepEqual(span.resource, { 'service.name': 'selftest', 'process.pid': 42 });
  assert.equal(span.attributes['url.path'], '/hello');
  assert.equal(span.attributes['http.response.status_code'], 500);
  assert.equal(span.attributes.ratio, 0.5);
  assert.equal(span.attributes.flag, true);
  assert.deepEqual(span.attributes.list, ['a', 1]);
}

function readLines(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
}

// The 7 data point lines of one handMadeMetricsRequest(tag), in request order.
function checkMetricPoints(lines, tag, transport, encoding) {
  assert.equal(lines.length, 7, `expected 7 data point lines, got:\n${lines.join('\n')}`);
  for (const line of lines) {
    // Times are exact JSON integers, not rounded doubles.
    assert.match(line, new RegExp(`"time_unix_nano":${METRIC_TIME_NS}[,}]`));
  }
  const points = lines.map((l) => JSON.parse(l));
  for (const p of points) {
    assert.deepEqual(p.resource, { 'service.name': 'selftest', 'process.pid': 42 });
    assert.deepEqual(p.scope, { name: 'otelbpf', version: '0.0.0' });
    assert.equal(p.transport, transport);
    assert.equal(p.content_encoding, encoding);
    assert.equal(p.flags, 0);
  }
  const [h200, h404, counter, zero, updown, fill, fillZero] = points;
  const expectedBuckets = BOUNDS.map(() => 0).concat([0]);
  expectedBuckets[2] = 2;
  expectedBuckets[15] = 1;
  assert.match(lines[0], new RegExp(`"start_time_unix_nano":${METRIC_START_NS}[,}]`));
  assert.deepEqual(h200, {
    resource: h200.resource, scope: h200.scope,
    name: 'http.server.request.duration', description: 'Duration', unit: 's', type: 'histogram',
    is_monotonic: null, temporality: 'CUMULATIVE',
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 },
    start_time_unix_nano: Number(METRIC_START_NS), time_unix_nano: Number(METRIC_TIME_NS), flags: 0,
    count: 3, sum: 12.0075, bucket_counts: expectedBuckets, explicit_bounds: BOUNDS, min: 0.0025, max: 12,
    transport, content_encoding: encoding,
  });
  assert.equal(h404.count, 0);
  assert.equal(h404.sum, null, 'an absent optional sum is null');
  assert.equal(h404.min, null);
  assert.equal(h404.max, null);
  assert.deepEqual(h404.bucket_counts, BOUNDS.map(() => 0).concat([0]));
  assert.deepEqual(h404.attributes, { 'http.response.status_code': 404 });

  assert.equal(counter.name, `counter.${tag}`);
  assert.equal(counter.type, 'sum');
  assert.equal(counter.unit, '{event}');
  assert.equal(counter.is_monotonic, true);
  assert.equal(counter.temporality, 'DELTA');
  assert.equal(counter.value_type, 'int');
  assert.match(lines[2], new RegExp(`"value":${HUGE_INT}[,}]`));
  assert.deepEqual(counter.attributes, {});
  assert.equal(zero.value, 0, 'an explicit 0 is a value, not an absent one');
  assert.equal(zero.value_type, 'int');
  assert.deepEqual(zero.attributes, { reason: 'zero' });

  assert.equal(updown.type, 'sum');
  assert.equal(updown.is_monotonic, false);
  assert.equal(updown.temporality, 'CUMULATIVE');
  assert.equal(updown.value, -5);

  assert.equal(fill.type, 'gauge');
  assert.equal(fill.temporality, null);
  assert.equal(fill.is_monotonic, null);
  assert.equal(fill.value, 0.25);
  assert.equal(fill.value_type, 'double');
  assert.equal(fill.start_time_unix_nano, 0, 'absent start time is 0');
  assert.equal(fillZero.value, 0);
  assert.equal(fillZero.value_type, 'double');
}

// A receiver started the old way (no --metrics-out) still accepts metrics and drops them.
async function checkMetricsWithoutMetricsOut(dir) {
  const out = path.join(dir, 'spans-only.jsonl');
  const { child, ports } = await startReceiver(out);
  try {
    const body = Buffer.from(ExportMetricsServiceRequest.encode(handMadeMetricsRequest('dropped')).finish());
    const res = await post(ports.http_port, body, { 'Content-Type': 'application/x-protobuf' }, '/v1/metrics');
    assert.equal(res.status, 200);
    await grpcExport(ports.grpc_port, handMadeMetricsRequest('dropped'), {}, METRICS);
    assert.deepEqual(readLines(out), [], 'metrics never land in the spans file');
  } finally {
    child.kill('SIGTERM');
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otlp-receiver-selftest-'));
  const out = path.join(dir, 'spans.jsonl');
  const metricsOut = path.join(dir, 'metrics.jsonl');
  const { child, ports } = await startReceiver(out, metricsOut);
  try {
    const plain = Buffer.from(ExportTraceServiceRequest.encode(handMadeRequest('plain')).finish());
    const type = { 'Content-Type': 'application/x-protobuf' };
    let res = await post(ports.http_port, plain, type);
    assert.equal(res.status, 200);
    assert.deepEqual(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(res.body)), {});

    const gz = zlib.gzipSync(Buffer.from(ExportTraceServiceRequest.encode(handMadeRequest('gzip')).finish()));
    res = await post(ports.http_port, gz, { ...type, 'Content-Encoding': 'gzip' });
    assert.equal(res.status, 200);

    res = await post(ports.http_port, Buffer.from('garbage'), type);
    assert.equal(res.status, 400, 'garbage must be rejected');

    await grpcExport(ports.grpc_port, handMadeRequest('grpc'));
    const GZIP = 2;  // grpc-js compressionAlgorithms.gzip
    await grpcExport(ports.grpc_port, handMadeRequest('grpc-gzip'), { 'grpc.default_compression_algorithm': GZIP });

    // Metrics, the same four ways.
    const metricsBody = (tag) => Buffer.from(ExportMetricsServiceRequest.encode(handMadeMetricsRequest(tag)).finish());
    res = await post(ports.http_port, metricsBody('plain'), type, '/v1/metrics');
    assert.equal(res.status, 200);
    assert.deepEqual(ExportMetricsServiceResponse.toObject(ExportMetricsServiceResponse.decode(res.body)), {});
    res = await post(ports.http_port, zlib.gzipSync(metricsBody('gzip')), { ...type, 'Content-Encoding': 'gzip' },
      '/v1/metrics');
    assert.equal(res.status, 200);
    res = await post(ports.http_port, Buffer.from('garbage'), type, '/v1/metrics');
    assert.equal(res.status, 400, 'garbage metrics must be rejected');
    res = await post(ports.http_port, metricsBody('json'), { 'Content-Type': 'application/json' }, '/v1/metrics');
    assert.equal(res.status, 415, 'only protobuf');
    await grpcExport(ports.grpc_port, handMadeMetricsRequest('grpc'), {}, METRICS);
    await grpcExport(ports.grpc_port, handMadeMetricsRequest('grpc-gzip'),
      { 'grpc.default_compression_algorithm': GZIP }, METRICS);

    const lines = readLines(out);
    assert.equal(lines.length, 4, `expected 4 span lines, got:\n${lines.join('\n')}`);
    checkSpan(lines[0], 'plain', 'http', 'identity');
    checkSpan(lines[1], 'gzip', 'http', 'gzip');
    checkSpan(lines[2], 'grpc', 'grpc', null);
    checkSpan(lines[3], 'grpc-gzip', 'grpc', null);

    const pointLines = readLines(metricsOut);
    assert.equal(pointLines.length, 4 * 7, `expected 28 data point lines, got:\n${pointLines.join('\n')}`);
    checkMetricPoints(pointLines.slice(0, 7), 'plain', 'http', 'identity');
    checkMetricPoints(pointLines.slice(7, 14), 'gzip', 'http', 'gzip');
    checkMetricPoints(pointLines.slice(14, 21), 'grpc', 'grpc', null);
    checkMetricPoints(pointLines.slice(21, 28), 'grpc-gzip', 'grpc', null);

    await checkMetricsWithoutMetricsOut(dir);
    console.log('otlp-receiver selftest: OK (spans and metrics over HTTP plain and gzip, gRPC plain and gzip, '
      + 'decoded exactly; metrics dropped without --metrics-out)');
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`otlp-receiver selftest FAILED: ${err.stack || err}`);
  process.exit(1);
});
