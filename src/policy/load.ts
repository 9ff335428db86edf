import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CompiledPolicy } from './compiled';
import { compileSources } from './compile';
import type { Inventory } from './inventory';
import { resolveLimits, type PolicyLimits } from './limits';
import { policyInvalidError, sortProblems, type PolicyProblem } from './problems';
import { readYamlSource, type YamlSource } from './yaml-source';

export const HOSTS_FILE = 'hosts.yaml';
const POLICY_FILE_RE = /\.ya?ml$/;

/** A successfully loaded policy set. */
export interface LoadedPolicy {
  readonly policy: CompiledPolicy;
  readonly inventory: Inventory;
  /** Problems that did not refuse the policy (e.g. a label value no host has yet). */
  readonly warnings: readonly PolicyProblem[];
  /** Display paths of the files read. */
  readonly files: readonly string[];
}

export type LoadResult = ({ ok: true } & LoadedPolicy) | { ok: false; problems: PolicyProblem[] };

export interface PolicyFile {
  /** Display path (used in problems); its base name decides the role (`hosts.yaml` is the inventory) and rule ids. */
  readonly file: string;
  readonly bytes: Uint8Array;
}

/** Pure: parses and compiles files already in memory. */
export function parsePolicyFiles(
  files: readonly PolicyFile[],
  limits: Partial<PolicyLimits> = {},
): LoadResult {
  const resolved = resolveLimits(limits);
  const problems: PolicyProblem[] = [];
  const roleFiles: YamlSource[] = [];
  let hosts: YamlSource | undefined;
  for (const f of files) {
    if (f.bytes.length > resolved.maxFileBytes) {
      problems.push(tooLarge(f.file, f.bytes.length, resolved.maxFileBytes));
      continue;
    }
    const r = readYamlSource(f.file, f.bytes, resolved.maxDepth);
    if (!r.ok) {
      problems.push(...r.problems);
      continue;
    }
    if (basename(f.file) === HOSTS_FILE) hosts = r.source;
    else roleFiles.push(r.source);
  }
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  const compiled = compileSources({ roleFiles, ...(hosts ? { hosts } : {}) }, resolved);
  if (!compiled.ok) return { ok: false, problems: sortProblems(compiled.problems) };
  const warnings = [...compiled.warnings];
  if (!hosts)
    warnings.push({
      file: HOSTS_FILE,
      line: 0,
      col: 0,
      code: 'POLICY_UNKNOWN_REFERENCE',
      message: 'no hosts.yaml: the inventory is empty',
      severity: 'warning',
    });
  return {
    ok: true,
    policy: compiled.policy,
    inventory: compiled.inventory,
    warnings: sortProblems(warnings),
    files: files.map((f) => f.file).sort(),
  };
}

function tooLarge(file: string, size: number, max: number): PolicyProblem {
  return {
    file,
    line: 0,
    col: 0,
    code: 'POLICY_FILE_TOO_LARGE',
    message: `${size} bytes (accepted: at most ${max}); refused unread`,
    severity: 'error',
  };
}

/**
 * Reads `*.yaml`/`*.yml` directly in `dir` (sub-directories such as `tests/` are not
 * policy) and compiles them. Never throws for bad content: every problem is returned.
 */
export async function loadPolicyDir(dir: string, limits: Partial<PolicyLimits> = {}): Promise<LoadResult> {
  const resolved = resolveLimits(limits);
  const dirProblem = (
    message: string,
    code: PolicyProblem['code'] = 'POLICY_DIR_UNREADABLE',
  ): LoadResult => ({
    ok: false,
    problems: [{ file: dir, line: 0, col: 0, code, message, severity: 'error' }],
  });
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => POLICY_FILE_RE.test(d.name) && (d.isFile() || d.isSymbolicLink()))
      .map((d) => d.name);
  } catch (err) {
    return dirProblem(
      `cannot read the policy directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  if (names.length > resolved.maxFiles)
    return dirProblem(
      `${names.length} policy files (accepted: at most ${resolved.maxFiles})`,
      'POLICY_TOO_MANY_FILES',
    );
  if (names.length === 0)
    return dirProblem(
      'no *.yaml policy files in the directory (accepted: roles in *.yaml, hosts in hosts.yaml)',
      'POLICY_DIR_UNREADABLE',
    );
  const files: PolicyFile[] = [];
  const problems: PolicyProblem[] = [];
  for (const name of names.sort()) {
    const file = join(dir, name);
    const r = await readBounded(file, resolved.maxFileBytes);
    if ('problem' in r) problems.push(r.problem);
    else files.push({ file, bytes: r.bytes });
  }
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return parsePolicyFiles(files, resolved);
}

/** Like loadPolicyDir, but throws POLICY_INVALID (every problem in the message and details). */
export async function loadPolicyDirOrThrow(
  dir: string,
  limits: Partial<PolicyLimits> = {},
): Promise<LoadedPolicy> {
  const r = await loadPolicyDir(dir, limits);
  if (!r.ok) throw policyInvalidError(r.problems);
  return r;
}

async function readBounded(
  file: string,
  max: number,
): Promise<{ bytes: Uint8Array } | { problem: PolicyProblem }> {
  try {
    const info = await stat(file);
    if (!info.isFile())
      return {
        problem: {
          file,
          line: 0,
          col: 0,
          code: 'POLICY_DIR_UNREADABLE',
          message: 'not a regular file',
          severity: 'error',
        },
      };
    if (info.size > max) return { problem: tooLarge(file, info.size, max) };
    const handle = await open(file, 'r');
    try {
      const buf = Buffer.alloc(max + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > max) return { problem: tooLarge(file, length, max) };
      }
      return { bytes: buf.subarray(0, length) };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return {
      problem: {
        file,
        line: 0,
        col: 0,
        code: 'POLICY_DIR_UNREADABLE',
        message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        severity: 'error',
      },
    };
  }
}
