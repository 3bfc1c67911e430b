import { test } from 'node:test';
import assert from 'node:assert/strict';
import { core } from './support.mjs';

const { compileRules, matchRule, decide, render, renderString, hasTags, conditionField, NO, YES, BODY, STATUS } = core;

const event = (over = {}) => ({ request: { verb: 'POST', uri: 'https://api.acme.com/admin/users?x=1', headers: { 'x-tenant': 'blue' }, body: { plan: 'free' }, ...over.request }, response: over.response, user_id: over.user_id });

test('condition fields: route, headers (any case), nested body, missing → empty', () => {
  assert.equal(conditionField('request.route')(event()), '/admin/users');
  assert.equal(conditionField('request.route')({ request: { uri: '/a/b?c=d', headers: {} } }), '/a/b');
  assert.equal(conditionField('request.headers.X-Tenant')(event()), 'blue');
  assert.equal(conditionField('request.body.plan')(event()), 'free');
  assert.equal(conditionField('request.verb')(event()), 'POST');
  assert.equal(conditionField('response.status')(event()), '');
  assert.equal(conditionField('user_id')(event()), '');
  assert.equal(conditionField('request.body')(event()), '{"plan":"free"}');
});

test('rules: OR of ANDs, a search unless anchored, three-valued before body and status', () => {
  const { all } = compileRules([
    { _id: 'r1', type: 'regex', block: true, regex_config: [{ conditions: [{ path: 'request.route', value: '^/admin' }, { path: 'request.verb', value: 'POST' }] }] },
    { _id: 'r2', type: 'regex', block: true, regex_config: [{ conditions: [{ path: 'request.body.plan', value: 'free' }] }] },
    { _id: 'r3', type: 'regex', block: false, regex_config: [{ conditions: [{ path: 'response.status', value: '^5' }] }] },
    { _id: 'r4', type: 'regex', block: true, regex_config: [{ conditions: [{ path: 'request.route', value: 'users$' }] }, { conditions: [{ path: 'request.verb', value: 'GET' }] }] },
  ]);
  const [r1, r2, r3, r4] = all;
  assert.equal(matchRule(r1, event(), false, false), YES);
  assert.equal(matchRule(r1, event({ request: { verb: 'GET' } }), false, false), NO);
  assert.equal(matchRule(r2, event(), false, false), BODY);
  assert.equal(matchRule(r2, event(), true, false), YES);
  assert.equal(matchRule(r3, event(), true, false), STATUS);
  assert.equal(matchRule(r3, event({ response: { status: 503 } }), true, true), YES);
  assert.equal(matchRule(r4, event({ request: { uri: 'https://h/other', verb: 'GET' } }), true, true), YES);
  assert.equal(matchRule(r4, event({ request: { uri: 'https://h/other', verb: 'PUT' } }), true, true), NO);
});

test('a condition that does not compile never matches; rules without regex_config match every request', () => {
  const { all } = compileRules([
    { _id: 'bad', type: 'regex', block: true, regex_config: [{ conditions: [{ path: 'request.route', value: '(' }] }] },
    { _id: 'every', type: 'regex', block: true },
  ]);
  assert.equal(matchRule(all.find((r) => r.id === 'bad'), event(), true, true), NO);
  assert.equal(matchRule(all.find((r) => r.id === 'every'), event(), true, true), YES);
});

test('decide: every applying rule adds headers, the last blocking one sets status and body, tags rendered', () => {
  const { all } = compileRules([
    { _id: 'a', type: 'regex', block: false, response: { headers: { 'X-A': '1', 'X-Who': 'regex' } } },
    { _id: 'b', type: 'user', block: true, response: { status: 429, headers: { 'x-who': 'user {{0}}' }, body: { error: 'slow down {{0|friend}}' } }, variables: [{ name: '0', path: 'user_id' }] },
  ]);
  const decision = decide([{ rule: all[0], values: undefined }, { rule: all[1], values: { 0: 'ann' } }]);
  assert.equal(decision.status, 429);
  assert.equal(decision.blockedBy.id, 'b');
  assert.deepEqual(JSON.parse(decision.body), { error: 'slow down ann' });
  const headers = Object.fromEntries(decision.headers.map(([n, v]) => [n.toLowerCase(), v]));
  assert.deepEqual(headers, { 'x-a': '1', 'x-who': 'user ann' });
});

test('templates: value, default, UNKNOWN, objects as JSON, dotted names, nothing changed in place', () => {
  assert.equal(renderString('hi {{name}}', { name: 'ann' }), 'hi ann');
  assert.equal(renderString('hi {{name|you}}', {}), 'hi you');
  assert.equal(renderString('hi {{name|}}!', {}), 'hi !');
  assert.equal(renderString('hi {{name}}', undefined), 'hi UNKNOWN');
  assert.equal(renderString('{{o}}', { o: { a: 1 } }), '{"a":1}');
  assert.equal(renderString('{{plan.name}}', { plan: { name: 'pro' } }), 'pro');
  assert.equal(renderString('{{plan.name}}', { 'plan.name': 'key' }), 'key');
  const template = { msg: ['{{x}}', 2], keep: true };
  assert.deepEqual(render(template, { x: 'y' }), { msg: ['y', 2], keep: true });
  assert.deepEqual(template, { msg: ['{{x}}', 2], keep: true });
  assert.ok(hasTags(template));
  assert.ok(!hasTags({ msg: 'plain' }));
});
