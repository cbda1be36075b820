/**
 * One SockJS server instance in a process of its own, for tests that put several behind a
 * load balancer: sockjs 0.3 keeps its sessions in a module-wide registry (lib/transport.js
 * Session), so two servers in one process would share them and no balancer could split a
 * session. An echo at /echo; WebSocket off, as behind a proxy that does not pass upgrades.
 * Prints its port on the first line of stdout.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sockjs = require('sockjs');
const server = createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const echo = sockjs.createServer({ prefix: '/echo', websocket: false, log: () => {} });
echo.on('connection', (conn) => conn.on('data', (d) => conn.write(d)));
echo.installHandlers(server);
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('disconnect', () => process.exit(0));
