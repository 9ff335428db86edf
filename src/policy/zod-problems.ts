import type { z } from 'zod';
import type { PolicyProblem } from './problems';
import type { YamlSource } from './yaml-source';

/** Turns zod issues on one file into located problems with what is accepted. */
export function issuesToProblems(
  source: YamlSource,
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  prefix: readonly PropertyKey[] = [],
): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  const push = (relative: readonly PropertyKey[], message: string, key = false) => {
    const path = [...prefix, ...relative];
    const { line, col } = source.locate(path, key);
    const where = path.length > 0 ? `${formatPath(path)}: ` : '';
    out.push({
      file: source.file,
      line,
      col,
      code: 'POLICY_SCHEMA',
      message: `${where}${message}`,
      severity: 'error',
    });
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const accepted = acceptedKeys(schema, issue.path);
      for (const k of issue.keys)
        push([...issue.path, k], `unknown key (accepted: ${accepted.join(', ')})`, true);
      continue;
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      push(issue.path, 'required key is missing');
      continue;
    }
    push(issue.path, messageFor(issue));
  }
  return out;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path)
    out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out;
}

export function messageFor(issue: z.core.$ZodIssue): string {
  if (issue.message.includes('(accepted')) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, got ${describe(issue.input)} (accepted: ${issue.expected})`;
    case 'invalid_value':
      return `not an accepted value (accepted: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`;
    case 'too_small':
      return `too small (accepted: ${issue.origin === 'array' ? 'at least ' : '>= '}${String(issue.minimum)}${issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : ''})`;
    case 'too_big':
      return `too large (accepted: ${issue.origin === 'array' ? 'at most ' : '<= '}${String(issue.maximum)}${issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : ''})`;
    default:
      return `${issue.message} (see docs/policy.md)`;
  }
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}

type Def = {
  type?: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 16; i++) {
    const def = defOf(s);
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe') s = def.in && defOf(def.in).type !== 'transform' ? def.in : def.out!;
    else if (def.type === 'union' && def.options)
      s = def.options.find((o) => defOf(unwrap(o)).type === 'object') ?? s;
    else break;
    if (def.type === 'union') break;
  }
  return s;
}

/** Keys of the object schema at `path` (array indexes and record keys step into the element). */
export function acceptedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s = unwrap(schema);
  for (const seg of path) {
    const def = defOf(s);
    if (def.type === 'array' && def.element) s = unwrap(def.element);
    else if (def.type === 'record' && def.valueType) s = unwrap(def.valueType);
    else if (def.type === 'object' && def.shape) s = unwrap(def.shape[String(seg)]!);
    else return [];
  }
  const def = defOf(s);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
