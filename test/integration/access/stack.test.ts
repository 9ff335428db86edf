import { startStack, type Stack } from '../../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ devIdp: true });
});
afterAll(async () => stack?.close());

describe('the shared test stack (test/helpers/stack.ts)', () => {
  it('logs a demo user in through the development IdP and files a request with the example policies', async () => {
    const token = await stack.loginAs('dave');
    const me = await stack.api<{ email: string; amr: string[] }>(token, 'GET', '/me');
    expect(me.body).toMatchObject({ email: 'dave@example.com', amr: expect.arrayContaining(['mfa']) });
    const r = await stack.api<{ status: string; emergency: boolean }>(token, 'POST', '/requests', {
      host: 'web-1',
      login: 'dave',
      reason: 'the quick start',
      emergency: true,
    });
    expect(r.body).toMatchObject({ status: 'active', emergency: true });
  });
});
