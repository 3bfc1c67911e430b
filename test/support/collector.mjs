// A real collector for tests: records what the agent sends and misbehaves on command.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { once } from 'node:events';

export async function startTestCollector({ config = { sample_rate: 100 }, configEtag = 'etag-1', rules = [], rulesTag = 'rules-1', port = 0 } = {}) {
  const state = {
    requests: [], // every request: { method, path, headers, body, raw } (raw: the decoded bytes as a string)
    batches: [], // decoded event batches, in order of arrival (2xx answered only)
    rawBatches: [], // the same batches as the JSON text that arrived (after gunzip)
    entities: [], // { path, body }
    configFetches: 0,
    config,
    configEtag,
    // GET /v1/rules answers `rules` with X-Moesif-Rules-Tag `rulesTag`; batch answers carry the tag too.
    rules,
    rulesTag,
    rulesFetches: 0,
    // Answers to give next to GET /v1/rules instead of the rules: { status, body }
    rulesScript: [],
    // Answers to give next, one per request to /v1/events/batch: { status, headers, body, hang, reset, delay }
    // (delay: ms to wait before answering as the rest of the entry says; a client gone by then is not counted)
    script: [],
    waiters: [],
  };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let raw = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    const path = req.url;
    state.requests.push({ method: req.method, path, headers: req.headers, body, raw: raw.toString('utf8') });
    if (path === '/v1/config') {
      state.configFetches++;
      res.writeHead(200, { 'content-type': 'application/json', 'x-moesif-config-etag': state.configEtag });
      return res.end(typeof state.config === 'string' ? state.config : JSON.stringify(state.config));
    }
    if (path === '/v1/rules') {
      state.rulesFetches++;
      const next = state.rulesScript.shift();
      if (next) {
        res.writeHead(next.status ?? 200, { 'content-type': 'application/json' });
        res.end(next.body ?? '');
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-moesif-rules-tag': state.rulesTag });
        res.end(JSON.stringify(state.rules));
      }
      wake();
      return;
    }
    if (path === '/v1/events/batch') {
      const next = state.script.shift();
      if (next?.reset) return req.socket.destroy();
      if (next?.hang) return; // never answers
      if (next?.delay) {
        await new Promise((r) => setTimeout(r, next.delay));
        if (req.socket.destroyed) return; // the agent gave up waiting: nothing was stored
      }
      if (next?.status && (next.status < 200 || next.status >= 300)) {
        res.writeHead(next.status, next.headers ?? {});
        return res.end(next.body ?? '');
      }
      state.batches.push(body);
      state.rawBatches.push(raw.toString('utf8'));
      res.writeHead(201, { 'x-moesif-config-etag': state.configEtag, 'x-moesif-rules-tag': state.rulesTag, ...(next?.headers ?? {}) });
      res.end();
      wake();
      return;
    }
    const next = path.startsWith('/v1/') ? state.script.shift() : undefined;
    if (next?.status >= 300 || next?.status < 200) {
      res.writeHead(next.status);
      return res.end();
    }
    state.entities.push({ path, body, headers: req.headers });
    res.writeHead(201);
    res.end();
    wake();
  });
  server[Symbol.for('moesif.ignoreServer')] = true; // a collector is not the app under test
  function wake() {
    for (const w of state.waiters.splice(0)) w();
  }
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  port = server.address().port;
  const collector = {
    state,
    url: `http://127.0.0.1:${port}`,
    port,
    get events() {
      return state.batches.flat();
    },
    /** Resolves when predicate(collector) is true; rejects after timeoutMs. */
    async waitFor(predicate, timeoutMs = 10_000, what = 'collector condition') {
      const deadline = performance.now() + timeoutMs; // not Date: tests may mock it
      while (!predicate(collector)) {
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}; events so far: ${JSON.stringify(collector.events).slice(0, 2000)}`);
        await new Promise((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 200));
          state.waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    waitForEvents(n, timeoutMs) {
      return collector.waitFor((c) => c.events.length >= n, timeoutMs, `${n} events`);
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
  return collector;
}
