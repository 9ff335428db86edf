/** The audit log as identity sees it: `append` resolves once the entry is durable. */
export interface AuditSink {
  append(event: IdentityAuditEvent): Promise<unknown>;
}

export interface IdentityAuditEvent {
  type: 'login' | 'logout' | 'login.failed' | 'token.issued';
  actor: string;
  target?: string;
  data: Record<string, unknown>;
}

/** Actor of events about someone not (yet) identified. */
export const ANONYMOUS = 'user:anonymous';

/** The audit actor of a person: `user:<email>` (or `user:<sub>` without an e-mail address). */
export function userActor(subject: { sub: string; email: string | null }): string {
  return `user:${subject.email ?? subject.sub}`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
