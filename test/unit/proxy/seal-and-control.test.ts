import { connectionIdOf, SealCollector } from '../../../src/proxy';
import { toExitStatus } from '../../../src/proxy/gateway/bridge';
import { channelRefusal } from '../../../src/proxy/gateway/session-channel';
import { parseKillMessage } from '../../../src/proxy/sessions/registry';
import { DENIED_CONSTRAINTS } from '../../../src/policy';

const H = (c: string) => c.repeat(64);

describe('SealCollector', () => {
  const entries = [
    { seq: 1, type: 'session.started', data: { session_id: 's-1' } },
    {
      seq: 2,
      type: 'session.checkpoint',
      data: { session_id: 's-1', recording_sha256: H('a'), recording_size: 100 },
    },
    {
      seq: 3,
      type: 'session.checkpoint',
      data: { session_id: 's-2', recording_sha256: H('b'), recording_size: 50 },
    },
    {
      seq: 4,
      type: 'session.checkpoint',
      data: { session_id: 's-1', recording_sha256: H('a'), recording_size: 100 },
    },
    {
      seq: 5,
      type: 'session.checkpoint',
      data: { session_id: 's-1', recording_sha256: H('c'), recording_size: 300 },
    },
    {
      seq: 6,
      type: 'session.ended',
      data: { session_id: 's-1', recording_sha256: H('d'), recording_size: 400 },
    },
    {
      seq: 7,
      type: 'session.checkpoint',
      data: { session_id: 's-1', recording_sha256: H('e'), recording_size: 500 },
    },
    {
      seq: 8,
      type: 'session.ended',
      data: { session_id: 's-1', recording_sha256: H('f'), recording_size: 600 },
    },
  ];

  it('gathers the checkpoints in log order, drops repeats, and takes the first end as the final seal', () => {
    const c = new SealCollector('s-1');
    for (const e of entries) c.add(e);
    expect(c.result()).toEqual({
      sealed: {
        checkpoints: [
          { sha256: H('a'), size: 100 },
          { sha256: H('c'), size: 300 },
        ],
        sha256: H('d'),
        size: 400,
      },
      checkpointSeqs: [2, 5],
      endSeq: 6,
    });
  });

  it.each([
    ['nothing for the session', [entries[2]!], null],
    [
      'checkpoints only (the gateway crashed)',
      [entries[1]!],
      { sealed: { checkpoints: [{ sha256: H('a'), size: 100 }] }, checkpointSeqs: [2] },
    ],
    [
      'entries with malformed hashes or sizes',
      [
        {
          seq: 9,
          type: 'session.checkpoint',
          data: { session_id: 's-1', recording_sha256: 'xyz', recording_size: 1 },
        },
        {
          seq: 10,
          type: 'session.ended',
          data: { session_id: 's-1', recording_sha256: H('a'), recording_size: -1 },
        },
      ],
      null,
    ],
  ])('reads %s', (_name, list, expected) => {
    const c = new SealCollector('s-1');
    for (const e of list) c.add(e);
    expect(c.result()).toEqual(expected);
  });
});

describe('session control messages', () => {
  it.each([
    ['c0123456789abcdef', 'c0123456789abcdef'],
    ['c0123456789abcdef-1', 'c0123456789abcdef'],
    ['c0123456789abcdef-42', 'c0123456789abcdef'],
    ['plain', 'plain'],
  ])('finds the connection of %s', (id, connection) => {
    expect(connectionIdOf(id)).toBe(connection);
  });

  it.each([
    [
      '{"id":"c1-1","by":"user:sec@example.com","reason":"x"}',
      { id: 'c1-1', by: 'user:sec@example.com', reason: 'x' },
    ],
    ['{"id":"c1"}', { id: 'c1', by: 'unknown', reason: '' }],
    ['{"id":""}', null],
    ['{"by":"x"}', null],
    ['not json', null],
    [`{"id":"${'x'.repeat(201)}"}`, null],
  ])('reads the kill message %s', (text, expected) => {
    expect(parseKillMessage(text)).toEqual(expected);
  });
});

describe('exit statuses relayed from the host', () => {
  it.each([
    [{ code: 0 }, { code: 0 }],
    [{ code: 255 }, { code: 255 }],
    [{ code: 4000 }, { code: 999 }],
    [{ code: null, signal: 'SIGKILL' }, { signal: 'KILL' }],
    [{ code: null, signal: 'SIGUSR1' }, { signal: 'USR1' }],
    [{ code: null, signal: 'SIG"X\n' }, { signal: 'X' }],
    [{ code: null }, undefined],
  ])('%j becomes %j', (raw, expected) => {
    expect(toExitStatus(raw)).toEqual(expected);
  });
});

describe('channel kinds and policy', () => {
  const all = { ...DENIED_CONSTRAINTS, pty: true, exec: true, sftp: true };
  it.each([
    ['a pty shell', 'shell', true, all, null],
    ['a pty shell without pty', 'shell', true, { ...all, pty: false }, 'interactive terminals'],
    ['a shell without a terminal needs exec', 'shell', false, { ...all, exec: false }, 'command execution'],
    ['exec', 'exec', false, all, null],
    ['exec when exec is off', 'exec', false, { ...all, exec: false }, 'remote commands (exec)'],
    ['exec with a pty when pty is off', 'exec', true, { ...all, pty: false }, 'interactive terminals'],
    ['sftp', 'sftp', false, all, null],
    ['sftp when off', 'sftp', false, { ...all, sftp: false }, 'sftp and scp are not allowed'],
  ] as const)('%s', (_n, kind, pty, c, expected) => {
    const r = channelRefusal(kind, pty, c);
    if (expected === null) expect(r).toBeNull();
    else expect(r).toContain(expected);
  });
});
