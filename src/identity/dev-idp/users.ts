/**
 * Demo users of the development IdP. Passwords are the part of the e-mail address
 * before the `@` (`alice`, `bob`, …): this IdP is for development only and never
 * starts unless asked. Groups match the example policies.
 */
export interface DemoUser {
  readonly sub: string;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly groups: readonly string[];
  readonly password: string;
  /** Whether a login counts as multi-factor (`amr` gets `mfa`). */
  readonly mfa: boolean;
}

export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  {
    sub: 'alice',
    email: 'alice@example.com',
    name: 'Alice Admin',
    role: 'admin',
    groups: ['admins'],
    password: 'alice',
    mfa: false,
  },
  {
    sub: 'bob',
    email: 'bob@example.com',
    name: 'Bob Approver',
    role: 'approver',
    groups: ['approvers'],
    password: 'bob',
    mfa: false,
  },
  {
    sub: 'carol',
    email: 'carol@example.com',
    name: 'Carol Security',
    role: 'security reviewer',
    groups: ['security'],
    password: 'carol',
    mfa: false,
  },
  {
    sub: 'dave',
    email: 'dave@example.com',
    name: 'Dave On-Call',
    role: 'on-call engineer',
    groups: ['oncall'],
    password: 'dave',
    mfa: true,
  },
]);

export function findDemoUser(idOrEmail: string): DemoUser | undefined {
  const needle = idOrEmail.trim().toLowerCase();
  return DEMO_USERS.find((u) => u.sub === needle || u.email === needle);
}

/** The authentication methods a successful login of `user` reports (`amr`, RFC 8176). */
export function amrFor(user: DemoUser): string[] {
  return user.mfa ? ['pwd', 'mfa'] : ['pwd'];
}

/** Claims the IdP releases for a user, by scope. */
export function claimsFor(user: DemoUser): Record<string, unknown> {
  return {
    sub: user.sub,
    email: user.email,
    email_verified: true,
    name: user.name,
    preferred_username: user.sub,
    groups: [...user.groups],
  };
}
