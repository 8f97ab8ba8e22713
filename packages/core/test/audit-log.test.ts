// The tamper-evident audit log: an app signing alice in at the dev IdP over HTTP writes it, the
// verifier (and the latchkey-audit command) accepts it, and each kind of tampering is caught and
// named by its line. Logs to tamper with are made with a fixed clock so each test knows its lines.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signInAtDevIdp } from '@latchkey/dev-idp';
import { TestBrowser } from '@latchkey/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { auditCli } from '../src/audit-cli';
import { createAuditLog, type LatchkeyEvent, verifyAuditLog } from '../src/index';
import { startAppWithIdp } from './helpers';

const KEY = 'audit-test-secret-audit-test-secret-01';
const dir = mkdtempSync(join(tmpdir(), 'latchkey-audit-'));
const running: Array<{ stop(): Promise<void> }> = [];
afterAll(() => Promise.all(running.map((item) => item.stop())));

/** A log of `events` with a checkpoint after every `every` records; its lines and public key. */
async function logOf(events: LatchkeyEvent[], every = 3) {
  const lines: string[] = [];
  const log = createAuditLog({
    sink: (line) => lines.push(line),
    key: KEY,
    checkpointRecords: every,
    now: () => Date.UTC(2026, 11, 7),
  });
  for (const event of events) log.record(event);
  await log.close();
  return { lines, publicKey: await log.publicKey(), log };
}

const sample: LatchkeyEvent[] = [
  { type: 'login', sub: 'usr_alice', sessionId: 's1', acr: 'urn:latchkey:acr:pwd' },
  { type: 'refresh', sub: 'usr_alice', sessionId: 's1' },
  { type: 'access_denied', sub: 'usr_alice', permission: 'invoices:approve' },
  { type: 'login_failed', code: 'state_mismatch' },
  { type: 'logout', sub: 'usr_alice', sessionId: 's1' },
];
const text = (lines: string[]) => `${lines.join('\n')}\n`;

/** The first defect verification finds in `lines`. */
const defectOf = async (lines: string[], more: { key?: string; checkpoint?: string } = {}) => {
  const { publicKey } = await logOf([]);
  return (await verifyAuditLog(text(lines), { publicKey, ...more })).defect;
};

describe('the audit log of an app', () => {
  it('records sign-in, refresh and sign-out without naming anyone, and verifies', async () => {
    const file = join(dir, 'app.ndjson');
    const audit = createAuditLog({ sink: file, key: KEY, checkpointRecords: 2 });
    const setup = await startAppWithIdp(
      { audit, clientSecret: 'core-app-secret' },
      { client_secret: 'core-app-secret' },
    );
    running.push(setup);
    const browser = new TestBrowser();
    await signInAtDevIdp(browser, await browser.get(`${setup.app.url}/auth/login?returnTo=/x`), {
      username: 'alice',
      password: 'alice-password',
    });
    // Access tokens live 30 s, under the refresh margin: each page that asks for one refreshes it
    // (the landing page /x, then /access-token).
    await browser.request(`${setup.app.url}/access-token`, {
      headers: { accept: 'application/json' },
    });
    const cookies = await browser.cookies(setup.app.url);
    await browser.request(`${setup.app.url}/auth/logout`, {
      method: 'POST',
      headers: { origin: setup.app.url },
    });
    await audit.close();

    const written = readFileSync(file, 'utf8');
    const records = written
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((record) => record.type)).toEqual([
      'login',
      'refresh',
      'checkpoint',
      'refresh',
      'logout',
      'checkpoint',
    ]);
    expect(records[0]).toMatchObject({
      seq: 1,
      outcome: 'success',
      prev: '',
      acr: expect.any(String),
    });
    // The same user and session link across records under pseudonyms.
    expect(records[1].user).toBe(records[0].user);
    expect(records[4].session).toBe(records[0].session);
    for (const secret of [
      'alice',
      'usr_alice',
      'Alice',
      '@',
      'eyJ',
      ...cookies.map((c) => c.value),
    ]) {
      expect(written).not.toContain(secret);
    }
    const publicKey = await audit.publicKey();
    expect(await verifyAuditLog(written, { publicKey, key: KEY })).toEqual({
      records: 6,
      checkpoints: 2,
      unsigned: 0,
    });
    const out: string[] = [];
    expect(await auditCli(['verify', file, '--public-key', publicKey], (l) => out.push(l))).toBe(0);
    expect(out).toEqual(['ok: 6 records, 2 signed checkpoints']);
  });

  it('continues the chain of a log file it finds, across restarts', async () => {
    const file = join(dir, 'restart.ndjson');
    for (const events of [sample.slice(0, 2), sample.slice(2)]) {
      const log = createAuditLog({ sink: file, key: KEY, checkpointRecords: 10 });
      for (const event of events) log.record(event);
      await log.close();
    }
    const { publicKey } = await logOf([]);
    expect(await verifyAuditLog(readFileSync(file, 'utf8'), { publicKey, key: KEY })).toEqual({
      records: 7,
      checkpoints: 2,
      unsigned: 0,
    });
  });
});

describe('tampering with the audit log', () => {
  // sample: login, refresh, access_denied, checkpoint (line 4), login_failed, logout, checkpoint.

  it('accepts the log as written', async () => {
    const { lines, publicKey } = await logOf(sample);
    expect(lines).toHaveLength(7);
    expect(await verifyAuditLog(text(lines), { publicKey, key: KEY })).toEqual({
      records: 7,
      checkpoints: 2,
      unsigned: 0,
    });
  });

  it('catches an edited field, at the next line, and with the key at its own', async () => {
    const { lines } = await logOf(sample);
    lines[2] = lines[2]!.replace('invoices:approve', 'invoices:read');
    expect(await defectOf(lines)).toEqual({
      line: 4,
      message: 'prev is not the hash of the record before (edited, removed or reordered)',
    });
    expect(await defectOf(lines, { key: KEY })).toEqual({
      line: 3,
      message: 'the MAC does not match (edited)',
    });
  });

  it('catches a deleted line as a gap', async () => {
    const { lines } = await logOf(sample);
    lines.splice(1, 1);
    expect(await defectOf(lines)).toEqual({
      line: 2,
      message: 'seq 3 where 2 was due (a gap or a reordering)',
    });
  });

  it('catches two lines swapped', async () => {
    const { lines } = await logOf(sample);
    [lines[4], lines[5]] = [lines[5]!, lines[4]!];
    expect(await defectOf(lines)).toEqual({
      line: 5,
      message: 'seq 6 where 5 was due (a gap or a reordering)',
    });
  });

  it('catches a record rewritten with its chain recomputed, by the checkpoint that follows', async () => {
    const { lines } = await logOf(sample);
    // The insider recomputes seq and prev; only the checkpoint's signature can tell.
    const records = lines.map((line) => JSON.parse(line));
    records[1].type = 'logout';
    const { recordHash } = await import('../src/audit-log');
    for (let i = 1; i < records.length; i++) records[i].prev = recordHash(records[i - 1]);
    expect(await defectOf(records.map((record) => JSON.stringify(record)))).toEqual({
      line: 4,
      message: "the checkpoint does not sign this log's first 3 records",
    });
  });

  it('catches a truncated file: mid-line, and at a line end against a checkpoint kept elsewhere', async () => {
    const { lines } = await logOf(sample);
    const cut = text(lines).slice(0, -40);
    const { publicKey } = await logOf([]);
    expect((await verifyAuditLog(cut, { publicKey })).defect).toEqual({
      line: 7,
      message: 'not a JSON record (edited or truncated)',
    });
    const kept = JSON.parse(lines[6]!).note as string;
    expect(await defectOf(lines.slice(0, 5), { checkpoint: kept })).toEqual({
      line: 6,
      message: 'the log has 5 records, the checkpoint given signs 6 (truncated)',
    });
    expect(await defectOf(lines, { checkpoint: kept })).toBeUndefined();
  });

  it('catches a forged checkpoint: another signature, or another size', async () => {
    const { lines } = await logOf(sample);
    const record = JSON.parse(lines[3]!);
    const note = record.note as string;
    const signature = Buffer.from(/ (\S+)\n$/.exec(note)![1]!, 'base64');
    signature[signature.length - 1]! ^= 1;
    const flipped = note.replace(/ \S+\n$/, ` ${signature.toString('base64')}\n`);
    const otherKey = note.replace(/ \S+\n$/, ` ${Buffer.alloc(68).toString('base64')}\n`);
    for (const forged of [flipped, otherKey]) {
      expect(
        await defectOf(
          lines.map((l, i) => (i === 3 ? JSON.stringify({ ...record, note: forged }) : l)),
        ),
      ).toEqual({
        line: 4,
        message: 'the checkpoint signature does not verify with the public key (forged)',
      });
    }
    const resized = note.replace('\n3\n', '\n2\n');
    expect(
      await defectOf(
        lines.map((l, i) => (i === 3 ? JSON.stringify({ ...record, note: resized }) : l)),
      ),
    ).toEqual({
      line: 4,
      message: "the checkpoint does not sign this log's first 3 records",
    });
  });
});

describe('a signing key of its own', () => {
  it('signs checkpoints with a given Ed25519 key (a JWK or a CryptoKey), apart from the MAC key', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
    const derived = (await logOf([])).publicKey;
    for (const signingKey of [{ ...jwk }, pair.privateKey]) {
      const lines: string[] = [];
      const log = createAuditLog({ sink: (line) => lines.push(line), key: KEY, signingKey });
      log.record(sample[0]!);
      await log.close();
      const publicKey = await log.publicKey();
      expect(publicKey).not.toBe(derived);
      expect((await verifyAuditLog(text(lines), { publicKey })).checkpoints).toBe(1);
      expect((await verifyAuditLog(text(lines), { publicKey: derived })).defect?.message).toBe(
        'the checkpoint signature does not verify with the public key (forged)',
      );
    }
  });
});

describe('what the log refuses to take for itself', () => {
  it('refuses a log with no checkpoint (anyone can write such a chain), unless the key checks it', async () => {
    const { lines, publicKey } = await logOf(sample.slice(0, 2), 100);
    const unsigned = lines.filter((line) => !line.includes('"checkpoint"'));
    expect((await verifyAuditLog(text(unsigned), { publicKey })).defect).toEqual({
      line: 2,
      message:
        'no signed checkpoint: without one (or the key, for the MACs) the log cannot be told from a forgery',
    });
    expect((await verifyAuditLog(text(unsigned), { publicKey, key: KEY })).defect).toBeUndefined();
  });

  it('refuses a line re-spaced or with a key written twice, though its record reads the same', async () => {
    const { lines } = await logOf(sample);
    for (const changed of [
      lines[0]!.replace('"seq":1', '"seq": 1'),
      lines[0]!.replace('{"v":1,', '{"v":1,"v":1,'),
    ]) {
      expect(await defectOf([changed, ...lines.slice(1)])).toEqual({
        line: 1,
        message: 'not an audit record as latchkey writes one',
      });
    }
  });

  it('ends a torn last record before appending, and ignores events after close()', async () => {
    const file = join(dir, 'torn.ndjson');
    const { lines, publicKey } = await logOf(sample.slice(0, 1), 100);
    writeFileSync(file, lines.join('\n')); // the last newline never made it to disk
    const log = createAuditLog({ sink: file, key: KEY, checkpointRecords: 100 });
    log.record(sample[1]!);
    await log.close();
    log.record(sample[2]!);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await verifyAuditLog(readFileSync(file, 'utf8'), { publicKey, key: KEY })).toEqual({
      records: 4,
      checkpoints: 2,
      unsigned: 0,
    });
  });
});

describe('latchkey-audit', () => {
  it('exits 1 naming the first bad line, and 2 on a usage error', async () => {
    const { lines, publicKey } = await logOf(sample);
    const file = join(dir, 'cli.ndjson');
    writeFileSync(file, text(lines.filter((_, i) => i !== 2)));
    const err: string[] = [];
    const run = (args: string[]) =>
      auditCli(
        args,
        () => {},
        (l) => err.push(l),
        {},
      );
    expect(await run(['verify', file, '--public-key', publicKey])).toBe(1);
    expect(err.at(-1)).toBe('line 3: seq 4 where 3 was due (a gap or a reordering)');
    expect(await run(['verify', file])).toBe(2);
    expect(await run(['verify', file, '--public-key', 'nonsense'])).toBe(2);
    expect(err.at(-1)).toMatch(/the public key must be/);
    expect(await run(['verify', join(dir, 'missing'), '--public-key', publicKey])).toBe(2);
  });

  it('checks the MACs with the secret in LATCHKEY_AUDIT_KEY', async () => {
    const { lines, publicKey } = await logOf(sample);
    const file = join(dir, 'macs.ndjson');
    writeFileSync(file, text(lines));
    const out: string[] = [];
    const code = await auditCli(
      ['verify', file, '--public-key', publicKey],
      (l) => out.push(l),
      () => {},
      { LATCHKEY_AUDIT_KEY: KEY },
    );
    expect([code, out]).toEqual([0, ['ok: 7 records, 2 signed checkpoints, MACs checked']]);
  });
});
