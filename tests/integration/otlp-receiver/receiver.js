'use strict';
// Independent OTLP trace and metrics receiver for otelbpf's integration tests.
//
//   node receiver.js --out SPANS.jsonl [--metrics-out POINTS.jsonl]
//
// Listens on two ephemeral ports of 127.0.0.1: OTLP/HTTP (POST /v1/traces and /v1/metrics,
// protobuf, plain or gzip) and OTLP/gRPC (TraceService/Export, MetricsService/Export). When
// both listen it prints one JSON line {"http_port":N,"grpc_port":M,"pid":P} on stdout. Every
// received span is appended to SPANS.jsonl as one flat JSON line (see flatten.js), with how
// it came: "transport" (http or grpc) and "content_encoding" (identity or gzip; null over
// gRPC, where grpc-js decompresses without telling). With --metrics-out, every received
// metric data point is appended to POINTS.jsonl the same way (see flattenMetricsRequest);
// without it metrics exports are accepted and dropped. Logs exports are always accepted and
// dropped. Diagnostics go to stderr.
// Exits on SIGTERM/SIGINT.

const fs = require('fs');
const http = require('http');
const zlib = require('zlib');
const grpc = require('@grpc/grpc-js');
const {
  ExportTraceServiceRequest, ExportTraceServiceResponse,
  ExportMetricsServiceRequest, ExportMetricsServiceResponse,
} = require('./proto');
const { flattenRequest, flattenMetricsRequest, toJsonLine } = require('./flatten');

const USAGE = 'usage: node receiver.js --out SPANS.jsonl [--metrics-out POINTS.jsonl]';

function parseArgs(argv) {
  const args = { out: null, metricsOut: null };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value; ${USAGE}`);
      return argv[++i];
    };
    if (argv[i] === '--out') args.out = value();
    else if (argv[i] === '--metrics-out') args.metricsOut = value();
    else throw new Error(`unknown argument ${argv[i]}; ${USAGE}`);
  }
  if (!args.out) throw new Error(USAGE);
  return args;
}

const args = parseArgs(process.argv.slice(2));
fs.writeFileSync(args.out, '');
if (args.metricsOut) fs.writeFileSync(args.metricsOut, '');

function log(message) {
  process.stderr.write(`otlp-receiver: ${message}\n`);
}

// One synchronous append per export request, so a reader never sees half of a batch
// interleaved with another one.
function record(message, transport, contentEncoding) {
  const spans = flattenRequest(message, transport, contentEncoding);
  if (spans.length > 0) {
    fs.appendFileSync(args.out, spans.map((s) => toJsonLine(s) + '\n').join(''));
  }
  log(`${transport} export: ${spans.length} span(s), encoding ${contentEncoding}`);
}

// Same for metrics: one append per export request, every data point of it.
function recordMetrics(message, transport, contentEncoding) {
  const { points, empty } = flattenMetricsRequest(message, transport, contentEncoding);
  if (args.metricsOut && points.length > 0) {
    fs.appendFileSync(args.metricsOut, points.map((p) => toJsonLine(p) + '\n').join(''));
  }
  const names = new Set(points.map((p) => p.name));
  log(`${transport} metrics export: ${points.length} data point(s) of ${names.size} metric(s), `
    + `encoding ${contentEncoding}${args.metricsOut ? '' : ' (dropped: no --metrics-out)'}`);
  if (empty.length > 0) log(`${transport} metrics export: metric(s) without data: ${empty.join(', ')}`);
}

const EMPTY_RESPONSE = Buffer.from(ExportTraceServiceResponse.encode({}).finish());
const EMPTY_METRICS_RESPONSE = Buffer.from(ExportMetricsServiceResponse.encode({}).finish());

// What each OTLP/HTTP path decodes with, records with and answers.
const HTTP_SIGNALS = {
  '/v1/traces': { Request: ExportTraceServiceRequest, record, response: EMPTY_RESPONSE },
  '/v1/metrics': { Request: ExportMetricsServiceRequest, record: recordMetrics, response: EMPTY_METRICS_RESPONSE },
};

// ---- OTLP/HTTP ------------------------------------------------------------------------

function decodeBody(req, body) {
  const encoding = (req.headers['content-encoding'] || 'identity').toLowerCase();
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  if (encoding === 'identity') return body;
  throw new Error(`unsupported Content-Encoding ${encoding}`);
}

function handleHttp(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const reply = (status, body, type) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
      res.end(body);
    };
    if (req.method !== 'POST' || !['/v1/traces', '/v1/metrics', '/v1/logs'].includes(req.url)) {
      log(`HTTP ${req.method} ${req.url}: not found`);
      reply(404, Buffer.from('not found\n'), 'text/plain');
      return;
    }
    const signal = HTTP_SIGNALS[req.url];
    if (!signal) {
      // Logs are accepted and ignored: this receiver only checks traces and metrics.
      reply(200, Buffer.alloc(0), 'application/x-protobuf');
      return;
    }
    const type = (req.headers['content-type'] || '').split(';')[0].trim();
    if (type !== 'application/x-protobuf') {
      log(`HTTP POST ${req.url}: unsupported Content-Type "${type}"`);
      reply(415, Buffer.from('only application/x-protobuf\n'), 'text/plain');
      return;
    }
    try {
      const encoding = (req.headers['content-encoding'] || 'identity').toLowerCase();
      const message = signal.Request.decode(decodeBody(req, Buffer.concat(chunks)));
      signal.record(message, 'http', encoding);
      reply(200, signal.response, 'application/x-protobuf');
    } catch (err) {
      log(`HTTP POST ${req.url}: cannot decode: ${err.message}`);
      reply(400, Buffer.from(`cannot decode: ${err.message}\n`), 'text/plain');
    }
  });
}

// ---- OTLP/gRPC ------------------------------------------------------------------------

// A hand-written service definition so (de)serialization goes through the official
// generated classes rather than a .proto loaded at run time.
const TRACE_SERVICE = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m) => Buffer.from(ExportTraceServiceRequest.encode(m).finish()),
    requestDeserialize: (bytes) => ExportTraceServiceRequest.decode(bytes),
    responseSerialize: (m) => Buffer.from(ExportTraceServiceResponse.encode(m).finish()),
    responseDeserialize: (bytes) => ExportTraceServiceResponse.decode(bytes),
  },
};

const METRICS_SERVICE = {
  Export: {
    path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m) => Buffer.from(ExportMetricsServiceRequest.encode(m).finish()),
    requestDeserialize: (bytes) => ExportMetricsServiceRequest.decode(bytes),
    responseSerialize: (m) => Buffer.from(ExportMetricsServiceResponse.encode(m).finish()),
    responseDeserialize: (bytes) => ExportMetricsServiceResponse.decode(bytes),
  },
};

// Logs exports are accepted and ignored (an empty message is a valid response).
function ignoredService(path) {
  return {
    Export: {
      path, requestStream: false, responseStream: false,
      requestSerialize: (b) => b, requestDeserialize: (b) => b,
      responseSerialize: (b) => b, responseDeserialize: (b) => b,
    },
  };
}

function exportTraces(call, callback) {
  try {
    // grpc-js decompresses messages itself and hides grpc-encoding: the encoding is unknown.
    record(call.request, 'grpc', null);
    callback(null, ExportTraceServiceResponse.create({}));
  } catch (err) {
    log(`gRPC Export: cannot record: ${err.message}`);
    callback({ code: grpc.status.INTERNAL, details: err.message });
  }
}

function exportMetrics(call, callback) {
  try {
    recordMetrics(call.request, 'grpc', null);
    callback(null, ExportMetricsServiceResponse.create({}));
  } catch (err) {
    log(`gRPC metrics Export: cannot record: ${err.message}`);
    callback({ code: grpc.status.INTERNAL, details: err.message });
  }
}

// ---- startup --------------------------------------------------------------------------

function listenHttp() {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handleHttp);
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port }));
  });
}

function listenGrpc() {
  return new Promise((resolve, reject) => {
    const server = new grpc.Server();
    server.addService(TRACE_SERVICE, { Export: exportTraces });
    const acceptAll = { Export: (call, callback) => callback(null, Buffer.alloc(0)) };
    server.addService(METRICS_SERVICE, { Export: exportMetrics });
    server.addService(ignoredService(
      '/opentelemetry.proto.collector.logs.v1.LogsService/Export'), acceptAll);
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(err);
      else resolve({ server, port });
    });
  });
}

async function main() {
  const [httpSide, grpcSide] = await Promise.all([listenHttp(), listenGrpc()]);
  const stop = () => {
    httpSide.server.close();
    grpcSide.server.forceShutdown();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(JSON.stringify(
    { http_port: httpSide.port, grpc_port: grpcSide.port, pid: process.pid }) + '\n');
}

main().catch((err) => {
  log(`failed to start: ${err.stack || err}`);
  process.exit(1);
});
