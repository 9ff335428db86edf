import { isSafeLogin } from '../policy';

/** Host names as the inventory writes them (lowercase DNS-style labels). */
export const TARGET_HOST_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** What the SSH user name asks for. */
export type TargetRequest =
  /** `LOGIN@HOST`: exactly this login on this host. */
  | { readonly kind: 'exact'; readonly login: string; readonly host: string }
  /** `LOGIN`: this login on whichever granted host (a menu when there are several). */
  | { readonly kind: 'login'; readonly login: string }
  /** Anything else (e.g. the local user name of `ssh gateway`): choose from every grant. */
  | { readonly kind: 'any'; readonly name: string };

/**
 * Reads the SSH user name: `root@db-1` names login `root` on host `db-1`; `root` names a
 * login only. Logins never contain `@` (policy's SAFE_LOGIN_RE), so the first `@` splits.
 * Pure; never throws: a name that is neither form means "let me choose".
 */
export function parseTarget(username: string): TargetRequest {
  const at = username.indexOf('@');
  if (at > 0) {
    const login = username.slice(0, at);
    const host = username.slice(at + 1).toLowerCase();
    if (isSafeLogin(login) && TARGET_HOST_RE.test(host)) return { kind: 'exact', login, host };
    return { kind: 'any', name: username.slice(0, 200) };
  }
  if (isSafeLogin(username)) return { kind: 'login', login: username };
  return { kind: 'any', name: username.slice(0, 200) };
}

/** `login@host`, as users type it and messages show it. */
export function formatTarget(t: { login: string; host: string }): string {
  return `${t.login}@${t.host}`;
}
