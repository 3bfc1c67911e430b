// The rule sets the governance bench runs with: 50 rules each, shaped like real dashboards make
// them (route + verb, a header, OR groups; user and company cohorts; a GraphQL body rule).
export const JWT_SUB = 'u-bench';

const groups = (...g) => g.map((conditions) => ({ conditions: conditions.map(([path, value]) => ({ path, value })) }));

function regexRule(i) {
  const shapes = [
    () => groups([['request.route', `^/api/v1/resource${i}(/|$)`], ['request.verb', '^(POST|PUT|DELETE)$']]),
    () => groups([['request.route', `^/internal/${i}/`]], [['request.headers.x-client', `^legacy-client-${i}$`]]),
    () => groups([['request.ip_address', `^10\\.${i}\\.`]]),
    () => groups([['request.route', `^/v${i}/`], ['request.headers.user-agent', 'curl/']]),
    () => groups([['request.route', '^/graphql$'], ['request.body.operationName', `^Op${i}$`]]),
  ];
  return {
    _id: `regex-${i}`,
    type: 'regex',
    block: i % 3 !== 0,
    regex_config: shapes[i % shapes.length](),
    response: { status: 403, headers: { 'X-Rule': `regex-${i}` }, body: { error: 'blocked by {{0|rule}}' } },
  };
}

const cohortRule = (type, i) => ({
  _id: `${type}-${i}`,
  type,
  block: true,
  applied_to: i % 4 === 0 ? 'not_matching' : 'matching',
  applied_to_unidentified: false,
  // not_matching rules would apply to everyone outside their cohort: keep them on other routes
  regex_config: i % 4 === 0 ? groups([['request.route', `^/premium/${i}`]]) : undefined,
  response: { status: 402, headers: { 'X-Quota': '{{0|unknown}}' }, body: { error: '{{0}} is over quota on {{plan|Free}}' } },
});

/** 50 regex rules, none of which applies to GET /small. */
export const regex50 = Array.from({ length: 50 }, (_, i) => regexRule(i));

/** 30 regex + 10 user + 10 company rules: user rules need the user (a JWT here), none applies. */
export const mixed50 = [
  ...Array.from({ length: 30 }, (_, i) => regexRule(i)),
  ...Array.from({ length: 10 }, (_, i) => cohortRule('user', i)),
  ...Array.from({ length: 10 }, (_, i) => cohortRule('company', i)),
];

/** /v1/config for mixed50: 1000 users in cohorts, not the bench's user. */
export const mixedConfig = {
  sample_rate: 100,
  user_rules: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`user-${i}`, [{ rules: `user-${(i % 9) + 1}`, values: { 0: `user-${i}`, plan: 'Pro' } }]])),
  company_rules: {},
};

/** 49 regex rules that do not apply + one at the end that blocks GET /small with a templated body. */
export const block50 = [
  ...regex50.slice(0, 49),
  { _id: 'block-small', type: 'regex', block: true, regex_config: groups([['request.route', '^/small$']]), response: { status: 429, headers: { 'Retry-After': '{{after|60}}' }, body: { error: 'slow down', retry: '{{after|60}}' } } },
];

export function jwt() {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none' })}.${b64({ sub: JWT_SUB })}.sig`;
}
