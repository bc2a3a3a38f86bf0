'use strict';
// Self-test of the receiver, independent of otelbpf: starts receiver.js, sends one
// hand-made ExportTraceServiceRequest over HTTP and over gRPC (each plain and gzip), checks
// the flat JSON lines it writes. Exits non-zero on any mismatch.
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
const { ExportTraceServiceRequest, ExportTraceServiceResponse } = require('./proto');

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

function startReceiver(out) {
  const child = spawn(process.execPath, [path.join(__dirname, 'receiver.js'), '--out', out],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve({ child, ports: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
}

function post(port, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      });
    req.on('error', reject);
    req.end(body);
  });
}

function grpcExport(port, request, options = {}) {
  const definition = {
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false, responseStream: false,
      requestSerialize: (m) => Buffer.from(ExportTraceServiceRequest.encode(m).finish()),
      requestDeserialize: (b) => ExportTraceServiceRequest.decode(b),
      responseSerialize: (m) => Buffer.from(ExportTraceServiceResponse.encode(m).finish()),
      responseDeserialize: (b) => ExportTraceServiceResponse.decode(b),
    },
  };
  const Client = grpc.makeGenericClientConstructor(definition, 'TraceService');
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

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otlp-receiver-selftest-'));
  const out = path.join(dir, 'spans.jsonl');
  const { child, ports } = await startReceiver(out);
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

    const lines = fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, 4, `expected 4 span lines, got:\n${lines.join('\n')}`);
    checkSpan(lines[0], 'plain', 'http', 'identity');
    checkSpan(lines[1], 'gzip', 'http', 'gzip');
    checkSpan(lines[2], 'grpc', 'grpc', null);
    checkSpan(lines[3], 'grpc-gzip', 'grpc', null);
    console.log('otlp-receiver selftest: OK (HTTP plain and gzip, gRPC plain and gzip exports decoded exactly)');
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`otlp-receiver selftest FAILED: ${err.stack || err}`);
  process.exit(1);
});
