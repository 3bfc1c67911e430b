// User and company rules (SPEC §8): cohorts from /v1/config's user_rules / company_rules,
// applied_to matching / not_matching, applied_to_unidentified, merge-tag values in the templated
// response, early identification through the same hooks, and priority regex < company < user.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import { request, jwt } from '../support/app.mjs';
import { enable, stats } from '../../dist/index.mjs';
import { startRecordingApp, tagged, json, sha256 } from './support.mjs';

const route = (value) => [{ conditions: [{ path: 'request.route', value }] }];

const RULES = [
  { _id: 'maintenance', type: 'regex', block: true, regex_config: route('^/maint'), response: { status: 503, headers: { 'X-Maint': 'yes', 'X-Who': 'regex' }, body: { error: 'maintenance' } } },
  {
    _id: 'over-quota',
    type: 'user',
    block: true,
    applied_to: 'matching',
    variables: [{ name: '0', path: 'user_id' }, { name: 'plan', path: 'plan.name' }],
    response: {
      status: 402,
      headers: { 'X-User': '{{0}}', 'X-Who': 'user' },
      body: { error: '{{0}} is over quota on {{plan|Free}}', limit: '{{limit|none}}', tier: '{{tier}}', nested: ['{{0}}', 7, null] },
    },
  },
  { _id: 'premium-for-payers', type: 'user', block: true, applied_to: 'not_matching', regex_config: route('^/premium'), response: { status: 403, body: { error: 'premium is for paying users' } } },
  { _id: 'sign-in', type: 'user', block: true, applied_to: 'matching', applied_to_unidentified: true, regex_config: route('^/private'), response: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: { error: 'sign in' } } },
  {
    _id: 'big-orders',
    type: 'user',
    block: true,
    applied_to: 'matching',
    regex_config: [{ conditions: [{ path: 'request.route', value: '^/orders$' }, { path: 'request.body.quantity', value: '^\\d{4,}$' }] }],
    response: { status: 403, body: { error: 'orders of {{max|1000}} or more need approval' } },
  },
  { _id: 'suspended', type: 'company', block: true, applied_to: 'matching', variables: [{ name: 'name', path: 'company.name' }], response: { status: 403, headers: { 'X-Company-Rule': '{{name|?}}' }, body: { error: 'company {{name}} is suspended' } } },
  { _id: 'company-note', type: 'company', block: false, applied_to: 'matching', response: { headers: { 'X-Company-Note': '{{note}}' } } },
  { _id: 'team-needs-company', type: 'company', block: false, applied_to_unidentified: true, regex_config: route('^/team'), response: { headers: { 'X-Company': 'none' } } },
];

const CONFIG = {
  sample_rate: 100,
  user_rules: {
    'u-over': [{ rules: 'over-quota', values: { 0: 'u-over', plan: 'Pro' } }],
    'u-payer': [{ rules: 'premium-for-payers', values: {} }],
    'u-over-payer': [
      { rules: 'premium-for-payers', values: {} },
      { rules: 'over-quota', values: { 0: 'u-over-payer' } },
    ],
    'u-ghost': [{ rules: 'deleted-rule', values: { 0: 'x' } }],
    'u-limited': [{ rules: 'big-orders', values: { max: 1000 } }],
  },
  company_rules: {
    'c-bad': [{ rules: 'suspended', values: { name: 'Acme' } }],
    'c-noted': [{ rules: 'company-note', values: { note: 'hello' } }],
  },
};

const collector = await startTestCollector({ rules: RULES, config: CONFIG });
const app = await startRecordingApp();
after(() => Promise.all([app.close(), collector.close()]));
enable({
  applicationId: 'gov',
  baseUri: collector.url,
  batchMaxTime: 50,
  identifyUser: (req) => (req.headers['x-user-async'] ? new Promise((resolve) => setTimeout(resolve, 5, req.headers['x-user-async'])) : req.headers['x-user']),
  identifyCompany: (req) => req.headers['x-company'],
});
await collector.waitFor((c) => c.state.rulesFetches >= 1 && c.state.configFetches >= 1, 5_000, 'rules and config at start');
for (let i = 0; (await request(`${app.url}/maint`)).status !== 503; i++) {
  if (i > 200) throw new Error('rules never enforced');
  await new Promise((r) => setTimeout(r, 10));
}

async function send(path, headers = {}) {
  const t = tagged(path);
  const response = await request(app.url + t.path, { headers });
  return { ...response, tag: t.tag, handled: app.saw(t.tag) };
}

function assertBlocked(r, status, body) {
  assert.equal(r.status, status);
  assert.equal(r.handled, false, 'the handler never saw a blocked request');
  assert.deepEqual(json(r), body);
}

function assertPassed(r) {
  assert.equal(r.status, 200);
  assert.equal(r.handled, true);
}

const OVER_QUOTA = { error: 'u-over is over quota on Pro', limit: 'none', tier: 'UNKNOWN', nested: ['u-over', 7, null] };

test("a user in a matching rule's cohort is blocked, with the config's values merged into the response", async () => {
  const r = await send('/anything', { 'x-user': 'u-over' });
  assertBlocked(r, 402, OVER_QUOTA);
  assert.equal(r.headers['x-user'], 'u-over');
  // a value missing from the config: the tag's default, else UNKNOWN
  const noPlan = await send('/anything', { 'x-user': 'u-over-payer' });
  assertBlocked(noPlan, 402, { error: 'u-over-payer is over quota on Free', limit: 'none', tier: 'UNKNOWN', nested: ['u-over-payer', 7, null] });
});

test('users in no cohort, and entries naming a rule that no longer exists, pass', async () => {
  assertPassed(await send('/anything', { 'x-user': 'u-fine' }));
  assertPassed(await send('/anything', { 'x-user': 'u-ghost' }));
});

test('not_matching applies to identified users outside the cohort only', async () => {
  assertBlocked(await send('/premium/report', { 'x-user': 'u-fine' }), 403, { error: 'premium is for paying users' });
  assertPassed(await send('/premium/report', { 'x-user': 'u-payer' }));
  assertPassed(await send('/premium/report'), 'an anonymous request: the rule is not applied_to_unidentified');
  assertPassed(await send('/basic', { 'x-user': 'u-fine' }), 'the regex_config of the rule limits it to /premium');
});

test('applied_to_unidentified applies to requests with no user id, and not to identified ones outside the cohort', async () => {
  const r = await send('/private/data');
  assertBlocked(r, 401, { error: 'sign in' });
  assert.equal(r.headers['www-authenticate'], 'Bearer');
  assertPassed(await send('/private/data', { 'x-user': 'u-fine' }));
});

test('the user is identified early as the event does: the hook, then the Authorization header (JWT claim, Basic user)', async () => {
  assertBlocked(await send('/a', { authorization: `Bearer ${jwt({ sub: 'u-over' })}` }), 402, OVER_QUOTA);
  assertBlocked(await send('/a', { authorization: `Basic ${Buffer.from('u-over:secret').toString('base64')}` }), 402, OVER_QUOTA);
  assertPassed(await send('/a', { authorization: `Bearer ${jwt({ sub: 'u-fine' })}` }));
  // the hook wins over the header
  assertPassed(await send('/a', { 'x-user': 'u-fine', authorization: `Bearer ${jwt({ sub: 'u-over' })}` }));
});

test('an identifyUser hook that returns a promise is awaited before the decision', async () => {
  assertBlocked(await send('/async', { 'x-user-async': 'u-over' }), 402, OVER_QUOTA);
  assertPassed(await send('/async', { 'x-user-async': 'u-fine' }));
});

test('a user rule on a body field: the body is held while an async hook identifies the user, then reaches the app unchanged', async () => {
  const post = async (quantity, headers) => {
    const t = tagged('/orders');
    const body = JSON.stringify({ quantity, note: 'x'.repeat(20_000) });
    const r = await request(app.url + t.path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { ...r, handled: app.saw(t.tag), sent: body };
  };
  for (const headers of [{ 'x-user-async': 'u-limited' }, { 'x-user': 'u-limited' }]) {
    assertBlocked(await post(5000, headers), 403, { error: 'orders of 1000 or more need approval' });
    const small = await post(5, headers);
    assertPassed(small);
    assert.equal(json(small).sha256, sha256(small.sent), 'the app read the bytes sent');
  }
  // users outside the cohort: the body is not needed, the request passes at once
  const other = await post(5000, { 'x-user-async': 'u-fine' });
  assertPassed(other);
  assert.equal(json(other).sha256, sha256(other.sent));
});

test('company rules: a matching cohort blocks with its values; a non-blocking one adds headers; unidentified companies', async () => {
  const blocked = await send('/x', { 'x-company': 'c-bad' });
  assertBlocked(blocked, 403, { error: 'company Acme is suspended' });
  assert.equal(blocked.headers['x-company-rule'], 'Acme');
  const noted = await send('/x', { 'x-company': 'c-noted' });
  assertPassed(noted);
  assert.equal(noted.headers['x-company-note'], 'hello');
  const team = await send('/team');
  assertPassed(team);
  assert.equal(team.headers['x-company'], 'none');
  assert.equal((await send('/team', { 'x-company': 'c-fine' })).headers['x-company'], undefined);
  assertPassed(await send('/x', { 'x-company': 'c-fine' }));
});

test('priority regex < company < user: the highest blocking rule decides status and body; headers of every applying rule are merged', async () => {
  const userOverCompany = await send('/x', { 'x-user': 'u-over', 'x-company': 'c-bad' });
  assertBlocked(userOverCompany, 402, OVER_QUOTA);
  assert.equal(userOverCompany.headers['x-user'], 'u-over');
  assert.equal(userOverCompany.headers['x-company-rule'], 'Acme');

  const companyOverRegex = await send('/maint', { 'x-company': 'c-bad' });
  assertBlocked(companyOverRegex, 403, { error: 'company Acme is suspended' });
  assert.equal(companyOverRegex.headers['x-maint'], 'yes');
  assert.equal(companyOverRegex.headers['x-who'], 'regex');

  const all = await send('/maint', { 'x-user': 'u-over', 'x-company': 'c-noted' });
  assertBlocked(all, 402, OVER_QUOTA);
  assert.equal(all.headers['x-who'], 'user', 'the same header from a higher rule wins');
  assert.equal(all.headers['x-maint'], 'yes');
  assert.equal(all.headers['x-company-note'], 'hello');

  assertBlocked(await send('/maint'), 503, { error: 'maintenance' });
});

test("the event of a blocked request names the rule and carries the user and company the app's hooks give", async () => {
  const r = await send('/x', { 'x-user': 'u-over', 'x-company': 'c-bad' });
  await collector.waitFor((c) => c.events.some((e) => e.request.uri.includes(r.tag)), 10_000, `the event of ${r.tag}`).catch((err) => {
    err.message += `; agent stats at the timeout: ${JSON.stringify(stats())}`;
    throw err;
  });
  const events = collector.events.filter((e) => e.request.uri.includes(r.tag));
  assert.equal(events.length, 1);
  assert.equal(events[0].blocked_by, 'over-quota');
  assert.equal(events[0].user_id, 'u-over');
  assert.equal(events[0].company_id, 'c-bad');
  assert.equal(events[0].response.status, 402);
  assert.deepEqual(events[0].response.body, OVER_QUOTA);
  assert.equal(events[0].response.headers['x-company-rule'], 'Acme');
});
