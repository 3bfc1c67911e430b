// Moesif's own npm clients, pointed at the local collector by their base-URI option, get 2xx and
// their data shows up: moesifapi (the API library) and moesif-nodejs (the express-style middleware).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { getJson, startQuiet, tempDir, waitFor } from './support/helpers.mjs';

const require = createRequire(import.meta.url);

test('moesifapi 3.x: events, users, companies, subscriptions, actions', async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  const moesifapi = require('moesifapi');
  moesifapi.configuration.ApplicationId = 'moesifapi-app';
  moesifapi.configuration.BaseUri = c.url;
  const api = moesifapi.ApiController;
  // moesifapi takes a callback(err, response); it gzips bodies itself.
  const call = (fn, body) =>
    new Promise((resolve, reject) => api[fn](body, (err, res) => (err ? reject(new Error(`${fn}: ${JSON.stringify(err)}`)) : resolve(res))));

  const now = new Date();
  const event = new moesifapi.EventModel({
    request: { time: now, uri: 'https://api.acme.test/widgets?color=red', verb: 'GET', headers: { accept: 'application/json' }, ipAddress: '10.1.2.3' },
    response: { time: new Date(now.getTime() + 42), status: 200, headers: { 'content-type': 'application/json' }, body: { widgets: [1, 2] } },
    userId: 'api-user',
    companyId: 'api-co',
    direction: 'Incoming',
    metadata: { via: 'moesifapi' },
  });
  const res = await call('createEvent', event);
  assert.ok(res.statusCode >= 200 && res.statusCode < 300);
  await call('createEventsBatch', [
    new moesifapi.EventModel({ request: { time: now, uri: 'https://api.acme.test/batch/1', verb: 'POST' }, response: { time: now, status: 201 } }),
    new moesifapi.EventModel({ request: { time: now, uri: 'https://api.acme.test/batch/2', verb: 'DELETE' }, response: { time: now, status: 204 } }),
  ]);
  await call('updateUser', new moesifapi.UserModel({ userId: 'api-user', companyId: 'api-co', metadata: { email: 'api@acme.test' } }));
  await call('updateUsersBatch', [new moesifapi.UserModel({ userId: 'api-user-2' })]);
  await call('updateCompany', new moesifapi.CompanyModel({ companyId: 'api-co', companyDomain: 'acme.test' }));
  await call('updateCompaniesBatch', [new moesifapi.CompanyModel({ companyId: 'api-co-2' })]);
  await call('updateSubscription', new moesifapi.SubscriptionModel({ subscriptionId: 'api-sub', companyId: 'api-co', status: 'active' }));
  await call('updateSubscriptionsBatch', [new moesifapi.SubscriptionModel({ subscriptionId: 'api-sub-2', companyId: 'api-co-2', status: 'paused' })]);
  await call('sendAction', new moesifapi.ActionModel({ actionName: 'Signed Up', userId: 'api-user', request: { uri: 'https://app.acme.test/signup', time: now } }));
  await call('sendActionsBatch', [new moesifapi.ActionModel({ actionName: 'Upgraded', companyId: 'api-co', request: { uri: 'https://app.acme.test/upgrade' } })]);
  const config = await new Promise((resolve, reject) => api.getAppConfig((err, r) => (err ? reject(new Error(JSON.stringify(err))) : resolve(r))));
  assert.equal(config.statusCode, 200);
  assert.ok(config.headers['x-moesif-config-etag']);

  const events = (await getJson(c.url, '/api/events')).body;
  assert.equal(events.total, 3);
  const single = events.events.find((e) => e.uri === 'https://api.acme.test/widgets?color=red');
  assert.equal(single.verb, 'GET');
  assert.equal(single.status, 200);
  assert.equal(single.duration_ms, 42);
  assert.equal(single.user_id, 'api-user');
  assert.equal(single.company_id, 'api-co');
  assert.equal(single.ip_address, '10.1.2.3');
  const detail = (await getJson(c.url, `/api/events/${single.id}`)).body;
  assert.deepEqual(detail.event.response.body, { widgets: [1, 2] });
  assert.deepEqual(detail.event.metadata, { via: 'moesifapi' });
  assert.equal(detail.app_id, 'moesifapi-app');
  assert.deepEqual(events.events.map((e) => e.verb).sort(), ['DELETE', 'GET', 'POST']);

  const users = (await getJson(c.url, '/api/users')).body;
  assert.deepEqual(users.items.map((u) => u.id).sort(), ['api-user', 'api-user-2']);
  assert.equal(users.items.find((u) => u.id === 'api-user').data.metadata.email, 'api@acme.test');
  const companies = (await getJson(c.url, '/api/companies')).body;
  assert.equal(companies.items.find((x) => x.id === 'api-co').data.company_domain, 'acme.test');
  assert.equal(companies.total, 2);
  const subs = (await getJson(c.url, '/api/subscriptions')).body;
  assert.deepEqual(subs.items.map((s) => `${s.id}:${s.data.status}`).sort(), ['api-sub-2:paused', 'api-sub:active']);
  const actions = (await getJson(c.url, '/api/actions')).body;
  assert.deepEqual(actions.items.map((a) => a.action_name).sort(), ['Signed Up', 'Upgraded']);
});

test('moesif-nodejs 3.x middleware on a node:http server, and its updateUser', async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  const moesif = require('moesif-nodejs');
  // moesif-nodejs checks the id looks like a real one (50+ characters); the collector takes any.
  const appId = `local-dev-${'0'.repeat(60)}`;
  const middleware = moesif({ applicationId: appId, baseUri: c.url, batchMaxTime: 600, identifyUser: () => 'mw-user' });

  const app = createServer((req, res) =>
    middleware(req, res, () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ hello: 'world', path: req.url }));
    }),
  );
  await new Promise((r) => app.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => app.close(r)));
  const appUrl = `http://127.0.0.1:${app.address().port}`;
  const r = await fetch(`${appUrl}/hello?name=moesif`, { headers: { 'x-test': 'yes' } });
  assert.deepEqual(await r.json(), { hello: 'world', path: '/hello?name=moesif' });

  // the middleware batches and sends in the background: wait for it to land
  const found = await waitFor(async () => (await getJson(c.url, '/api/events?q=/hello')).body.events[0], 'the middleware event in the collector');
  assert.equal(found.verb, 'GET');
  assert.equal(found.status, 200);
  assert.equal(found.user_id, 'mw-user');
  assert.equal(found.direction, 'Incoming');
  assert.match(found.uri, /\/hello\?name=moesif$/);
  const detail = (await getJson(c.url, `/api/events/${found.id}`)).body;
  assert.equal(detail.app_id, appId);
  assert.equal(detail.event.request.headers['x-test'], 'yes');
  assert.deepEqual(detail.event.response.body, { hello: 'world', path: '/hello?name=moesif' });

  const res = await middleware.updateUser({ userId: 'mw-user', companyId: 'mw-co', metadata: { email: 'mw@acme.test', plan: 'free' } });
  assert.ok(res.statusCode >= 200 && res.statusCode < 300);
  await middleware.updateCompany({ companyId: 'mw-co', metadata: { seats: 3 } });
  const user = await waitFor(async () => {
    const u = await getJson(c.url, '/api/users/mw-user');
    return u.status === 200 && u.body;
  }, 'the user update');
  assert.equal(user.data.company_id, 'mw-co');
  assert.deepEqual(user.data.metadata, { email: 'mw@acme.test', plan: 'free' });
  assert.equal((await getJson(c.url, '/api/companies/mw-co')).body.data.metadata.seats, 3);
});
