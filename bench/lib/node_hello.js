// The service of bench/sdk_compare.sh: Node.js `http` answering "hello" on 127.0.0.1:PORT.
'use strict';
const http = require('http');
const port = Number(process.argv[2]);
http
  .createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('hello');
  })
  .listen(port, '127.0.0.1', () => console.log(`node_hello ready port=${port}`));
process.on('SIGTERM', () => process.exit(0));
