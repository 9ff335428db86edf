import { caError, malformed } from '../errors';
import { SshReader, SshWriter, sshString } from '../wire';
import type { CertOption, CriticalOptions, ExtensionRequest } from './model';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const MAX_OPTIONS = 64;

/** A flag option (empty data), e.g. `permit-pty` or `verify-required`. */
export function flagOption(name: string): CertOption {
  return { name, data: Buffer.alloc(0) };
}

/** An option whose value is a string; the value ends up wrapped twice on the wire. */
export function stringOption(name: string, value: string): CertOption {
  return { name, data: sshString(value) };
}

/** Sorts by name in byte order (Buffer.compare, never localeCompare) and refuses duplicates. */
export function sortOptions(options: readonly CertOption[], what: string): CertOption[] {
  const sorted = [...options].sort((a, b) =>
    Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8')),
  );
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.name === sorted[i - 1]!.name)
      throw caError(
        'CA_INVALID_OPTION',
        `${what} ${JSON.stringify(sorted[i]!.name)} appears twice (accepted: each name once)`,
      );
  }
  return sorted;
}

/** Writes an option list (already sorted and unique) as the nested string of tuples. */
export function writeOptions(w: SshWriter, options: readonly CertOption[]): void {
  w.nested((inner) => {
    for (const o of options) inner.string(o.name).string(o.data);
  });
}

/** Reads an option list, refusing unsorted or duplicated names and more than 64 entries. */
export function readOptions(r: SshReader, what: 'critical option' | 'extension'): CertOption[] {
  const list = new SshReader(r.string(`${what}s`), `certificate ${what}s`);
  const out: CertOption[] = [];
  let prev: Buffer | null = null;
  while (list.remaining > 0) {
    const nameBytes = list.string(`${what} name`, 256);
    if (nameBytes.length === 0 || nameBytes.includes(0))
      throw malformed(`certificate ${what}s`, 'empty name or NUL in a name');
    let name: string;
    try {
      name = UTF8.decode(nameBytes);
    } catch {
      throw malformed(`certificate ${what}s`, 'name is not valid UTF-8');
    }
    if (prev) {
      const cmp = Buffer.compare(prev, nameBytes);
      if (cmp === 0)
        throw caError('CA_INVALID_OPTION', `certificate ${what} ${JSON.stringify(name)} appears twice`);
      if (cmp > 0)
        throw caError(
          'CA_INVALID_OPTION',
          `certificate ${what}s are not sorted by name (${JSON.stringify(name)} after a greater name)`,
        );
    }
    prev = nameBytes;
    out.push({ name, data: list.string(`${what} data`) });
    if (out.length > MAX_OPTIONS) throw malformed(`certificate ${what}s`, `more than ${MAX_OPTIONS} entries`);
  }
  return out;
}

/** Decodes the string value of an option whose data is one SSH string (no trailing bytes). */
export function optionString(option: CertOption): string {
  const r = new SshReader(option.data, `option ${option.name}`);
  const value = r.text('value', 65_536);
  r.end();
  return value;
}

/**
 * The value of a vendor extension (`name@domain` with an SSH string as data), or null
 * when the list has no extension of that name. Throws CA_MALFORMED when the data is not
 * exactly one SSH string of valid UTF-8 (a flag, trailing bytes, a short length).
 */
export function extensionValue(extensions: readonly CertOption[], name: string): string | null {
  const found = extensions.find((e) => e.name === name);
  if (!found) return null;
  if (found.data.length === 0) throw malformed(`extension ${name}`, 'carries no value');
  return optionString(found);
}

/**
 * Builds the sorted extension list of a request: a string is a flag (empty data), an
 * object `{ name, value }` carries its value as an SSH string. Refuses entries of
 * another shape and duplicated names (CA_INVALID_OPTION); the allow-lists and the value
 * charset are checked by `validateExtensions`.
 */
export function encodeExtensions(requested: readonly ExtensionRequest[]): CertOption[] {
  if (!Array.isArray(requested))
    throw caError('CA_INVALID_OPTION', 'extensions must be a list of names or { name, value } objects');
  const list = requested.map((e: unknown): CertOption => {
    if (typeof e === 'string') return flagOption(e);
    if (
      typeof e === 'object' &&
      e !== null &&
      typeof (e as { name?: unknown }).name === 'string' &&
      typeof (e as { value?: unknown }).value === 'string' &&
      Object.keys(e).length === 2
    ) {
      const { name, value } = e as { name: string; value: string };
      return stringOption(name, value);
    }
    throw caError(
      'CA_INVALID_OPTION',
      'an extension is neither a name nor a { name, value } object of two strings',
    );
  });
  return sortOptions(list, 'extension');
}

/** Builds the sorted critical option list from typed options. */
export function encodeCriticalOptions(opts: CriticalOptions): CertOption[] {
  const list: CertOption[] = [];
  if (opts.forceCommand !== undefined) list.push(stringOption('force-command', opts.forceCommand));
  if (opts.sourceAddress !== undefined)
    list.push(stringOption('source-address', opts.sourceAddress.join(',')));
  if (opts.verifyRequired) list.push(flagOption('verify-required'));
  return sortOptions(list, 'critical option');
}

/** Typed view of critical options plus the names we do not know (which make a certificate unusable). */
export function decodeCriticalOptions(
  options: readonly CertOption[],
): CriticalOptions & { unknown: string[] } {
  const unknown: string[] = [];
  let forceCommand: string | undefined;
  let sourceAddress: string[] | undefined;
  let verifyRequired = false;
  for (const o of options) {
    if (o.name === 'force-command') forceCommand = optionString(o);
    else if (o.name === 'source-address') sourceAddress = optionString(o).split(',');
    else if (o.name === 'verify-required') {
      if (o.data.length !== 0)
        throw malformed('certificate critical options', 'verify-required carries data (accepted: none)');
      verifyRequired = true;
    } else unknown.push(o.name);
  }
  return {
    ...(forceCommand !== undefined ? { forceCommand } : {}),
    ...(sourceAddress !== undefined ? { sourceAddress } : {}),
    verifyRequired,
    unknown,
  };
}
