'use strict';
// The preload: `node --import moesif/register app.js` or `node --require moesif/register app.cjs`.
// Options come from the environment and the config module (moesif.config.* or MOESIF_CONFIG).
// Worker threads inherit the preload; the agent belongs to the main thread only.
if (require('node:worker_threads').isMainThread) require('./dist/index.js').autoEnable();
