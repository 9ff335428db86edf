/** Role policies as code: loading, validation, evaluation, reload. See docs/policy.md. */
export type {
  Subject,
  AccessRequest,
  Decision,
  Effect,
  Constraints,
  SshConstraints,
  ApprovalConstraints,
  EmergencyConstraints,
  ReviewerSpec,
  Reason,
  Host,
  HostTrust,
  Permission,
} from './types';
export { PERMISSIONS } from './types';
export type { CompiledPolicy } from './compiled';
export { evaluate, DENIED_CONSTRAINTS } from './evaluate';
export { canReview, hasPermission, permissionsOf, matchesReviewerSpec, type ReviewOptions } from './review';
export { createInventory, withHosts, type Inventory } from './inventory';
export { hostFromInput } from './host-input';
export { DEFAULT_LIMITS, resolveLimits, limitsFromConfig, type PolicyLimits } from './limits';
export { SAFE_LOGIN_RE, isSafeLogin } from './logins';
export {
  loadPolicyDir,
  loadPolicyDirOrThrow,
  parsePolicyFiles,
  HOSTS_FILE,
  type LoadResult,
  type LoadedPolicy,
  type PolicyFile,
} from './load';
export { formatProblem, type PolicyProblem } from './problems';
export {
  createPolicyStore,
  type PolicyStore,
  type PolicyStoreOptions,
  type ReloadResult,
  type PolicyReloadedEvent,
  type PolicyRefusedEvent,
} from './store';
export { runPolicyCases, readCasesFile, type CaseResult, type PolicyCase, type CasesFile } from './cases';
export { describeDecision } from './explain';
