// The bench's collector (its own process, so wrk blocking the runner never stalls delivery):
// serves /<set>/v1/rules and /<set>/v1/config for each rule set of rules.mjs, counts events.
import http from 'node:http';
import { regex50, mixed50, mixedConfig, block50 } from './rules.mjs';

const sets = { none: [[], { sample_rate: 100 }], regex50: [regex50, { sample_rate: 100 }], mixed50: [mixed50, mixedConfig], block50: [block50, { sample_rate: 100 }] };
const bodies = Object.fromEntries(Object.entries(sets).map(([k, [rules, config]]) => [k, [JSON.stringify(rules), JSON.stringify(config)]]));
let events = 0;
const server = http.createServer((req, res) => {
  const [, set, ...rest] = req.url.split('/');
  const path = '/' + rest.join('/');
  req.resume();
  req.on('end', () => {
    if (req.url === '/count') return res.end(String(events));
    const [rules, config] = bodies[set] ?? bodies.none;
    if (path === '/v1/rules') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-moesif-rules-tag': 'bench' });
      return res.end(rules);
    }
    if (path === '/v1/config') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-moesif-config-etag': 'bench' });
      return res.end(config);
    }
    events += Number(req.headers['content-length'] ?? 0) > 0 ? 1 : 0;
    res.writeHead(201, { 'x-moesif-rules-tag': 'bench', 'x-moesif-config-etag': 'bench' });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
