import {
  Lexer,
  LineCounter,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { ErrorCode } from '../errors';
import type { PolicyProblem } from './problems';

/**
 * Turns one policy file's bytes into plain values plus a `locate(path)` that maps a
 * value path (as zod reports it) back to `line:column`. Hostile input is refused
 * with a coded, located problem before it can cost much: not UTF-8, nesting deeper
 * than `maxDepth`, anchors/aliases (alias bombs) and tags, several documents.
 */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** 1-based position of the value at `path`, or of its key when `key` is true. */
  locate(path: readonly PropertyKey[], key?: boolean): { line: number; col: number };
}

export type YamlResult = { ok: true; source: YamlSource } | { ok: false; problems: PolicyProblem[] };

export function readYamlSource(file: string, bytes: Uint8Array, maxDepth: number): YamlResult {
  const fail = (code: ErrorCode, message: string, line = 0, col = 0): YamlResult => ({
    ok: false,
    problems: [{ file, line, col, code, message, severity: 'error' }],
  });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return fail('POLICY_NOT_UTF8', 'not valid UTF-8 (accepted: UTF-8 text)');
  }
  const flowDepth = maxFlowDepth(text, maxDepth);
  if (flowDepth !== null)
    return fail(
      'POLICY_TOO_DEEP',
      `collections nested deeper than ${maxDepth} levels (accepted: at most ${maxDepth})`,
      flowDepth.line,
      flowDepth.col,
    );
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    schema: 'core',
  });
  const pos = (offset: number) => lineCounter.linePos(offset);
  const problems: PolicyProblem[] = [];
  const add = (code: ErrorCode, message: string, offset: number) => {
    const p = pos(offset);
    problems.push({ file, line: p.line, col: p.col, code, message, severity: 'error' });
  };
  for (const e of [...doc.errors, ...doc.warnings]) {
    const message = e.message.split(' at line ')[0]!.split('\n')[0]!;
    if (/call stack/i.test(message)) {
      // the parser ran out of stack: block nesting far beyond any policy's
      add(
        'POLICY_TOO_DEEP',
        `collections nested deeper than ${maxDepth} levels (accepted: at most ${maxDepth})`,
        e.pos[0],
      );
      break;
    }
    const code: ErrorCode = e.code === 'TAG_RESOLVE_FAILED' ? 'POLICY_ALIAS_REFUSED' : 'POLICY_YAML_SYNTAX';
    add(code, message, e.pos[0]);
  }
  if (problems.length > 0) return { ok: false, problems };
  checkNodes(doc, maxDepth, add);
  if (problems.length > 0) return { ok: false, problems };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (err) {
    return fail('POLICY_ALIAS_REFUSED', `${(err as Error).message} (accepted: plain YAML without aliases)`);
  }
  return {
    ok: true,
    source: { file, value: value ?? {}, locate: (path, key) => locateIn(doc, path, key ?? false, pos) },
  };
}

/** Refuses anchors, aliases and explicit tags; bounds nesting depth (block and flow). */
function checkNodes(
  doc: Document,
  maxDepth: number,
  add: (code: ErrorCode, message: string, offset: number) => void,
): void {
  visit(doc, {
    Node: (_key, node, path) => {
      const start = node.range?.[0] ?? 0;
      if (isAlias(node)) {
        add(
          'POLICY_ALIAS_REFUSED',
          `alias *${node.source} refused (accepted: plain YAML without anchors or aliases)`,
          start,
        );
        return visit.SKIP;
      }
      if (node.anchor)
        add(
          'POLICY_ALIAS_REFUSED',
          `anchor &${node.anchor} refused (accepted: plain YAML without anchors or aliases)`,
          start,
        );
      if (node.tag)
        add('POLICY_ALIAS_REFUSED', `tag ${node.tag} refused (accepted: plain YAML without tags)`, start);
      const depth = path.filter((p) => isMap(p) || isSeq(p)).length;
      if (depth > maxDepth) {
        add(
          'POLICY_TOO_DEEP',
          `collections nested deeper than ${maxDepth} levels (accepted: at most ${maxDepth})`,
          start,
        );
        return visit.BREAK;
      }
      return undefined;
    },
  });
}

/**
 * Cheap guard before parsing: the YAML composer recurses, so a megabyte of `[[[[`
 * would cost seconds. Counts bracket depth outside quotes and comments; when it goes
 * past the limit, the lexer confirms (brackets inside block scalars do not count).
 */
/** Tokens the lexer emits that are not source text (document start, scalar and flow-error markers). */
const LEXER_CONTROL = new Set(['\u0002', '\u0018', '\u001f']);

function maxFlowDepth(text: string, maxDepth: number): { line: number; col: number } | null {
  let depth = 0;
  let suspicious = false;
  for (let i = 0; i < text.length && !suspicious; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) suspicious = ++depth > maxDepth;
    else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  if (!suspicious) return null;
  depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > maxDepth) {
        const before = text.slice(0, offset);
        const line = before.split('\n').length;
        return { line, col: offset - before.lastIndexOf('\n') };
      }
    } else if ((token === ']' || token === '}') && depth > 0) depth--;
    if (!LEXER_CONTROL.has(token)) offset += token.length;
  }
  return null;
}

function locateIn(
  doc: Document,
  path: readonly PropertyKey[],
  wantKey: boolean,
  pos: (offset: number) => { line: number; col: number },
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let best = isNode(node) ? (node.range?.[0] ?? 0) : 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (last && wantKey) return pos(keyNode.range?.[0] ?? best);
      node = pair.value;
      best = isNode(node) ? (node.range?.[0] ?? best) : (keyNode.range?.[0] ?? best);
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (!isNode(item)) break;
      node = item;
      best = item.range?.[0] ?? best;
    } else {
      break;
    }
  }
  return pos(best);
}
