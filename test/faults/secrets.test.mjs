// Secrets never leave the app raw (issue 7, SPEC §5 redactSensitive): a corpus of credentials
// (bearer JWTs, API keys, passwords, card numbers, AWS, GitHub, Stripe, Slack tokens, private
// keys, session cookies, Basic auth) placed in request and response headers, cookies, paths,
// query strings, nested JSON and form bodies of incoming requests and of outgoing calls. With
// default options, none may appear in any byte the collector receives, nor in a base64 body once
// decoded, nor in the agent's debug log. User ids taken from a JWT or Basic credentials are sent:
// identifying the user is the point, the credential is not.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';
import { request } from '../support/app.mjs';
import * as corpus from '../fixtures/faults/secret-corpus.mjs';

const tag = `sec${process.pid.toString(36)}x${Date.now().toString(36)}`;
const collector = await startTestCollector();
// The upstream the app calls: answers with secrets too. Not the app under test (no agent here anyway).
const target = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, corpus.responseHeaders('out'));
    res.end(JSON.stringify(corpus.responseBody('out')));
  });
});
await new Promise((r) => target.listen(0, '127.0.0.1', r));
// The agent's own collector credentials in the base URI must stay out of its log as well.
const collectorPassword = corpus.make.opaque('config.baseUri.password');
const baseUri = collector.url.replace('http://', `http://moesif:${collectorPassword}@`);
const app = startChild(join(FIXTURES, 'faults', 'secrets-app.mjs'), {
  env: {
    MOESIF_APPLICATION_ID: `secrets-${tag}`,
    MOESIF_BASE_URI: baseUri,
    MOESIF_BATCH_MAX_TIME: '50',
    MOESIF_CAPTURE_OUTGOING_REQUESTS: 'true',
    MOESIF_LOCAL_DEBUG: 'true',
    TARGET: `http://127.0.0.1:${target.address().port}`,
  },
});
after(async () => {
  await app.kill();
  await collector.close();
  target.closeAllConnections();
  await new Promise((r) => target.close(r));
});

const mine = (e) => e.request.uri.includes(tag);
const secrets = corpus.everySecret();

test('no secret of the corpus reaches the collector or the debug log; ids taken from credentials do', { timeout: 30_000 }, async () => {
  const url = `http://127.0.0.1:${await app.port()}`;
  const a = await request(`${url}${corpus.path('in', tag)}?${corpus.query('in')}`, {
    method: 'POST',
    headers: { ...corpus.requestHeaders('in'), 'content-type': 'application/json' },
    body: JSON.stringify(corpus.jsonBody('in')),
  });
  const basic = corpus.basicHeaders('in');
  const b = await request(`${url}/in/${tag}/form`, {
    method: 'POST',
    headers: { ...basic.headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: corpus.formBody('in'),
  });
  const c = await request(`${url}/call/${tag}`);
  assert.deepEqual([a.status, b.status, c.status, c.body.toString()], [200, 200, 200, 'called']);
  await collector.waitFor((col) => col.events.filter(mine).length >= 5, 15_000, '5 events');
  await new Promise((r) => setTimeout(r, 300)); // any late batch (e.g. a duplicate) lands too
  // The debug log's lines for these batches are written before the answer; stderr may trail a little.
  await app.waitFor(/\[moesif\] sent \d+ events/, { stream: 'stderr' });

  const events = collector.events.filter(mine);
  const find = (pred, what) => events.find(pred) ?? assert.fail(`no event ${what}: ${events.map((e) => `${e.direction} ${e.request.uri}`).join(', ')}`);
  const inJson = find((e) => e.direction === 'Incoming' && e.request.uri.includes('/tokens/'), 'incoming JSON');
  const inForm = find((e) => e.direction === 'Incoming' && e.request.uri.includes('/form'), 'incoming form');
  const outJson = find((e) => e.direction === 'Outgoing' && e.request.uri.includes('/tokens/'), 'outgoing JSON');
  const outForm = find((e) => e.direction === 'Outgoing' && e.request.uri.includes('/form'), 'outgoing form');
  find((e) => e.direction === 'Incoming' && e.request.uri.includes('/call/'), 'incoming /call');

  // What is not secret arrived (the check below is not vacuous), what identifies the user too.
  for (const e of [inJson, outJson]) {
    assert.equal(e.request.body.visible, 'keep-me-body');
    assert.equal(e.request.body.user.email, 'alice@example.com');
    assert.equal(e.request.body.cloud.region, 'eu-west-1');
    assert.equal(e.request.headers['x-visible'], 'keep-me-header');
    assert.match(e.request.uri, /[?&]q=keep-me-query(&|$)/);
    assert.equal(e.response.body.visible, 'keep-me-body');
    assert.equal(e.response.body.expires_in, 3600);
    assert.equal(e.response.body.billing.last4, '4242');
    assert.equal(e.response.headers['x-visible'], 'keep-me-header');
    assert.equal(e.request.headers.authorization, 'Bearer <redacted>', 'the scheme is kept');
  }
  for (const e of [inForm, outForm]) {
    assert.equal(e.request.transfer_encoding, 'base64');
    const form = new URLSearchParams(Buffer.from(e.request.body, 'base64').toString('utf8'));
    assert.equal(form.get('visible'), 'keep-me-form');
    assert.equal(form.get('username'), 'alice');
    assert.equal(form.get('password'), '<redacted>');
    assert.equal(e.request.headers.authorization, 'Basic <redacted>');
  }
  assert.equal(inJson.user_id, corpus.make.jwtSub('in.req.header.authorization'), 'user id from the bearer JWT');
  assert.equal(inForm.user_id, basic.user, 'user id from Basic credentials');
  assert.match(app.stderr, /\[moesif\] capture on: sending to/, 'the debug log is on');

  // Every byte the collector got (gunzipped), base64 bodies decoded, and the agent's log.
  const haystacks = [
    ...collector.state.requests.map((r, i) => [`collector request ${i} (${r.path})`, r.raw]),
    ...events.flatMap((e) =>
      ['request', 'response']
        .filter((side) => e[side]?.transfer_encoding === 'base64')
        .map((side) => [`${e.direction} ${side} body (base64 decoded) of ${e.request.uri.slice(0, 60)}`, Buffer.from(e[side].body, 'base64').toString('utf8')]),
    ),
    ['debug log (stderr)', app.stderr],
    ['stdout', app.stdout],
  ];
  const leaks = [];
  for (const s of [...secrets, { place: 'config.baseUri.password', kind: 'opaque', needles: [collectorPassword] }]) {
    for (const needle of s.needles) {
      for (const form of corpus.variants(needle)) {
        for (const [where, text] of haystacks) {
          if (text.includes(form)) leaks.push(`${s.kind} at ${s.place} seen in ${where}`);
        }
      }
    }
  }
  assert.deepEqual([...new Set(leaks)], [], `${secrets.length} secrets placed`);
});

test('hostile strings cost the redaction linear time: near-miss token shapes, 90 KB each, arrive promptly', { timeout: 30_000 }, async (t) => {
  const url = `http://127.0.0.1:${await app.port()}`;
  const n = 30_000;
  // Each is a near miss that a naive pattern would rescan from every start position.
  const hostile = {
    jwtStarts: 'eyJ'.repeat(n),
    jwtDashes: 'eyJ-'.repeat(n * 0.75),
    pemNoEnd: `-----BEGIN PRIVATE KEY-----${'A'.repeat(n * 3)}`,
    pemBegins: '-----BEGIN PRIVATE KEY-----\n'.repeat(n / 9),
    githubRuns: 'ghp_'.repeat(n * 0.75),
    digits: '4111 '.repeat(n * 0.6),
  };
  const t0 = performance.now();
  for (const [name, value] of Object.entries(hostile)) {
    const res = await request(`${url}/in/${tag}/hostile/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
    assert.equal(res.status, 200);
  }
  const hostileEvents = () => collector.events.filter((e) => mine(e) && e.request.uri.includes('/hostile/'));
  await collector.waitFor(() => hostileEvents().length >= Object.keys(hostile).length, 10_000, 'the hostile bodies');
  const took = performance.now() - t0;
  t.diagnostic(`hostile bodies captured and delivered in ${took.toFixed(0)} ms`);
  assert.ok(took < 4_000, `took ${took} ms`);
  const byName = Object.fromEntries(hostileEvents().map((e) => [e.request.uri.split('/hostile/')[1], e.request.body.value]));
  for (const name of ['jwtStarts', 'jwtDashes', 'githubRuns']) assert.ok(byName[name] === hostile[name], `${name}: a near miss is left as it is`);
  assert.equal(byName.pemNoEnd, '<redacted>', 'a private key without its END line is cut to the end');
});
