/** Bounds that keep hostile policy files and requests from exhausting the process. */
export interface PolicyLimits {
  /** Largest policy file read (bytes); larger files are refused unread. */
  readonly maxFileBytes: number;
  /** Most `*.yaml` files read from the policy directory. */
  readonly maxFiles: number;
  /** Deepest nesting of YAML collections accepted. */
  readonly maxDepth: number;
  /** Longest `^…$` regular expression accepted in a policy. */
  readonly maxRegexLength: number;
  /** Longest string (email, group, claim value, host, login, reason, ticket) a request may carry into matching. */
  readonly maxInputLength: number;
  /** Most hosts one label-selector request may cover. */
  readonly maxSelectorHosts: number;
}

export const DEFAULT_LIMITS: PolicyLimits = Object.freeze({
  maxFileBytes: 4 * 1024 * 1024,
  maxFiles: 256,
  maxDepth: 32,
  maxRegexLength: 256,
  maxInputLength: 256,
  maxSelectorHosts: 1000,
});

/** Fills unspecified limits with the defaults. */
export function resolveLimits(partial: Partial<PolicyLimits> = {}): PolicyLimits {
  return Object.freeze({
    ...DEFAULT_LIMITS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  });
}

/** The limits configured in the `policy.limits` section of the configuration. */
export function limitsFromConfig(section: {
  limits: {
    max_file_bytes: number;
    max_files: number;
    max_depth: number;
    max_regex_length: number;
    max_input_length: number;
    max_selector_hosts: number;
  };
}): PolicyLimits {
  const l = section.limits;
  return resolveLimits({
    maxFileBytes: l.max_file_bytes,
    maxFiles: l.max_files,
    maxDepth: l.max_depth,
    maxRegexLength: l.max_regex_length,
    maxInputLength: l.max_input_length,
    maxSelectorHosts: l.max_selector_hosts,
  });
}
