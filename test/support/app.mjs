// In-process helpers: a real node:http app on 127.0.0.1 and a client for it.
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/** Starts `handler` on a free port; returns { url, port, close }. */
export async function startApp(handler) {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
}

/** node:http request returning { status, headers, body: Buffer }. */
export function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A JWT (unsigned: the agent never verifies) with the given payload, base64url-encoded. */
export function jwt(payload) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}.c2lnbmF0dXJl`;
}

export const echoJson = async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(Buffer.concat(chunks).length ? Buffer.concat(chunks) : '{"ok":true}');
};

/**
 * Waits until the agent has captured `count` more exchanges than `since`: the server's response
 * 'finish' can come a moment after the client has read the whole response.
 */
export async function capturedAtLeast(stats, since, count = 1, timeoutMs = 5_000) {
  const deadline = performance.now() + timeoutMs;
  while (stats().captured < since + count) {
    if (performance.now() > deadline) throw new Error(`captured ${stats().captured - since} of ${count}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * A port nothing listens on, for a collector that is down (and may come up on it later). Taken
 * below the kernel's ephemeral range, where the servers of the test files running beside this one
 * (all listening on port 0) are never placed: a port from that range, let go, could be handed to
 * one of them before the test uses it (seen: a "down" collector that answered 404).
 */
export async function freePort() {
  const low = ephemeralLow();
  const from = low > 20_000 ? 10_000 : 1_024;
  for (;;) {
    const port = from + Math.floor(Math.random() * (low - from));
    const s = net.createServer();
    const ok = await new Promise((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!ok) continue;
    await new Promise((r) => s.close(r));
    return port;
  }
}

function ephemeralLow() {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 2_048) return low;
  } catch {
    /* not Linux: the usual default */
  }
  return 32_768;
}
