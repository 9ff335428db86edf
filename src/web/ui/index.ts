/**
 * The web UI for admins, approvers and security reviewers: server-rendered pages with a
 * little unobtrusive script (src/web/public/ui.js). See docs/ui.md.
 */
import type { UiRouterFactory } from '../app';
import type { UiDeps } from './deps';
import { uiErrorHandler } from './frame';
import { accessPages } from './routes/access';
import { oversightPages } from './routes/oversight';
import { reviewPages } from './routes/reviews';
import { sessionPages } from './routes/sessions';

export type { UiDeps, GatewayView, LiveSessionView, LiveChannelView } from './deps';
export { viewOfGateway } from './gateway-view';
export { abilitiesOf, policySubject, PAGE_RULES, type Abilities, type PageName } from './abilities';

/**
 * The UI's page routers for `createWebServer({ uiRouters })`. Each gets the login
 * redirect and CSRF token through the UiContext; pages refuse people whose policy
 * permissions do not cover them (403 page).
 */
export function uiRouters(deps: UiDeps): UiRouterFactory[] {
  return [
    (ctx) => accessPages(ctx, deps).use(uiErrorHandler()),
    (ctx) => reviewPages(ctx, deps).use(uiErrorHandler()),
    (ctx) => oversightPages(ctx, deps).use(uiErrorHandler()),
    (ctx) => sessionPages(ctx, deps).use(uiErrorHandler()),
  ];
}
