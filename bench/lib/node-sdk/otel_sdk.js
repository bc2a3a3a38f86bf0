// Loaded with `node --require` before the service: the official OpenTelemetry SDK set up the way
// its getting-started guide does (NodeSDK, HTTP instrumentation, OTLP/HTTP protobuf exporter,
// batch span processor with its defaults), exporting to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
'use strict';
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

const sdk = new NodeSDK({
  serviceName: 'node-hello',
  traceExporter: new OTLPTraceExporter(),
  instrumentations: [new HttpInstrumentation()],
});
sdk.start();
process.on('SIGTERM', () => sdk.shutdown().finally(() => process.exit(0)));
