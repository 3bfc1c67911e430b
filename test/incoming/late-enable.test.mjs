// enable() called after the app imported node:http and its server already served requests, from
// an ESM app (Koa, whose ctx.state.user must still be found) and a CommonJS app (Express).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';
import { request } from '../support/app.mjs';

const collector = await startTestCollector();
after(() => collector.close());

for (const script of ['late-enable.mjs', 'late-enable.cjs']) {
  test(`${script}: nothing before enable(), every request after it`, async (t) => {
    const child = startChild(join(FIXTURES, 'frameworks', script), { env: { COLLECTOR: collector.url }, preload: 'none' });
    t.after(() => child.kill());
    const base = `http://127.0.0.1:${await child.port()}`;
    const tag = `${script}-${Math.random().toString(36).slice(2)}`; // no long digit runs: 12–19 digits may pass Luhn and be redacted
    const post = (n) =>
      request(`${base}/json?tag=${tag}&n=${n}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user': `u${n}` }, body: JSON.stringify({ n }) });

    assert.equal((await post(1)).status, 201);
    assert.equal((await request(`${base}/enable`)).body.toString(), 'enabled');
    const got = await post(2);
    assert.deepEqual(JSON.parse(got.body), { got: { n: 2 } });

    await collector.waitFor((c) => c.events.some((e) => e.request.uri.includes(`n=2`) && e.request.uri.includes(tag)), 10_000, 'the event after enable()');
    const mine = collector.events.filter((e) => e.request.uri.includes(tag));
    assert.equal(mine.length, 1, 'the request before enable() made no event');
    const [event] = mine;
    assert.equal(event.request.uri, `${base}/json?tag=${tag}&n=2`);
    assert.deepEqual(event.request.body, { n: 2 });
    assert.equal(event.response.status, 201);
    assert.deepEqual(event.response.body, { got: { n: 2 } });
    assert.equal(event.response.headers['x-moesif-transaction-id'], got.headers['x-moesif-transaction-id']);
    assert.equal(event.user_id, 'u2', 'the framework user (Koa: ctx.state.user)');
  });
}
