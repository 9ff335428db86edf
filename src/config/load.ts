import { readFileSync } from 'node:fs';
import { isAbsolute, resolve, dirname } from 'node:path';
import { parseDocument, parse as parseYamlScalar } from 'yaml';
import { z } from 'zod';
import { BreakglassError } from '../errors';
import { configSchema, type Config } from './schema';

export const ENV_PREFIX = 'BREAKGLASS_';
/** Environment variables with the prefix that are not configuration keys. */
const NON_KEY_ENV = new Set(['BREAKGLASS_CONFIG']);
const MAX_CONFIG_BYTES = 1_048_576;

export interface ConfigProblem {
  path: string;
  message: string;
}

export interface LoadOptions {
  /** Path of the YAML file; when absent no file is read (defaults and environment only). */
  file?: string;
  /** Environment to take overrides from (default: none). */
  env?: NodeJS.ProcessEnv;
  /** Extra values applied over the file and under the environment (e.g. `--dev`). */
  overrides?: Record<string, unknown>;
}

/** Reads, merges, validates and deep-freezes the configuration, or throws CONFIG_* with every problem. */
export function loadConfig(options: LoadOptions = {}): Readonly<Config> {
  const fromFile = options.file === undefined ? {} : readConfigFile(options.file);
  const merged = deepMerge(deepMerge(fromFile, options.overrides ?? {}), envOverrides(options.env ?? {}));
  const result = configSchema.safeParse(merged, { reportInput: true });
  if (!result.success) {
    const problems = describeIssues(result.error.issues);
    throw new BreakglassError('CONFIG_INVALID', problems.map((p) => `${p.path}: ${p.message}`).join('\n'), {
      details: { problems },
    });
  }
  const config = result.data;
  if (options.file !== undefined) {
    // Relative directories are relative to the configuration file, not to the cwd.
    const base = dirname(resolve(options.file));
    config.data_dir = isAbsolute(config.data_dir) ? config.data_dir : resolve(base, config.data_dir);
    config.certs_dir = isAbsolute(config.certs_dir) ? config.certs_dir : resolve(base, config.certs_dir);
  }
  return deepFreeze(config);
}

/** Validates without throwing; returns every problem found (empty when valid). */
export function checkConfig(options: LoadOptions = {}): ConfigProblem[] {
  try {
    loadConfig(options);
    return [];
  } catch (err) {
    if (err instanceof BreakglassError && err.code === 'CONFIG_INVALID')
      return err.details!.problems as ConfigProblem[];
    if (err instanceof BreakglassError && err.code === 'CONFIG_UNREADABLE') {
      return (
        (err.details?.problems as ConfigProblem[] | undefined) ?? [{ path: '(file)', message: err.message }]
      );
    }
    throw err;
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_CONFIG_BYTES) {
      throw new BreakglassError('CONFIG_UNREADABLE', `${file}: larger than ${MAX_CONFIG_BYTES} bytes`);
    }
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch (err) {
    if (err instanceof BreakglassError) throw err;
    const reason =
      (err as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA'
        ? 'not valid UTF-8'
        : ((err as NodeJS.ErrnoException).code ?? String(err));
    throw new BreakglassError('CONFIG_UNREADABLE', `${file}: cannot read (${reason})`, { cause: err });
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      path: '(yaml)',
      message: `${file}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`,
    }));
    throw new BreakglassError('CONFIG_UNREADABLE', problems.map((p) => p.message).join('\n'), {
      details: { problems },
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 }); // no anchors/aliases in configuration: no alias bombs
  } catch (err) {
    const problems = [
      {
        path: '(yaml)',
        message: `${file}: ${(err as Error).message} (accepted: plain YAML without aliases)`,
      },
    ];
    throw new BreakglassError('CONFIG_UNREADABLE', problems[0]!.message, { details: { problems } });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    const problems = [{ path: '(root)', message: 'expected a mapping of keys (accepted: a YAML mapping)' }];
    throw new BreakglassError('CONFIG_UNREADABLE', `${file}: the document is not a mapping`, {
      details: { problems },
    });
  }
  return value as Record<string, unknown>;
}

/**
 * `BREAKGLASS_STORE__REDIS__URL=...` sets `store.redis.url`: the prefix, then the key
 * path in upper case with `__` between levels. Values are read as YAML scalars, so
 * `true`, `8080` and `2s` get their natural types.
 */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NON_KEY_ENV.has(name) || raw === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    if (path.some((p) => p === '')) continue;
    let value: unknown;
    try {
      value = parseYamlScalar(raw);
    } catch {
      value = raw;
    }
    if (value !== null && typeof value === 'object') value = raw; // only scalars from the environment
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Turns zod issues into `path: what is wrong (what is accepted)` lines. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({
          path: path === '(root)' ? key : `${path}.${key}`,
          message: `unknown key (accepted: ${acceptedKeys(issue.path)})`,
        });
      }
      continue;
    }
    problems.push({ path, message: messageFor(issue) });
  }
  return problems;
}

function messageFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, got ${describeInput(issue.input)} (accepted: ${issue.expected})`;
    case 'invalid_value':
      return `not an accepted value (accepted: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`;
    case 'too_small':
      return `too small (accepted: ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''})`;
    case 'too_big':
      return `too large (accepted: ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''})`;
    case 'invalid_format':
      return issue.message.includes('(accepted')
        ? issue.message
        : `malformed ${issue.format} (accepted: ${issue.format === 'regex' ? `text matching ${(issue as { pattern?: string }).pattern}` : `a valid ${issue.format}`})`;
    default:
      return issue.message.includes('(accepted')
        ? issue.message
        : `${issue.message} (see the configuration reference)`;
  }
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  return typeof input;
}

function acceptedKeys(path: readonly PropertyKey[]): string {
  let schema: z.ZodType = configSchema;
  for (const key of path) {
    const inner = unwrap(schema);
    if (!(inner instanceof z.ZodObject)) return 'see the configuration reference';
    schema = (inner.shape as Record<string, z.ZodType>)[String(key)]!;
  }
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject
    ? Object.keys(inner.shape).join(', ')
    : 'see the configuration reference';
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    const def = (s as { _zod?: { def?: { innerType?: z.ZodType; in?: z.ZodType } } })._zod?.def;
    if (def?.innerType) s = def.innerType;
    else if (def?.in) s = def.in;
    else return s;
  }
}
