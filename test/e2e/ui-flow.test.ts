/// <reference lib="dom" />
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  launchBrowser,
  loginAs,
  mangledAttributes,
  unlabelledFields,
  type TestBrowser,
} from '../helpers/browser';
import { generateKey, listCertificate } from '../helpers/ssh-keygen';
import { tmpDir } from '../helpers/tmp';
import { DEMO_LOGIN, startUiStack, type UiStack } from './ui-stack';

/**
 * The whole job of each person in a real browser (Debian's Chromium, headless): the
 * admin asks for access, the approver approves, the admin gets a certificate and a
 * real OpenSSH client runs commands through the gateway on a real sshd, the security
 * reviewer watches, ends, replays and searches sessions and checks the audit chain;
 * then every page is opened by every role it is hidden from.
 */
jest.setTimeout(90_000);

type Person = 'alice' | 'bob' | 'carol' | 'dave';
let ui: UiStack;
let b: TestBrowser;
const pages = {} as Record<Person, Page>;
const keys = tmpDir('bg-ui-keys-');
const state: { request?: string; emergency?: string; exec?: string; pty?: string; live?: string } = {};

async function open(who: Person, path: string): Promise<Page> {
  const page = pages[who];
  const res = await page.goto(`${ui.url}${path}`);
  expect(res?.status()).toBeLessThan(400);
  expect(await unlabelledFields(page)).toEqual([]);
  expect(await mangledAttributes(page)).toEqual([]);
  return page;
}

function spawnSsh(args: string[]) {
  const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, closed, output: () => out };
}

function ssh(
  args: string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
  });
}

let sshConfig = '';
const sshBase = () => [
  '-F',
  sshConfig,
  '-o',
  'BatchMode=yes',
  '-o',
  'IdentityAgent=none',
  '-o',
  'ConnectTimeout=10',
];

beforeAll(async () => {
  ui = await startUiStack();
  b = await launchBrowser();
  for (const who of ['alice', 'bob', 'carol', 'dave'] as const) {
    const page = await (await b.newPerson()).newPage();
    page.on('dialog', (d) => void d.accept());
    pages[who] = page;
  }
  await loginAs(pages.alice, ui.url, 'alice');
  await b.screenshot(pages.alice, 'dashboard-empty');
});

afterAll(async () => {
  await b?.close();
  await ui?.close();
  keys.cleanup();
});

describe('an admin', () => {
  it('finds the demo host by label and asks for access with a reason; the page says who must approve', async () => {
    const page = await open('alice', '/requests/new');
    await page.fill('#q', 'role=demo');
    await page.press('#q', 'Enter');
    await page.waitForURL(/q=role%3Ddemo/);
    expect(await page.locator('#host-results > li').count()).toBe(1);
    await b.screenshot(page, 'request-search', { docs: true });
    await page.click('a[aria-label="Request access to demo"]');
    await page.waitForURL(/host=demo/);
    expect(await page.locator('#login option').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining(DEMO_LOGIN)]),
    );
    expect(await page.locator('fieldset.emergency').count()).toBe(0); // admins may not break the glass
    await page.selectOption('#login', DEMO_LOGIN);
    await page.selectOption('#ttl', '1h');
    await page.fill('#reason', 'Disk alert on demo: find what fills /var');
    await page.fill('#ticket', 'INC-4242');
    await b.screenshot(page, 'request-form', { docs: true });
    await page.click('button:has-text("Submit request")');
    await page.waitForURL(/\/requests\/r/);
    state.request = page.url().split('/').pop()!;
    expect(await page.textContent('[role=status]')).toContain('Request filed.');
    expect(await page.textContent('#summary')).toContain('Needs 1 approval from role approvers');
    expect(await page.textContent('.reasons')).toContain('after 1 approval from role approvers');
    await b.screenshot(page, 'request-pending');
  });

  it('sees the policy’s reasons when the policy denies a request', async () => {
    const page = await open('alice', '/requests/new?host=db-1');
    // The form offers only allowed logins; a stale form (policy changed meanwhile) may still send root.
    await page.evaluate(() => {
      const select = document.getElementById('login') as HTMLSelectElement;
      select.add(new Option('root', 'root', true, true));
    });
    await page.fill('#reason', 'check replication');
    await page.click('button:has-text("Submit request")');
    await page.waitForURL(/\/requests\/r/);
    expect(await page.textContent('[role=alert]')).toContain('The policy denied this request.');
    expect(await page.textContent('#summary')).toContain('never root');
    await b.screenshot(page, 'request-denied');
  });

  it('is told what is wrong with a field, and nothing is filed', async () => {
    const page = await open('alice', '/requests/new?host=demo');
    await page.fill('#reason', 'bad\u202Etext');
    await page.click('button:has-text("Submit request")');
    expect(await page.getAttribute('#reason', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#reason-error')).toContain('U+202E');
  });
});

describe('an on-call engineer', () => {
  it('breaks the glass only where policy allows, after an explicit warning', async () => {
    await loginAs(pages.dave, ui.url, 'dave');
    const page = await open('dave', '/requests/new?host=web-1');
    const warning = await page.textContent('fieldset.emergency');
    expect(warning).toContain('reviewed afterwards');
    await page.fill('#reason', 'Checkout is down, no approver reachable');
    await page.check('#emergency');
    await b.screenshot(page, 'request-emergency');
    await page.click('button:has-text("Submit request")');
    await page.waitForURL(/\/requests\/r/);
    state.emergency = page.url().split('/').pop()!;
    expect(await page.textContent('[role=alert]')).toContain('Emergency access is active.');
    expect(await page.locator('.badge-emergency').count()).toBeGreaterThan(0);
  });
});

describe('an approver', () => {
  it('finds the request in the queue, reads who, what and why, and approves it with a comment', async () => {
    await loginAs(pages.bob, ui.url, 'bob');
    await b.screenshot(pages.bob, 'dashboard-approver');
    const page = await open('bob', '/reviews?requester=alice');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await b.screenshot(page, 'review-queue', { docs: true });
    await page.click(`a[href="/requests/${state.request}"]`);
    await page.waitForURL(`**/requests/${state.request}`);
    const text = await page.textContent('main');
    for (const fact of [
      'alice@example.com',
      'Disk alert on demo',
      'INC-4242',
      'recent requests',
      'check replication',
    ])
      expect(text).toContain(fact);
    await b.screenshot(page, 'review-detail', { docs: true });
    // The requester is looking at the pending request meanwhile.
    await pages.alice.goto(`${ui.url}/requests/${state.request}`);
    expect(await pages.alice.locator('.badge-pending').count()).toBe(1);
    await page.fill('#comment', 'Go ahead; post the findings in INC-4242');
    await page.click('button[value=approve]');
    await page.waitForURL(`**/requests/${state.request}`);
    expect(await page.textContent('[role=status]')).toContain('Access is now granted');
  });

  it('signs off the emergency access in the post-hoc review queue', async () => {
    const page = await open('bob', '/reviews/emergency');
    await page.click(`a[href="/requests/${state.emergency}"]`);
    await page.check('input[name=outcome][value=acceptable]');
    await page.fill('#signoff-comment', 'Outage confirmed in the incident channel');
    await page.click('button:has-text("Record the review")');
    expect(await page.textContent('[role=status]')).toContain('Post-hoc review recorded: acceptable');
    await open('bob', '/reviews/emergency');
    await b.screenshot(pages.bob, 'review-emergency');
    expect(await pages.bob.textContent('main')).toContain('Outage confirmed in the incident channel');
  });
});

describe('the admin, once approved', () => {
  it('sees the grant with time left, issues a certificate and downloads it', async () => {
    const page = pages.alice;
    // The pending page notices the approval by itself (no reload by the test).
    await page.waitForSelector('.badge-active', { timeout: 15_000 });
    expect(await page.textContent('#summary')).toContain('Access granted');
    await open('alice', '/dashboard');
    expect(await page.textContent('#grants + .table-wrap')).toMatch(/\d+m( \d+s)? left/);
    await b.screenshot(page, 'dashboard', { docs: true });
    await page.click(`a[href="/grants/${state.request}"]`);
    const key = generateKey(keys.path, 'id_ed25519', 'ed25519');
    await page.fill('#public_key', readFileSync(key.publicPath, 'utf8'));
    await page.click('button:has-text("Issue certificate")');
    expect(await page.textContent('[role=status]')).toContain('Certificate issued');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a:has-text("Download certificate")'),
    ]);
    const certPath = join(keys.path, 'id_ed25519-cert.pub');
    await download.saveAs(certPath);
    expect(await page.$eval('#certificate', (pre) => getComputedStyle(pre).whiteSpace)).toBe('pre-wrap');
    const listing = listCertificate(certPath);
    expect(listing.principals).toEqual([DEMO_LOGIN]);
    expect(listing.type).toContain('user certificate');
    await b.screenshot(page, 'grant', { docs: true });

    // The ~/.ssh/config block and the known_hosts line, as the page shows them.
    const block = (await page.textContent('#cfg-demo'))!;
    const known = (await page.textContent('#known-hosts'))!.trim();
    const knownFile = join(keys.path, 'known_hosts');
    writeFileSync(knownFile, `${known}\n`);
    sshConfig = join(keys.path, 'ssh_config');
    writeFileSync(
      sshConfig,
      block
        .replace('~/.ssh/id_ed25519', key.privatePath)
        .replace(/~\/\.ssh\/breakglass-\S+-cert\.pub/, certPath)
        .replace('~/.ssh/known_hosts_breakglass', knownFile) +
        '\n  StrictHostKeyChecking yes\n  GlobalKnownHostsFile /dev/null\n',
    );
    expect(block).toContain(`User ${DEMO_LOGIN}@demo`);
  });

  it('runs a command and a terminal session through the gateway with a real ssh client', async () => {
    const exec = await ssh([...sshBase(), 'breakglass-demo', 'echo exec-$((6*7)); uname -s']);
    expect(exec.stderr).toBe('');
    expect(exec.stdout).toBe('exec-42\nLinux\n');
    // Typed like a person: a pause before each command, so the markers and the match have their own moments.
    const pty = spawnSsh([...sshBase(), '-tt', 'breakglass-demo']);
    for (const line of ['uptime', 'echo disk-$((6*7))', 'ls / | head -3', 'exit']) {
      await new Promise((r) => setTimeout(r, 700));
      pty.child.stdin.write(`${line}\n`);
    }
    const done = await pty.closed;
    expect(pty.output()).toContain('disk-42');
    expect(done).toBe(0);
    const upload = join(keys.path, 'findings.txt');
    writeFileSync(upload, 'var is full of logs\n');
    const batch = join(keys.path, 'sftp-batch');
    writeFileSync(batch, `put ${upload} /tmp/bg-e2e-findings.txt\nrm /tmp/bg-e2e-findings.txt\n`);
    const sftp = await new Promise<number | null>((resolve) =>
      spawn('sftp', ['-F', sshConfig, '-o', 'BatchMode=yes', '-b', batch, 'breakglass-demo'], {
        stdio: 'ignore',
      }).on('close', resolve),
    );
    expect(sftp).toBe(0);
  });
});

describe('a security reviewer', () => {
  it('watches a live session and terminates it', async () => {
    await loginAs(pages.carol, ui.url, 'carol');
    const live = spawnSsh([...sshBase(), '-tt', 'breakglass-demo']);
    live.child.stdin.write('echo live-$((6*7))\n');
    await waitUntil(() => live.output().includes('live-42'));

    const page = await open('carol', '/sessions?state=live');
    await page.click('a:has-text("Watch")');
    state.live = page.url().split('/').pop()!;
    await page.waitForSelector('#live-player .ap-player');
    live.child.stdin.write('echo still-$((6*7))\n');
    await page.waitForFunction(() =>
      document.getElementById('live-player')!.textContent!.includes('still-42'),
    );
    await b.screenshot(page, 'session-live', { docs: true });
    await page.click('button:has-text("Terminate session")');
    expect(await page.textContent('[role=status]')).toContain('Session terminated.');
    expect(await live.closed).not.toBe(0);
    live.child.stdin.destroy();
  });

  it('finds the admin’s sessions, plays one with its command markers, and reads the exec and sftp details', async () => {
    const page = await open('carol', '/sessions?user=alice&state=ended');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(4);
    await b.screenshot(page, 'sessions', { docs: true });
    const ids = await page
      .locator('tbody a:has-text("Play")')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')!.split('/').pop()!));
    const texts = await rows.allTextContents();
    state.exec = ids[texts.findIndex((t) => t.includes('exec'))];
    const sftpSession = ids[texts.findIndex((t) => t.includes('sftp'))];
    state.pty = ids.find((id, i) => texts[i]!.includes('shell') && id !== state.live);
    expect(state.exec && state.pty).toBeTruthy();

    await open('carol', `/sessions/${state.exec}`);
    expect(await page.textContent('.exec-output')).toBe('exec-42\nLinux\n');
    expect(await page.textContent('aside')).toContain('intact');

    await open('carol', `/sessions/${sftpSession}`);
    const ops = await page.locator('tbody td:nth-child(2)').allTextContents();
    expect(ops.join('\n')).toMatch(/write \/tmp\/bg-e2e-findings\.txt/);
    expect(ops.join('\n')).toMatch(/remove \/tmp\/bg-e2e-findings\.txt/);
    await b.screenshot(page, 'session-sftp');

    await open('carol', `/sessions/${state.pty}`);
    await page.waitForSelector('#player .ap-player');
    expect(await page.locator('.markers li').count()).toBe(5); // four commands typed, then the exit status
    await page.selectOption('#speed', '2');
    await page.click('.markers li:nth-child(3) a');
    expect(await page.textContent('#player-status')).toContain('Jumped to');
    await page.waitForFunction(() => document.getElementById('player')!.textContent!.includes('disk-42'));
    await page.waitForTimeout(500);
    await b.screenshot(page, 'session-playback', { docs: true });
  });

  it('searches every recording for the command, sees progress, and jumps to the moment', async () => {
    const page = await open('carol', '/search');
    await page.fill('#q', 'disk-42');
    await page.click('button:has-text("Search")');
    await page.waitForFunction(() =>
      document.getElementById('search-progress-text')!.textContent!.startsWith('Done'),
    );
    const progress = await page.$eval('#search-progress', (p) => [
      (p as HTMLProgressElement).value,
      (p as HTMLProgressElement).max,
    ]);
    expect(progress[0]).toBe(progress[1]);
    expect(await page.textContent('#search-progress-text')).toMatch(/Done: \d+ match/);
    await b.screenshot(page, 'search', { docs: true });
    // Without script the same search runs on the server and the page comes back with the matches.
    const plain = await page.request.get(`${ui.url}/search?q=disk-42&run=1`);
    expect(await plain.text()).toContain(`href="/sessions/${state.pty}?t=`);
    const jump = page.locator(`#search-results a[href^="/sessions/${state.pty}?t="]`).first();
    const t = Number(new URL((await jump.getAttribute('href'))!, ui.url).searchParams.get('t'));
    await jump.click();
    await page.waitForSelector('#player .ap-player');
    await page.waitForFunction((at) => {
      const p = (window as unknown as { breakglassPlayer?: { getCurrentTime(): number } }).breakglassPlayer;
      return p !== undefined && p.getCurrentTime() >= at;
    }, t);
    await page.waitForFunction(() => document.getElementById('player')!.textContent!.includes('disk-42'));
  });

  it('sees the audit chain verified with the last signed checkpoint, and filters entries', async () => {
    await ui.stack.node.audit.checkpoint();
    const page = await open('carol', '/audit');
    expect(await page.textContent('#chain-status')).toContain('Chain verified');
    expect(await page.textContent('.chain')).toContain('signature valid');
    await b.screenshot(page, 'audit', { docs: true });
    await open('carol', '/audit?type=session.ended');
    const types = await page.locator('tbody td:nth-child(3)').allTextContents();
    expect(types.length).toBe(4);
    expect(new Set(types)).toEqual(new Set(['session.ended']));
  });

  it('sees hosts with their labels and the demo host tainted by the sessions', async () => {
    const page = await open('carol', '/hosts');
    const demoRow = page.locator('tbody tr', { hasText: 'demo' });
    expect(await demoRow.textContent()).toContain('env=dev');
    expect(await demoRow.locator('.badge-tainted').count()).toBe(1);
    await b.screenshot(page, 'hosts', { docs: true });
  });
});

describe('pages hidden from a role', () => {
  const EVERYONE: Person[] = ['alice', 'bob', 'carol', 'dave'];
  const rules: Array<{ path: () => string; allowed: Person[]; nav?: string }> = [
    { path: () => '/requests/new', allowed: ['alice', 'dave'], nav: '/requests/new' },
    { path: () => '/reviews', allowed: ['bob', 'carol'], nav: '/reviews' },
    { path: () => '/reviews/emergency', allowed: ['bob', 'carol'] },
    { path: () => '/sessions', allowed: ['carol'], nav: '/sessions' },
    { path: () => `/sessions/${state.pty}`, allowed: ['carol'] },
    { path: () => `/sessions/${state.pty}/recording.cast`, allowed: ['carol'] },
    { path: () => '/search', allowed: ['carol'] },
    { path: () => '/audit', allowed: ['alice', 'carol'], nav: '/audit' },
    { path: () => '/hosts', allowed: ['alice', 'carol'], nav: '/hosts' },
    { path: () => `/grants/${state.request}`, allowed: ['alice'] },
  ];

  it('are refused with a 403 page that says who may see them, and are not in the navigation', async () => {
    for (const rule of rules) {
      for (const who of EVERYONE.filter((p) => !rule.allowed.includes(p))) {
        const page = pages[who];
        const res = await page.goto(`${ui.url}${rule.path()}`);
        expect({ who, path: rule.path(), status: res?.status() }).toEqual({
          who,
          path: rule.path(),
          status: 403,
        });
        expect(await page.textContent('main')).toMatch(/cannot open this page|not yours/);
        if (rule.nav) expect(await page.locator(`nav.main-nav a[href="${rule.nav}"]`).count()).toBe(0);
      }
    }
    await pages.dave.goto(`${ui.url}/sessions`);
    await b.screenshot(pages.dave, 'refused');
  });

  it('are served to the roles they are for', async () => {
    for (const rule of rules)
      for (const who of rule.allowed) {
        const res = await pages[who].request.get(`${ui.url}${rule.path()}`, { maxRedirects: 0 });
        expect({ who, path: rule.path(), status: res.status() }).toEqual({
          who,
          path: rule.path(),
          status: 200,
        });
      }
  });

  it('keep requests private: another requester gets a not-found page that leaks nothing', async () => {
    const res = await pages.dave.goto(`${ui.url}/requests/${state.request}`);
    expect(res?.status()).toBe(404);
    const text = await pages.dave.textContent('main');
    expect(text).toContain('that you may see');
    expect(text).not.toContain('Disk alert');
  });
});

describe('every page', () => {
  it('works on a phone-sized screen without sideways scrolling', async () => {
    const visits: Array<[Person, string, string]> = [
      ['carol', '/dashboard', 'phone-dashboard'],
      ['carol', `/sessions/${state.pty}`, 'phone-session'],
      ['carol', '/sessions', 'phone-sessions'],
      ['carol', '/audit', 'phone-audit'],
      ['alice', '/requests/new?host=demo', 'phone-request-form'],
      ['alice', `/grants/${state.request}`, 'phone-grant'],
    ];
    for (const who of ['carol', 'alice'] as const) {
      const phone = await (await b.newPerson({ phone: true })).newPage();
      await loginAs(phone, ui.url, who);
      for (const [, path, name] of visits.filter(([p]) => p === who)) {
        await phone.goto(`${ui.url}${path}`);
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect({ path, overflow }).toEqual({ path, overflow: 0 });
        await b.screenshot(phone, name);
      }
    }
  });

  it('starts with a skip link for keyboard users', async () => {
    const page = await open('alice', '/dashboard');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('raised no script errors and no CSP violations', () => {
    expect(b.problems).toEqual([]);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
