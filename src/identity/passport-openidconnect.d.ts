// Minimal typings for passport-openidconnect 0.1 (it ships none).
declare module 'passport-openidconnect' {
  import type { Strategy as PassportStrategy } from 'passport';

  export interface StrategyOptions {
    issuer: string;
    authorizationURL: string;
    tokenURL: string;
    userInfoURL?: string;
    clientID: string;
    clientSecret: string;
    callbackURL: string;
    scope?: string | string[];
    nonce?: boolean;
    passReqToCallback?: boolean;
    skipUserProfile?: boolean;
    sessionKey?: string;
    prompt?: string;
    maxAge?: number;
    agent?: unknown;
  }

  export class Strategy implements PassportStrategy {
    constructor(options: StrategyOptions, verify: (...args: unknown[]) => void);
    name: string;
    authenticate(req: unknown, options?: unknown): void;
  }
  export default Strategy;
}
