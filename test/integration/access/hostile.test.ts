import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateKey } from '../../helpers/ssh-keygen';
import { startStack, type Stack } from '../../helpers/stack';
import { tmpDir } from '../../helpers/tmp';

type Err = { error?: { code: string; message: string } };

let stack: Stack;
let alice: string;
let bob: string;
let pending: string;
let active: string;
let regToken: string;
let hostKey: string;
const keys = tmpDir('bg-hostile-');

beforeAll(async () => {
  stack = await startStack({ policies: resolve(__dirname, '../../fixtures/access/policies') });
  alice = await stack.tokenFor('alice');
  bob = await stack.tokenFor('bob');
  const erin = await stack.tokenFor({ sub: 'erin', email: 'erin@example.com', groups: ['devs'] });
  pending = (
    await stack.api<{ id: string }>(alice, 'POST', '/requests', { host: 'dev-1', login: 'root', reason: 'x' })
  ).body.id;
  active = (
    await stack.api<{ id: string }>(erin, 'POST', '/requests', {
      host: 'dev-1',
      login: 'deploy',
      reason: 'x',
    })
  ).body.id;
  regToken = (await stack.api<{ token: string }>(alice, 'POST', '/hosts/tokens', { labels: { env: 'dev' } }))
    .body.token;
  hostKey = readFileSync(generateKey(keys.path, 'h').publicPath, 'utf8');
});
afterAll(async () => {
  await stack?.close();
  keys.cleanup();
});

/** Everything the access capability keeps, and the audit head: must not move on refused input. */
async function snapshot(): Promise<string> {
  const s = stack.node.store;
  const parts: string[] = [];
  for (const ns of [
    'access.requests',
    'access.open',
    'access.certs',
    'access.revoked',
    'access.join-tokens',
    'access.hosts',
    'access.taints',
  ])
    parts.push(JSON.stringify((await s.list(ns)).map((r) => [r.key, r.version])));
  parts.push(JSON.stringify(await s.head(stack.node.audit.storeLog)));
  return parts.join('\n');
}

const TRICKS = [
  'bidi \u202Eoverride\u202C',
  'zero\u200Bwidth',
  'null\u0000byte',
  'escape \u001b[2J',
  'isolate \u2066x\u2069',
  'bom\uFEFF',
];

interface Case {
  route: string;
  method: string;
  path: () => string;
  token: () => string | null;
  valid: () => Record<string, unknown>;
  /** Free-text fields where unicode tricks are refused. */
  text?: string[];
  /** A field and a value of the wrong type. */
  wrongType: [string, unknown];
}

const cases: Case[] = [
  {
    route: 'POST /requests',
    method: 'POST',
    path: () => '/requests',
    token: () => alice,
    valid: () => ({ host: 'dev-1', login: 'root', reason: 'ok' }),
    text: ['reason'],
    wrongType: ['login', 42],
  },
  {
    route: 'POST /requests/{id}/cancel',
    method: 'POST',
    path: () => `/requests/${pending}/cancel`,
    token: () => alice,
    valid: () => ({}),
    wrongType: ['reason', 1],
  },
  {
    route: 'POST /requests/{id}/reviews',
    method: 'POST',
    path: () => `/requests/${pending}/reviews`,
    token: () => bob,
    valid: () => ({ verdict: 'approve', comment: 'ok' }),
    text: ['comment'],
    wrongType: ['verdict', true],
  },
  {
    route: 'POST /requests/{id}/post-review',
    method: 'POST',
    path: () => `/requests/${pending}/post-review`,
    token: () => bob,
    valid: () => ({ outcome: 'acceptable', comment: 'ok' }),
    text: ['comment'],
    wrongType: ['outcome', ['acceptable']],
  },
  {
    route: 'POST /grants/{id}/revoke',
    method: 'POST',
    path: () => `/grants/${active}/revoke`,
    token: () => alice,
    valid: () => ({ reason: 'done' }),
    text: ['reason'],
    wrongType: ['reason', { text: 'x' }],
  },
  {
    route: 'POST /grants/{id}/certificate',
    method: 'POST',
    path: () => `/grants/${active}/certificate`,
    token: () => alice,
    valid: () => ({ public_key: hostKey }),
    text: ['public_key'],
    wrongType: ['public_key', 7],
  },
  {
    route: 'POST /hosts/tokens',
    method: 'POST',
    path: () => '/hosts/tokens',
    token: () => alice,
    valid: () => ({ labels: { env: 'dev' } }),
    wrongType: ['labels', 'env=dev'],
  },
  {
    route: 'POST /hosts/register',
    method: 'POST',
    path: () => '/hosts/register',
    token: () => null,
    valid: () => ({ token: regToken, name: 'h-1', host_key: hostKey }),
    text: ['name', 'host_key'],
    wrongType: ['port', '22'],
  },
  {
    route: 'POST /hosts/{name}/renew',
    method: 'POST',
    path: () => '/hosts/h-1/renew',
    token: () => null,
    valid: () => ({ renew_token: 'bgr.x', host_key: hostKey }),
    text: ['host_key'],
    wrongType: ['renew_token', null],
  },
];

describe.each(cases)('$route refuses hostile input with a coded 4xx and changes nothing', (c) => {
  const variants: Array<[string, () => { body: string; headers?: Record<string, string> }]> = [
    ['an oversized body', () => ({ body: JSON.stringify({ ...c.valid(), pad: 'x'.repeat(70_000) }) })],
    ['an unknown field', () => ({ body: JSON.stringify({ ...c.valid(), is_admin: true }) })],
    ['a wrong type', () => ({ body: JSON.stringify({ ...c.valid(), [c.wrongType[0]]: c.wrongType[1] }) })],
    ['an array instead of an object', () => ({ body: JSON.stringify([c.valid()]) })],
    ['malformed JSON', () => ({ body: '{"a":' })],
    [
      'a form instead of JSON',
      () => ({ body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    ],
    ...(c.text ?? []).flatMap((field) =>
      TRICKS.map((t): [string, () => { body: string }] => [
        `${JSON.stringify(t)} in ${field}`,
        () => ({ body: JSON.stringify({ ...c.valid(), [field]: t }) }),
      ]),
    ),
  ];
  it.each(variants)('%s', async (_name, make) => {
    const before = await snapshot();
    const { body, headers } = make();
    const r = await stack.api<Err>(c.token(), c.method, c.path(), body, headers);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.error?.code).toMatch(/^[A-Z_]+$/);
    expect(await snapshot()).toBe(before);
  });
});

describe('hostile paths and queries', () => {
  it.each([
    ['GET', '/requests/..%2F..%2Fetc'],
    ['GET', '/requests/r0000\u202E0000-AAAAAAAAAAAAAAAA'],
    ['POST', '/requests/not-an-id/cancel'],
    ['POST', '/grants/x/certificate'],
    ['GET', '/requests?scope=everyone'],
    ['GET', '/requests?limit=-1'],
    ['GET', '/requests?limit=1&admin=1'],
    ['POST', '/hosts/UPPER_case!/renew'],
  ])('%s %s', async (method, path) => {
    const before = await snapshot();
    const r = await stack.api<Err>(
      alice,
      method,
      encodeURI(path).replace(/%25/g, '%'),
      method === 'POST' ? {} : undefined,
    );
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.error?.code).toMatch(/^[A-Z_]+$/);
    expect(await snapshot()).toBe(before);
  });

  it('refuses every access route without authentication except registration, renewal and the KRL', async () => {
    for (const [method, path] of [
      ['POST', '/requests'],
      ['GET', '/requests'],
      ['GET', `/requests/${pending}`],
      ['POST', `/grants/${active}/certificate`],
      ['POST', '/hosts/tokens'],
      ['GET', '/hosts'],
    ] as const) {
      const r = await stack.api<Err>(null, method, path, method === 'POST' ? {} : undefined);
      // 401 without credentials; state-changing requests without a token meet the CSRF guard first (403).
      const accepted = method === 'GET' ? [401] : [401, 403];
      expect([path, accepted.includes(r.status)]).toEqual([path, true]);
      expect(r.body.error?.code).toMatch(/^IDENTITY_/);
    }
  });
});

describe('the OpenAPI document', () => {
  it('lists every access route, with a request body schema for every route that takes one', async () => {
    const doc = (
      await stack.api<{
        paths: Record<
          string,
          Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }>
        >;
      }>(null, 'GET', '/openapi.json')
    ).body;
    const expected: Array<[string, string, boolean]> = [
      ['/requests', 'post', true],
      ['/requests', 'get', false],
      ['/requests/{id}', 'get', false],
      ['/requests/{id}/cancel', 'post', true],
      ['/requests/{id}/reviews', 'post', true],
      ['/requests/{id}/post-review', 'post', true],
      ['/grants/{id}/revoke', 'post', true],
      ['/grants/{id}/certificate', 'post', true],
      ['/krl', 'get', false],
      ['/hosts/tokens', 'post', true],
      ['/hosts/register', 'post', true],
      ['/hosts/{name}/renew', 'post', true],
      ['/hosts', 'get', false],
    ];
    for (const [path, method, hasBody] of expected) {
      const op = doc.paths[path]?.[method];
      expect([path, method, op !== undefined]).toEqual([path, method, true]);
      if (hasBody) expect(op!.requestBody!.content['application/json']!.schema).toBeDefined();
    }
    expect(
      Object.keys(
        doc.paths['/requests']!.post!.requestBody!.content['application/json']!.schema.properties ?? {},
      ),
    ).toEqual(expect.arrayContaining(['host', 'selector', 'login', 'ttl', 'reason', 'ticket', 'emergency']));
  });
});
