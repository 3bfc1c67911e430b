import { isIP } from 'node:net';
import type { EventHeaders } from './types.js';

/** Proxy headers that name the client, in the order they are trusted (SPEC §5). */
const CLIENT_IP_HEADERS = [
  'x-client-ip',
  'x-forwarded-for',
  'cf-connecting-ip',
  'fastly-client-ip',
  'true-client-ip',
  'x-real-ip',
  'x-cluster-client-ip',
  'forwarded',
];

export function clientIp(headers: EventHeaders, socketAddress: string | undefined): string | undefined {
  for (const name of CLIENT_IP_HEADERS) {
    const value = headers[name];
    if (typeof value !== 'string') continue;
    const ip = name === 'forwarded' ? fromForwarded(value) : firstValid(value.split(','));
    if (ip) return ip;
  }
  return socketAddress ? cleanAddress(socketAddress) : undefined;
}

function firstValid(candidates: string[]): string | undefined {
  for (const candidate of candidates) {
    const ip = cleanAddress(candidate.trim());
    if (ip) return ip;
  }
  return undefined;
}

// Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"
function fromForwarded(value: string): string | undefined {
  const candidates: string[] = [];
  for (const element of value.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq !== -1 && pair.slice(0, eq).trim().toLowerCase() === 'for') candidates.push(pair.slice(eq + 1).trim().replace(/^"|"$/g, ''));
    }
  }
  return firstValid(candidates);
}

/** A valid IP without port, brackets or the IPv4-mapped prefix; undefined otherwise. */
function cleanAddress(value: string): string | undefined {
  let ip = value;
  if (ip.startsWith('[')) {
    const end = ip.indexOf(']');
    ip = end === -1 ? ip : ip.slice(1, end);
  } else if (ip.indexOf(':') !== -1 && ip.indexOf(':') === ip.lastIndexOf(':')) {
    ip = ip.slice(0, ip.indexOf(':')); // 1.2.3.4:5678
  }
  if (ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4) ip = ip.slice(7);
  return isIP(ip) ? ip : undefined;
}
