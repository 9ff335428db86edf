import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig, configKeys, envOverrides, loadConfig } from '../../../src/config';
import { hasCode } from '../../../src/errors';
import { tmpDir } from '../../helpers/tmp';

const dir = tmpDir('bg-config-');
afterAll(() => dir.cleanup());
let n = 0;
function file(text: string | Buffer): string {
  const path = join(dir.path, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('gives a complete, frozen configuration from defaults alone', () => {
    const config = loadConfig();
    expect(config.store.driver).toBe('embedded');
    expect(config.store.redis.command_timeout).toBe(2000);
    expect(config.server.port).toBe(8080);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.store.redis)).toBe(true);
    expect(() => {
      (config.store as { driver: string }).driver = 'redis';
    }).toThrow(TypeError);
  });

  it('reads a YAML file and resolves relative directories against it', () => {
    const config = loadConfig({
      file: file('data_dir: state\nstore:\n  driver: redis\n  redis:\n    command_timeout: 500ms\n'),
    });
    expect(config.store.driver).toBe('redis');
    expect(config.store.redis.command_timeout).toBe(500);
    expect(config.data_dir).toBe(join(dir.path, 'state'));
  });

  it('lets environment variables override the file, with natural types', () => {
    const config = loadConfig({
      file: file('server:\n  port: 9000\n'),
      env: {
        BREAKGLASS_SERVER__PORT: '9100',
        BREAKGLASS_STORE__DRIVER: 'redis',
        BREAKGLASS_CONFIG: '/ignored',
        OTHER: 'x',
      },
    });
    expect(config.server.port).toBe(9100);
    expect(config.store.driver).toBe('redis');
  });

  it('maps BREAKGLASS_A__B__C to a.b.c', () => {
    expect(
      envOverrides({ BREAKGLASS_STORE__REDIS__URL: 'redis://h:1/0', BREAKGLASS_LOG__LEVEL: 'debug' }),
    ).toEqual({
      store: { redis: { url: 'redis://h:1/0' } },
      log: { level: 'debug' },
    });
  });

  const bad: Array<[string, string, RegExp]> = [
    [
      'an unknown top-level key',
      'colour: blue\n',
      /^colour: unknown key \(accepted: data_dir, certs_dir, server, /,
    ],
    [
      'an unknown nested key',
      'store:\n  redis:\n    hots: x\n',
      /^store\.redis\.hots: unknown key \(accepted: url, password, /,
    ],
    ['a wrong type', 'server:\n  port: "eighty"\n', /^server\.port: expected number, got string/],
    ['an out-of-range number', 'server:\n  port: 70000\n', /^server\.port: too large \(accepted: <= 65535\)/],
    [
      'a value outside an enum',
      'store:\n  driver: postgres\n',
      /^store\.driver: not an accepted value \(accepted: "embedded", "redis"\)/,
    ],
    [
      'a malformed duration',
      'store:\n  redis:\n    command_timeout: soon\n',
      /^store\.redis\.command_timeout: not a duration \(accepted: /,
    ],
    [
      'a duration out of range',
      'store:\n  redis:\n    command_timeout: 2h\n',
      /^store\.redis\.command_timeout: too long \(accepted: at most 1m\)/,
    ],
    ['a list where a mapping belongs', 'store: [1, 2]\n', /^store: expected object, got a list/],
  ];

  it.each(bad)('reports %s with the key path and what is accepted', (_name, yaml, expected) => {
    const problems = checkConfig({ file: file(yaml) });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toMatch(expected);
  });

  it('reports every problem at once, not just the first', () => {
    const problems = checkConfig({ file: file('colour: blue\nserver:\n  port: -1\nstore:\n  driver: x\n') });
    expect(problems.map((p) => p.path).sort()).toEqual(['colour', 'server.port', 'store.driver']);
  });

  it('throws CONFIG_INVALID and starts nothing for an invalid file', () => {
    expect(() => loadConfig({ file: file('server:\n  port: nope\n') })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  const unreadable: Array<[string, string | Buffer, RegExp]> = [
    ['malformed YAML', 'server: [unclosed\n', /c\d+\.yaml:\d+:\d+: /],
    ['a duplicated key', 'log:\n  level: info\nlog:\n  level: debug\n', /unique|duplicate/i],
    ['YAML aliases (alias bombs)', 'a: &x [1,2,3]\nb: [*x, *x, *x]\n', /alias/i],
    ['non-UTF-8 bytes', Buffer.from([0x6c, 0x6f, 0x67, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), /not valid UTF-8/],
    ['a document that is not a mapping', '- just\n- a list\n', /not a mapping/],
    ['an oversized file', `# ${'x'.repeat(1_100_000)}\n`, /larger than/],
  ];

  it.each(unreadable)('refuses %s with CONFIG_UNREADABLE', (_name, content, expected) => {
    let caught: unknown;
    try {
      loadConfig({ file: file(content) });
    } catch (err) {
      caught = err;
    }
    expect(hasCode(caught, 'CONFIG_UNREADABLE')).toBe(true);
    expect(String((caught as Error).message)).toMatch(expected);
  });

  it('refuses a missing file with CONFIG_UNREADABLE naming it', () => {
    expect(() => loadConfig({ file: join(dir.path, 'absent.yaml') })).toThrow(
      /absent\.yaml: cannot read \(ENOENT\)/,
    );
  });
});

describe('the schema', () => {
  it('documents every key and gives it a default unless it is optional', () => {
    for (const key of configKeys()) {
      expect({ key: key.path, described: key.description.length > 10 }).toEqual({
        key: key.path,
        described: true,
      });
    }
  });

  it('marks secret keys', () => {
    expect(
      configKeys()
        .filter((k) => k.secret)
        .map((k) => k.path),
    ).toContain('store.redis.password');
  });
});
