import { boundedId, isThenable } from './event/hooks.js';
import type { Exchange } from './event/types.js';
import { Batcher } from './delivery/batcher.js';
import { InvalidEntityError, sendEntities, type EntityKind } from './delivery/entities.js';
import { RemoteConfig } from './delivery/remote-config.js';
import { Sampling } from './delivery/sampling.js';
import { Counters, type Stats } from './delivery/stats.js';
import { Transport } from './delivery/transport.js';
import { Serializer } from './delivery/serializer.js';
import type { SerializeContext } from './delivery/serialize-event.js';
import { installIncomingCapture } from './capture/server.js';
import { installHttp2Capture } from './capture/http2-server.js';
import { installOutgoingCapture } from './capture/outgoing-install.js';
import type { CaptureSink } from './capture/sink.js';
import { debug, safeUri, setDebug, warnOnce } from './log.js';
import { loadConfigFile, findConfigFile } from './options/config-file.js';
import { checkOptions, describeOptions, mergeOptions, OptionError, optionsFromEnv } from './options/resolve.js';
import type { MoesifOptions, ResolvedOptions } from './options/types.js';
import { installLifecycle } from './lifecycle.js';
import { Gate } from './governance/gate.js';
import { Cohorts } from './governance/cohorts.js';
import { RulesManager } from './governance/rules.js';
import { VERSION } from './version.js';

/** How long an async hook (one that returns a promise) may take before its field is left out. */
const ASYNC_HOOK_TIMEOUT_MS = 1_000;
/**
 * Fixed part of an event's estimated size in the queue (timestamps, verb, the Exchange and its
 * header arrays, body-capture records, Buffer and string headers): measured at ~2.3 KB of heap per
 * held event beyond its URL, header and body bytes (bench/soak/held-memory.mjs), so that
 * maxQueueBytes bounds the memory the queue really holds (512 made it hold twice the bound).
 */
const EVENT_BASE_BYTES = 2_300;

/**
 * The one agent of the process: options in force, the capture modules, the queue and the
 * collector. Capture modules hand it Exchanges; everything after that happens in the batcher.
 */
export class Agent implements CaptureSink {
  /** Options of the last successful enable(); events queued under them are built with them. */
  private settings: ResolvedOptions | undefined;
  private capturing = false;
  readonly counters = new Counters();
  private transport: Transport | undefined;
  private transportKey = '';
  private authHeaders: string[] = [];
  private readonly sampling = new Sampling();
  private readonly cohorts = new Cohorts();
  /** /v1/config: sampling here and on the serializer thread, and governance's cohorts. */
  private readonly remoteConfig = new RemoteConfig(
    () => this.requireTransport(),
    (config) => {
      this.sampling.apply(config);
      this.cohorts.apply(config);
      this.serializer.sampling(config);
    },
  );
  /** Event assembly, on a worker thread where it can be. */
  private readonly serializer = new Serializer(() => this.serializeContext());
  /** Governance (SPEC §8): rules from /v1/rules, enforced before the app's handler runs. */
  private readonly gate = new Gate({
    options: () => this.options,
    userRulesFor: (id) => this.cohorts.userRulesFor(id),
    companyRulesFor: (id) => this.cohorts.companyRulesFor(id),
  });
  private readonly rules = new RulesManager(() => this.requireTransport(), (set) => this.gate.setRules(set));
  private readonly batcher = new Batcher(
    { batchSize: 25, batchMaxTime: 2000, eventQueueSize: 1_000_000, maxQueueBytes: 64 * 1024 * 1024 },
    {
      transport: () => this.requireTransport(),
      counters: this.counters,
      assemble: (exchanges) => this.serializer.assemble(exchanges),
      onAnswer: (headers) => {
        this.remoteConfig.onAnswer(headers);
        this.rules.onAnswer(headers);
      },
    },
  );
  private configGeneration = 0;

  /**
   * Applies options from every source: defaults → environment → config module → `explicit`
   * (enable()'s argument). Invalid options leave capture off with one clear message.
   */
  /** The options in force for capture; undefined while capture is off (no application id, invalid options, shut down). */
  get options(): ResolvedOptions | undefined {
    return this.capturing ? this.settings : undefined;
  }

  enable(explicit: unknown, source: string): void {
    const generation = ++this.configGeneration;
    let layers: MoesifOptions[];
    let pendingFile: Promise<unknown> | undefined;
    let filePath: string | undefined;
    try {
      const env = optionsFromEnv(process.env);
      filePath = findConfigFile(process.env, process.cwd());
      let file: MoesifOptions = {};
      if (filePath) {
        const loaded = loadConfigFile(filePath);
        if (loaded.kind === 'loaded') file = checkOptions(loaded.options, `config ${filePath}`);
        else pendingFile = loaded.options;
      }
      layers = [env, file, checkOptions(explicit, source)];
    } catch (err) {
      this.refuse(err);
      return;
    }
    this.apply(layers);
    if (pendingFile) {
      // An ESM config Node cannot require(): capture runs meanwhile, its hooks apply once loaded.
      pendingFile.then(
        (options) => {
          if (generation !== this.configGeneration) return;
          try {
            this.apply([layers[0]!, checkOptions(options, `config ${filePath}`), layers[2]!]);
          } catch (err) {
            this.refuse(err);
          }
        },
        (err) => this.refuse(err),
      );
    }
  }

  private refuse(err: unknown): void {
    this.capturing = false;
    const message = err instanceof OptionError ? err.message : `cannot load options: ${(err as Error)?.message ?? err}`;
    process.stderr.write(`[moesif] ${message}; capture is off, the app runs as without the agent\n`);
  }

  private apply(layers: MoesifOptions[]): void {
    const options = mergeOptions(layers);
    setDebug(options.localDebug);
    const baseUriGiven = layers.some((layer) => layer.baseUri !== undefined);
    if (!options.applicationId && !baseUriGiven) {
      this.capturing = false;
      warnOnce('no-app-id', 'MOESIF_APPLICATION_ID is not set (nor MOESIF_BASE_URI); capture is off');
      return;
    }
    const key = `${options.baseUri}\n${options.applicationId ?? ''}`;
    if (key !== this.transportKey) {
      this.transport?.close();
      this.transport = new Transport(options.baseUri, {
        'x-moesif-application-id': options.applicationId ?? 'local',
        'user-agent': `moesif-node/${VERSION}`,
      });
      this.transportKey = key;
      void this.remoteConfig.fetch();
      this.rules.start();
    }
    this.authHeaders = options.authorizationHeaderName.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    this.serializer.configure(options, this.authHeaders);
    if (options.maskEventModel) debug('maskEventModel is set: events are assembled on the main thread');
    this.batcher.configure(options);
    this.settings = options;
    this.capturing = true;
    installIncomingCapture(this);
    installHttp2Capture(this);
    if (options.captureOutgoingRequests) installOutgoingCapture(this);
    installLifecycle(this);
    debug(`capture on: sending to ${safeUri(options.baseUri)}${options.captureOutgoingRequests ? ', outgoing calls too' : ''}`);
    debug(describeOptions(options, layers));
  }

  private requireTransport(): Transport {
    if (!this.transport) throw new InvalidEntityError('the agent is off: set MOESIF_APPLICATION_ID or call enable({ applicationId })');
    return this.transport;
  }

  /** Hot path: hand captured facts to the queue. Async hook results are awaited here, bounded. */
  record(exchange: Exchange): void {
    this.counters.captured++;
    if (isThenable(exchange.userId) || isThenable(exchange.companyId) || isThenable(exchange.sessionToken) || isThenable(exchange.metadata) || isThenable(exchange.apiVersion)) {
      void settleHooks(exchange).then(() => this.enqueue(exchange));
      return;
    }
    this.enqueue(exchange);
  }

  private enqueue(exchange: Exchange): void {
    // A 10 MB id from a hook is not held in the queue nor copied to the serializer: left out now.
    if (exchange.userId !== undefined) exchange.userId = boundedId(hookName('userId', exchange), exchange.userId);
    if (exchange.companyId !== undefined) exchange.companyId = boundedId(hookName('companyId', exchange), exchange.companyId);
    if (exchange.sessionToken !== undefined) exchange.sessionToken = boundedId(hookName('sessionToken', exchange), exchange.sessionToken);
    if (exchange.apiVersion !== undefined) exchange.apiVersion = boundedId('getApiVersion', exchange.apiVersion);
    const fixed = EVENT_BASE_BYTES + exchange.url.length + headerBytes(exchange.requestHeaders) + headerBytes(exchange.responseHeaders);
    const bodies = (exchange.requestBody?.size ?? 0) + (exchange.responseBody?.size ?? 0);
    this.batcher.add(exchange, fixed + bodies, bodies > 0 ? () => leaveOutBodies(exchange, fixed) : undefined);
  }

  private serializeContext(): SerializeContext | undefined {
    const options = this.settings;
    if (!options) return undefined;
    return { options, authHeaders: this.authHeaders, sample: (event) => this.sampling.weightFor(event) };
  }

  /** Whether events are being captured and delivered (what the exit handlers check). */
  get active(): boolean {
    return this.capturing;
  }

  get held(): number {
    return this.batcher.held;
  }

  /** Events held, or batches still being assembled or sent: something is left to deliver. */
  get undelivered(): boolean {
    return this.batcher.held > 0 || this.batcher.busy;
  }

  /** `exiting`: the process is ending; assemble on this thread rather than wait on the worker's. */
  flush(signal?: AbortSignal, exiting = false): Promise<void> {
    if (!exiting) return this.batcher.flush(signal);
    this.serializer.mainThreadOnly = true;
    return this.batcher.flush(signal).finally(() => (this.serializer.mainThreadOnly = false));
  }

  /** Flushes within the deadline, then stops capture; what is still held is dropped and counted. */
  async shutdown(timeoutMs = 5_000): Promise<void> {
    this.capturing = false;
    this.configGeneration++;
    this.rules.stop();
    const controller = new AbortController();
    // Ref'd on purpose: a script that awaits shutdown() is held until delivery or the deadline.
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      await this.batcher.flush(controller.signal);
    } finally {
      clearTimeout(timer);
      const left = this.batcher.discard();
      if (left) this.counters.drop('shutdown', left);
      this.transport?.close();
      this.transport = undefined;
      this.transportKey = '';
    }
  }

  stats(): Stats {
    const c = this.counters;
    return { captured: c.captured, sent: c.sent, dropped: { ...c.dropped }, queued: this.batcher.held, retries: c.retries, bodiesLeftOut: c.bodiesLeftOut };
  }

  async sendEntities(kind: EntityKind, input: unknown, batch: boolean): Promise<void> {
    await sendEntities(this.requireTransport(), kind, input, batch, () => this.counters.retries++);
  }
}

async function settleHooks(exchange: Exchange): Promise<void> {
  const fields = ['userId', 'companyId', 'sessionToken', 'metadata', 'apiVersion'] as const;
  await Promise.all(
    fields.map(async (field) => {
      const value = exchange[field];
      if (!isThenable(value)) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, ASYNC_HOOK_TIMEOUT_MS, undefined);
        timer.unref();
      });
      const settled = Promise.resolve(value).then(
        (v) => ({ v }),
        () => ({ v: undefined }), // a rejection: runHook has said so
      );
      const outcome = await Promise.race([settled, timeout]);
      clearTimeout(timer);
      if (outcome === undefined) {
        const name = hookName(field, exchange);
        warnOnce(`hook-timeout:${name}`, `${name} did not settle within ${ASYNC_HOOK_TIMEOUT_MS} ms; that field is left out (the event is not held longer) (said once)`);
      }
      exchange[field] = outcome?.v;
    }),
  );
}

const HOOK_OF = { userId: 'identifyUser', companyId: 'identifyCompany', sessionToken: 'getSessionToken', metadata: 'getMetadata', apiVersion: 'getApiVersion' } as const;

/** The hook that gave an exchange's field, for messages. */
function hookName(field: keyof typeof HOOK_OF, exchange: Exchange): string {
  return exchange.direction === 'Outgoing' && field !== 'apiVersion' ? `${HOOK_OF[field]}Outgoing` : HOOK_OF[field];
}

/** Empties the exchange's bodies (the event gets a marker for each) and gives the size left. */
function leaveOutBodies(exchange: Exchange, fixed: number): number {
  for (const body of [exchange.requestBody, exchange.responseBody]) {
    if (body && body.size > 0) {
      body.chunks = [];
      body.size = 0;
      body.leftOut = true;
    }
  }
  return fixed;
}

function headerBytes(headers: Exchange['requestHeaders']): number {
  if (typeof headers === 'string') return headers.length;
  if (Array.isArray(headers)) {
    let n = 0;
    for (const h of headers) n += h.length;
    return n;
  }
  return 256;
}

const KEY = Symbol.for('moesif.agent');

/** The process's agent, shared by every copy of the package (ESM and CJS builds, nested installs). */
export function getAgent(): Agent {
  return ((globalThis as any)[KEY] ??= new Agent());
}
