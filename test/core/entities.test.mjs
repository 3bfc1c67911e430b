// Users, companies, subscriptions and actions (SPEC §3): each endpoint and body, and validation
// that rejects with a clear error and sends nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import * as moesif from '../../dist/index.mjs';

const collector = await startTestCollector();
after(() => collector.close());
const agent = moesif.enable({ applicationId: 'ent', baseUri: collector.url });

const user = { user_id: '12345', company_id: '67890', campaign: { utm_source: 'google' }, metadata: { email: 'john@acme.com' } };
const company = { company_id: '67890', company_domain: 'acme.com', metadata: { plan: 'Free' } };
const subscription = { subscription_id: 'sub_1', company_id: '67890', status: 'active', metadata: { mrr: 10 } };
const action = { action_name: 'Clicked Sign Up', request: { uri: 'https://acme.com/signup', user_agent_string: 'x' }, user_id: '12345' };

const cases = [
  ['updateUser', '/v1/users', user],
  ['updateUsersBatch', '/v1/users/batch', [user, { user_id: 'u2' }]],
  ['updateCompany', '/v1/companies', company],
  ['updateCompaniesBatch', '/v1/companies/batch', [company, { company_id: 'c2' }]],
  ['updateSubscription', '/v1/subscriptions', subscription],
  ['updateSubscriptionsBatch', '/v1/subscriptions/batch', [subscription]],
  ['sendAction', '/v1/actions', action],
  ['sendActionsBatch', '/v1/actions/batch', [action, action]],
];

for (const [fn, path, input] of cases) {
  test(`${fn} posts to ${path} and settles when the collector answered`, async () => {
    const before = collector.state.entities.length;
    const result = await agent[fn](input);
    assert.equal(result, undefined);
    const sent = collector.state.entities.slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].path, path);
    assert.deepEqual(sent[0].body, input);
    assert.equal(sent[0].headers['x-moesif-application-id'], 'ent');
  });
}

test('module-level functions act on the running agent', async () => {
  const before = collector.state.entities.length;
  await moesif.updateUser({ user_id: 'module-level' });
  assert.equal(collector.state.entities[before].body.user_id, 'module-level');
});

const invalid = [
  ['updateUser', { metadata: {} }, /user is missing user_id, which is required/],
  ['updateUser', 'not an object', /user must be an object/],
  ['updateCompany', { company_id: '' }, /company is missing company_id/],
  ['updateSubscription', { subscription_id: 's', company_id: 'c' }, /subscription is missing status/],
  ['sendAction', { action_name: 'x', request: {} }, /action is missing request\.uri/],
  ['sendAction', { request: { uri: 'u' } }, /action is missing action_name/],
  ['updateUsersBatch', [{ user_id: 'ok' }, { company_id: 'no user' }], /user at index 1 is missing user_id/],
  ['updateCompaniesBatch', [], /companys must be a non-empty array|must be a non-empty array/],
  ['updateUser', { user_id: { nested: true } }, /user_id must be a string/],
];
for (const [fn, input, message] of invalid) {
  test(`${fn} rejects ${JSON.stringify(input).slice(0, 50)} and sends nothing`, async () => {
    const before = collector.state.requests.length;
    await assert.rejects(agent[fn](input), (err) => err instanceof moesif.InvalidEntityError && message.test(err.message));
    assert.equal(collector.state.requests.length, before);
  });
}

test('a collector error after retries rejects with the collector\'s answer', async () => {
  collector.state.script.push({ status: 401 });
  await assert.rejects(agent.updateCompany(company), /collector answered 401 to POST \/v1\/companies/);
});

test('5xx is retried, then the call settles', async () => {
  collector.state.script.push({ status: 502 });
  const before = collector.state.entities.length;
  await agent.updateUser({ user_id: 'retry-me' });
  assert.equal(collector.state.entities[before].body.user_id, 'retry-me');
});
