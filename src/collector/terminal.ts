import type { Entity } from './entity-log';
import type { ActionSummary, EventSummary } from './summaries';

/**
 * The terminal view: one line per event as it arrives, in fixed columns
 *
 *   14:07:43.462  in   POST    201    8ms  https://api.acme.com/items?x=1  user u1
 *
 * and one line per user / company / subscription update and action. Colour only on a TTY (and
 * never with NO_COLOR). Captured strings may hold control characters (an ANSI escape in a URI
 * would repaint the terminal): they are shown escaped.
 */

export interface TerminalPrinter {
  events(list: EventSummary[]): void;
  entities(kind: 'users' | 'companies' | 'subscriptions', list: Entity[]): void;
  actions(list: ActionSummary[]): void;
}

type Paint = (code: string, s: string) => string;

export function createTerminalPrinter(out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stdout): TerminalPrinter {
  const colour = !!out.isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  const paint: Paint = colour ? (code, s) => `\x1b[${code}m${s}\x1b[0m` : (_c, s) => s;
  const width = () => (out.isTTY && out.columns ? out.columns : Infinity);
  const write = (line: string) => out.write(`${line}\n`);

  return {
    events(list) {
      for (const e of list) write(eventLine(e, paint, width()));
    },
    entities(kind, list) {
      const label = kind === 'users' ? 'user' : kind === 'companies' ? 'company' : 'subscr';
      for (const e of list) {
        const extra: string[] = [];
        const company = e.data.company_id;
        if (kind !== 'companies' && (typeof company === 'string' || typeof company === 'number')) extra.push(`company ${clean(String(company), 80)}`);
        const status = e.data.status;
        if (kind === 'subscriptions' && typeof status === 'string') extra.push(clean(status, 40));
        write(`${paint('2', clock(new Date()))}  ${paint('35', label.padEnd(12))}${clean(e.id, 120)}${extra.length ? paint('2', `  ${extra.join('  ')}`) : ''}`);
      }
    },
    actions(list) {
      for (const a of list) {
        const who = a.user_id ? paint('2', `  user ${clean(a.user_id, 80)}`) : '';
        write(`${paint('2', clock(new Date(a.received_at)))}  ${paint('35', 'action'.padEnd(12))}${clean(a.action_name ?? '?', 120)}  ${clean(a.uri ?? '', 200)}${who}`);
      }
    },
  };
}

/** HH:MM:SS.mmm in local time. */
function clock(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Control characters (C0, DEL, C1) shown as \xNN; long strings cut. */
export function clean(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function statusColour(status: number | undefined): string {
  if (status === undefined) return '2';
  if (status >= 500) return '31';
  if (status >= 400) return '33';
  if (status >= 300) return '36';
  return '32';
}

export function eventLine(e: EventSummary, paint: Paint, width = Infinity): string {
  const t = Date.parse(e.time);
  const time = clock(new Date(Number.isFinite(t) ? t : Date.parse(e.received_at)));
  const dir = e.direction?.toLowerCase() === 'outgoing' ? 'out' : e.direction?.toLowerCase() === 'incoming' ? 'in' : '?';
  const verb = clean(e.verb ?? '?', 7).padEnd(7);
  const status = (e.status === undefined ? '---' : String(e.status)).padStart(3);
  const dur = (e.duration_ms === undefined ? '' : `${e.duration_ms}ms`).padStart(7);
  const tail: string[] = [];
  // The URI comes first for the room on a line: ids are cut short (the viewer has them in full).
  if (e.user_id) tail.push(`user ${clean(e.user_id, 24)}`);
  if (e.company_id) tail.push(`company ${clean(e.company_id, 20)}`);
  if (e.blocked_by) tail.push(`blocked by ${clean(e.blocked_by, 24)}`);
  const tailText = tail.length ? `  ${tail.join('  ')}` : '';
  // time(12) 2 dir(3) 2 verb(7) 1 status(3) 1 dur(7) 2 = 40 columns before the URI
  const room = Math.max(30, width - 40 - tailText.length);
  const uri = clean(e.uri ?? '?', room);
  return [
    paint('2', time),
    '  ',
    paint(dir === 'out' ? '34' : '1', dir.padEnd(3)),
    '  ',
    paint('1', verb),
    ' ',
    paint(statusColour(e.status), status),
    ' ',
    paint('2', dur),
    '  ',
    uri,
    paint('2', tailText),
  ].join('');
}
