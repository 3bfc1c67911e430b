'use strict';
// The bodies of the scenarios, shared by the app (which sends them), the runner (wrk's POST body)
// and the collector (which checks that each agent captured them).
const small = JSON.stringify({ ok: true, id: 42 });

// A JSON document of at most 64 KiB: as many items as fit.
const item = (i) => ({ id: i, name: `item-${i}`, tags: ['a', 'b'], price: i * 1.5 });
const items = [];
let bigBody = '';
for (let i = 0; ; i++) {
  items.push(item(i));
  const next = JSON.stringify({ items });
  if (next.length > 64 * 1024) break;
  bigBody = next;
}
const bigItems = JSON.parse(bigBody).items.length;

// The 1 KB JSON echoed by POST /echo: {"data":"xxx…"} of exactly 1024 bytes.
const echoData = 'x'.repeat(1024 - '{"data":""}'.length);
const echoBody = JSON.stringify({ data: echoData });

// The outgoing http.request POST body (~530 bytes).
const postPayload = JSON.stringify({ user: 'bench', items: Array.from({ length: 20 }, (_, i) => ({ i, name: `item-${i}` })) });

// A Moesif application id of the usual shape (moesif-nodejs refuses ids under 50 characters).
const applicationId = 'eyJhcHAiOiIxOTg6NzQ0IiwidmVyIjoiMi4wIiwib3JnIjoiNjQwOjEyOCIsImlhdCI6MTc2NDk3OTIwMH0.benchCompareKey';

module.exports = { small, bigBody, bigItems, echoData, echoBody, postPayload, applicationId };
