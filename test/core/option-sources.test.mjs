// Every option that has an environment variable, given by env, by the config module and by
// enable(): each layer wins over the one before it (SPEC §2), option by option, as the agent
// reports under localDebug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, FIXTURES } from '../support/child.mjs';

// name: [env var, env value, value shown for env, config value, shown, enable() value, shown]
const OPTIONS = {
  applicationId: ['MOESIF_APPLICATION_ID', 'envapp', 'enva…', 'cfgapp', 'cfga…', 'codeapp', 'code…'],
  baseUri: ['MOESIF_BASE_URI', 'http://127.0.0.1:9/env/', 'http://127.0.0.1:9/env', 'http://127.0.0.1:9/cfg', 'http://127.0.0.1:9/cfg', 'http://127.0.0.1:9/code', 'http://127.0.0.1:9/code'],
  logBody: ['MOESIF_LOG_BODY', 'No', 'false', true, 'true', false, 'false'],
  requestMaxBodySize: ['MOESIF_REQUEST_MAX_BODY_SIZE', '11', '11', 22, '22', 33, '33'],
  responseMaxBodySize: ['MOESIF_RESPONSE_MAX_BODY_SIZE', '0', '0', 22, '22', 33, '33'],
  apiVersion: ['MOESIF_API_VERSION', 'v-env', 'v-env', 'v-cfg', 'v-cfg', 'v-code', 'v-code'],
  requestHeaderMasks: ['MOESIF_REQUEST_HEADER_MASKS', 'a, b', '[a,b]', ['c'], '[c]', ['d', 'e'], '[d,e]'],
  responseHeaderMasks: ['MOESIF_RESPONSE_HEADER_MASKS', 'a', '[a]', ['c'], '[c]', ['d'], '[d]'],
  requestBodyMasks: ['MOESIF_REQUEST_BODY_MASKS', 'a', '[a]', ['c'], '[c]', ['d'], '[d]'],
  responseBodyMasks: ['MOESIF_RESPONSE_BODY_MASKS', 'a', '[a]', ['c'], '[c]', ['d'], '[d]'],
  redactSensitive: ['MOESIF_REDACT_SENSITIVE', '0', 'false', true, 'true', false, 'false'],
  authorizationHeaderName: ['MOESIF_AUTHORIZATION_HEADER_NAME', 'x-env', 'x-env', 'x-cfg', 'x-cfg', 'x-code', 'x-code'],
  authorizationUserIdField: ['MOESIF_AUTHORIZATION_USER_ID_FIELD', 'uid', 'uid', 'user.id', 'user.id', 'u', 'u'],
  batchSize: ['MOESIF_BATCH_SIZE', '11', '11', 22, '22', 33, '33'],
  batchMaxTime: ['MOESIF_BATCH_MAX_TIME', '11', '11', 22, '22', 33, '33'],
  eventQueueSize: ['MOESIF_EVENT_QUEUE_SIZE', '11', '11', 22, '22', 33, '33'],
  maxQueueBytes: ['MOESIF_MAX_QUEUE_BYTES', '11', '11', 22, '22', 33, '33'],
  captureOutgoingRequests: ['MOESIF_CAPTURE_OUTGOING_REQUESTS', 'YES', 'true', false, 'false', true, 'true'],
  logBodyOutgoing: ['MOESIF_LOG_BODY_OUTGOING', 'false', 'false', true, 'true', false, 'false'],
  disableTransactionId: ['MOESIF_DISABLE_TRANSACTION_ID', '1', 'true', false, 'false', true, 'true'],
  localDebug: ['MOESIF_LOCAL_DEBUG', 'true', 'true', true, 'true', true, 'true'],
};

const env = Object.fromEntries(Object.values(OPTIONS).map(([name, value]) => [name, value]));
const config = Object.fromEntries(Object.entries(OPTIONS).map(([name, spec]) => [name, spec[3]]));
const code = Object.fromEntries(Object.entries(OPTIONS).map(([name, spec]) => [name, spec[5]]));

/** The last "options:" line the agent printed, as { name: 'value (source)' }. */
async function optionsInForce({ cwd, enableOptions } = {}) {
  const child = startChild(join(FIXTURES, 'print-options.mjs'), { env: { ...env, ...(enableOptions ? { APP_ENABLE: JSON.stringify(enableOptions) } : {}) }, cwd });
  const { code: exit, stderr } = await child.exited;
  assert.equal(exit, 0, stderr);
  const lines = stderr.split('\n').filter((l) => l.startsWith('[moesif] options: '));
  assert.ok(lines.length > 0, stderr);
  const out = {};
  for (const part of lines.at(-1).slice('[moesif] options: '.length).split(/, (?=[a-zA-Z]+=)/)) {
    const eq = part.indexOf('=');
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function configDir() {
  const dir = mkdtempSync(join(tmpdir(), 'moesif-sources-'));
  writeFileSync(join(dir, 'moesif.config.cjs'), `module.exports = ${JSON.stringify(config)};\n`);
  return dir;
}

test('env: every option read from its variable', async () => {
  const seen = await optionsInForce();
  for (const [name, spec] of Object.entries(OPTIONS)) assert.equal(seen[name], `${spec[2]} (env)`, name);
});

test('config module beats env, option by option', async () => {
  const seen = await optionsInForce({ cwd: configDir() });
  for (const [name, spec] of Object.entries(OPTIONS)) assert.equal(seen[name], `${spec[4]} (config)`, name);
});

test('enable() beats the config module and env, option by option', async () => {
  const seen = await optionsInForce({ cwd: configDir(), enableOptions: code });
  for (const [name, spec] of Object.entries(OPTIONS)) assert.equal(seen[name], `${spec[6]} (enable())`, name);
});
