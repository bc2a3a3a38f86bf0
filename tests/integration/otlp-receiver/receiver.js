'use strict';
// Independent OTLP trace receiver for otelbpf's integration tests.
//
//   node receiver.js --out SPANS.jsonl
//
// Listens on two ephemeral ports of 127.0.0.1: OTLP/HTTP (POST /v1/traces, protobuf, plain
// or gzip) and OTLP/gRPC (TraceService/Export). When both listen it prints one JSON line
// {"http_port":N,"grpc_port":M,"pid":P} on stdout. Every received span is appended to
// SPANS.jsonl as one flat JSON line (see flatten.js), with how it came: "transport" (http or
// grpc) and "content_encoding" (identity or gzip; null over gRPC, where grpc-js decompresses
// without telling). Diagnostics go to stderr.
// Exits on SIGTERM/SIGINT.

const fs = require('fs');
const http = require('http');
const zlib = require('zlib');
const grpc = require('@grpc/grpc-js');
const { ExportTraceServiceRequest, ExportTraceServiceResponse } = require('./proto');
const { flattenRequest, toJsonLine } = require('./flatten');

function parseArgs(argv) {
  const args = { out: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') args.out = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.out) throw new Error('usage: node receiver.js --out SPANS.jsonl');
  return args;
}

const args = parseArgs(process.argv.slice(2));
fs.writeFileSync(args.out, '');

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

const EMPTY_RESPONSE = Buffer.from(ExportTraceServiceResponse.encode({}).finish());

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
    if (req.url !== '/v1/traces') {
      // Metrics and logs are accepted and ignored: this receiver only checks traces.
      reply(200, Buffer.alloc(0), 'application/x-protobuf');
      return;
    }
    const type = (req.headers['content-type'] || '').split(';')[0].trim();
    if (type !== 'application/x-protobuf') {
      log(`HTTP POST /v1/traces: unsupported Content-Type "${type}"`);
      reply(415, Buffer.from('only application/x-protobuf\n'), 'text/plain');
      return;
    }
    try {
      const encoding = (req.headers['content-encoding'] || 'identity').toLowerCase();
      const message = ExportTraceServiceRequest.decode(decodeBody(req, Buffer.concat(chunks)));
      record(message, 'http', encoding);
      reply(200, EMPTY_RESPONSE, 'application/x-protobuf');
    } catch (err) {
      log(`HTTP POST /v1/traces: cannot decode: ${err.message}`);
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

// Metrics and logs exports are accepted and ignored (an empty message is a valid response).
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
    server.addService(ignoredService(
      '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'), acceptAll);
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
