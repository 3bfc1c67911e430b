import { installUndiciCapture } from './fetch.js';
import { installHttpClientCapture } from './http-client.js';
import { installHttp2ClientCapture } from './http2-client.js';
import { hub } from './outgoing-capture.js';
import type { CaptureSink } from './sink.js';

/**
 * Turns outgoing capture on: node:http/https clients, node:http2 clients (Node 22+), and undici's
 * channels (global fetch and npm undici).
 * Installed once per process, whichever copy of the package comes first; later calls only point
 * the capture at the sink (whose options say, per call, whether capture is on).
 */
export function installOutgoingCapture(sink: CaptureSink): void {
  hub.sink = sink;
  if (hub.installed) return;
  hub.installed = true;
  installHttpClientCapture();
  installHttp2ClientCapture();
  installUndiciCapture();
}
