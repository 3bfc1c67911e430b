import type { EventModel } from '../event/types.js';
import { NEEDS_BODY, NEEDS_STATUS, type CompiledRule } from './rules.js';
import { render, type MergeValues } from './template.js';

/**
 * Whether a rule applies to a request. Regex semantics (the same as remote sampling's
 * regex_config): each condition's `value` is a JavaScript RegExp, no flags, tested with
 * RegExp.test against the field's text — a *search*: it matches anywhere in the value unless
 * the pattern anchors itself with ^ and $. A field that is absent is the empty string. A rule
 * applies when every condition of at least one of its regex_config groups matches (OR of ANDs); a
 * rule without regex_config applies to every request.
 *
 * Before the handler runs some conditions cannot be decided yet: request.body.* until the body
 * has arrived, response.status until the app writes its status. Matching is three-valued for
 * them; see Verdict.
 */
export const NO = 0;
export const YES = 1;
/** Undecided until the request body is known. */
export const BODY = 2;
/** Undecided until the response status is known. */
export const STATUS = 3;
export type Verdict = typeof NO | typeof YES | typeof BODY | typeof STATUS;

/** The request as conditions see it: shaped like an event, so the fields sampling reads read it too. */
export type Subject = EventModel;

export function matchRule(rule: CompiledRule, subject: Subject, bodyKnown: boolean, statusKnown: boolean): Verdict {
  const groups = rule.groups;
  if (groups === undefined) return YES;
  let best: Verdict = NO;
  for (let g = 0; g < groups.length; g++) {
    const conditions = groups[g]!;
    let verdict: Verdict = YES;
    for (let i = 0; i < conditions.length; i++) {
      const c = conditions[i]!;
      if (c.kind === NEEDS_BODY && !bodyKnown) {
        verdict = BODY;
        continue;
      }
      if (c.kind === NEEDS_STATUS && !statusKnown) {
        if (verdict === YES) verdict = STATUS;
        continue;
      }
      if (c.regex === undefined || !c.regex.test(c.field(subject))) {
        verdict = NO;
        break;
      }
    }
    if (verdict === YES) return YES;
    if (verdict === BODY) best = BODY;
    else if (verdict === STATUS && best === NO) best = STATUS;
  }
  return best;
}

/** A rule that may apply to this request, with the merge-tag values /v1/config holds for it. */
export interface Candidate {
  rule: CompiledRule;
  values: MergeValues;
  verdict: Verdict;
}

/**
 * The user (or company) rules for an id, by cohort, as /v1/config's user_rules[id] (company_rules)
 * lists them: `[{ rules: "<rule _id>", values: { "0": "…" } }]` names the rules whose cohort holds
 * the id. A `matching` rule applies to the ids in its cohort; a `not_matching` rule to every id
 * NOT in it. Without an id, only the rules with applied_to_unidentified apply (no values).
 * `verdicts` (by rule index) leaves out rules whose conditions already failed.
 */
export function cohortCandidates(
  rules: CompiledRule[],
  entries: unknown,
  id: string | undefined,
  verdicts: Uint8Array,
  out: Candidate[],
): void {
  if (id === undefined) {
    for (const rule of rules) if (rule.unidentified && verdicts[rule.index] !== NO) out.push({ rule, values: undefined, verdict: verdicts[rule.index] as Verdict });
    return;
  }
  let inCohort: Map<string, MergeValues> | undefined;
  if (Array.isArray(entries)) {
    for (const entry of entries) {
      const ruleId = entry && typeof entry === 'object' ? (entry as { rules?: unknown }).rules : undefined;
      if (typeof ruleId !== 'string') continue;
      const values = (entry as { values?: unknown }).values;
      (inCohort ??= new Map()).set(ruleId, values && typeof values === 'object' ? (values as MergeValues) : undefined);
    }
  }
  // In the order /v1/rules lists the rules, whatever the order of the config's entries.
  for (const rule of rules) {
    const verdict = verdicts[rule.index] as Verdict;
    if (verdict === NO) continue;
    const member = inCohort !== undefined && inCohort.has(rule.id);
    if (rule.notMatching ? !member : member) out.push({ rule, values: member ? inCohort!.get(rule.id) : undefined, verdict });
  }
}

/** The response a set of applying rules asks for. */
export interface Decision {
  /** Headers of every applying rule, merged in order (a later rule's value wins, names case-insensitive). */
  headers: Array<[string, string | string[]]>;
  /** The rule that decides status and body: the last blocking one in priority order. */
  blockedBy?: CompiledRule;
  status: number;
  /** The JSON text of the blocked response's body; undefined when the rule has none. */
  body?: string;
}

/**
 * Merges applying rules, given in priority order (regex rules, then company, then user; each in
 * /v1/rules order): every rule adds its headers, and the last blocking rule decides status and
 * body — so a user rule outranks a company rule, which outranks a regex rule.
 */
export function decide(applying: Candidate[]): Decision {
  const merged = new Map<string, [string, string | string[]]>();
  let blocking: Candidate | undefined;
  for (const candidate of applying) {
    const { rule, values } = candidate;
    for (const [name, template] of rule.headers) {
      const value = headerValue(rule.templated ? render(template, values) : template);
      if (value !== undefined) merged.set(name.toLowerCase(), [name, value]);
    }
    if (rule.block) blocking = candidate;
  }
  const decision: Decision = { headers: [...merged.values()], status: 0 };
  if (blocking) {
    const { rule, values } = blocking;
    decision.blockedBy = rule;
    decision.status = rule.status;
    if (rule.body !== undefined) decision.body = JSON.stringify(rule.templated ? render(rule.body, values) : rule.body);
  }
  return decision;
}

function headerValue(value: unknown): string | string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return JSON.stringify(value);
}
