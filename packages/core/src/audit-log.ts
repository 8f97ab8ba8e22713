import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { closeSync, createWriteStream, fstatSync, openSync, readSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { importJWK } from 'jose';
import type { PrivateJwk } from './client-auth';
import type { LatchkeyEvent } from './events';

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  /**
   * Where records go: a file path (append-only NDJSON; a log already there is continued), a
   * writable stream, or a function called with each line (without its newline).
   */
  sink: string | Writable | ((line: string) => void);
  /**
   * A secret of at least 32 characters. The records' MAC key, the pepper of the pseudonymous ids
   * and, unless `signingKey` is given, the checkpoint signing key are derived from it (HKDF).
   */
  key: string;
  /** An Ed25519 private key (a `CryptoKey` or a JWK) that signs checkpoints. Default: from `key`. */
  signingKey?: CryptoKey | PrivateJwk;
  /** A checkpoint after this many records. Default 100. */
  checkpointRecords?: number;
  /** A checkpoint after this many seconds with new records. Default 60. */
  checkpointSeconds?: number;
  /** The name checkpoints are signed under (the signed note's key name). Default `latchkey-audit`. */
  name?: string;
  /**
   * Receives what could not be written (the request that raised the event goes on). Default: a
   * `console.warn` naming the failure.
   */
  onError?: (error: unknown) => void;
  /** Current time in epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** A tamper-evident audit log: see {@link createAuditLog}. */
export interface AuditLog {
  /** Appends the record of an event (in order; written in the background). */
  record(event: LatchkeyEvent): void;
  /** Writes a checkpoint now (when there are records since the last one). */
  checkpoint(): Promise<void>;
  /** Writes a last checkpoint and closes the sink (a file stream latchkey opened). */
  close(): Promise<void>;
  /**
   * The verifier key of the checkpoints, in signed-note form (`<name>+<key hash>+<key>`): give it
   * to `latchkey-audit verify --public-key`.
   */
  publicKey(): Promise<string>;
}

/** One line of the log: an event's record, or a checkpoint. */
export interface AuditRecord {
  /** The record format's version. */
  v: 1;
  /** 1, 2, 3, ... without gaps. */
  seq: number;
  /** ISO 8601 time of the record. */
  ts: string;
  /** The event's type, or `checkpoint`. */
  type: string;
  /** `success` or `failure` (events only). */
  outcome?: string;
  /** A pseudonym of the user (HMAC of `sub` under the audit pepper): links records, names nobody. */
  user?: string;
  /** A pseudonym of the session (HMAC of its id). */
  session?: string;
  /** A pseudonym of the IdP session (HMAC of its `sid`). */
  idpSession?: string;
  /** The event's error code, when it has one. */
  code?: string;
  /** `passkey` for a passkey event. */
  method?: string;
  /** The authentication level the event names. */
  acr?: string;
  /** The role a guard required. */
  role?: string;
  /** The permission a guard required. */
  permission?: string;
  /** Checkpoints: how many records come before this one. */
  size?: number;
  /** Checkpoints: the signed note (origin, size, chain head, Ed25519 signature line). */
  note?: string;
  /** SHA-256 (base64url) of the previous record's canonical form; `''` for the first. */
  prev: string;
  /** HMAC-SHA-256 (base64url) of this record's canonical form without `mac`. */
  mac: string;
}

const FAILURES = new Set(['login_failed', 'refresh_failed', 'access_denied']);
/** Event fields a record keeps as they are: none names a person. */
const PLAIN_FIELDS = ['code', 'method', 'acr', 'role', 'permission'] as const;

/**
 * JSON in RFC 8785 (JCS) canonical form, for the records' values (strings, integers, objects):
 * keys sorted by code unit, no whitespace.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** SHA-256 of a record's canonical form: the next record's `prev`. */
export function recordHash(record: AuditRecord): string {
  return createHash('sha256').update(canonicalJson(record)).digest('base64url');
}

/** The MAC of a record: HMAC-SHA-256 of its canonical form without `mac`. */
export function recordMac(macKey: Buffer, record: Omit<AuditRecord, 'mac'> | AuditRecord): string {
  const { mac: _, ...rest } = record as AuditRecord;
  return createHmac('sha256', macKey).update(canonicalJson(rest)).digest('base64url');
}

/** The keys derived from an audit secret. */
export function auditKeys(secret: string): { mac: Buffer; pepper: Buffer; seed: Buffer } {
  const derive = (purpose: string) =>
    Buffer.from(hkdfSync('sha256', secret, 'latchkey-audit', purpose, 32));
  return { mac: derive('mac'), pepper: derive('pseudonym'), seed: derive('checkpoint-ed25519') };
}

/** An Ed25519 private key from a 32-byte seed (PKCS #8 of RFC 8410). */
async function ed25519FromSeed(seed: Buffer): Promise<CryptoKey> {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, ['sign']);
}

/** The key hash of a signed-note Ed25519 key: the first 4 bytes of SHA-256(name, LF, 0x01, key). */
export function noteKeyHash(name: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(`${name}\n`)
    .update(Buffer.from([1]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** The signed body of a checkpoint: origin, size and chain head, one per line. */
export function checkpointBody(name: string, size: number, head: string): string {
  return `${name}\n${size}\n${Buffer.from(head, 'base64url').toString('base64')}\n`;
}

/**
 * A tamper-evident audit log (`createLatchkey({ audit: createAuditLog({ sink, key }) })`). Each
 * event becomes one NDJSON record with a sequence number, the SHA-256 of the previous record
 * (RFC 8785 canonical form) and an HMAC; users and sessions appear only as pseudonyms (HMACs
 * under a pepper), never by name, email, `sub`, session id or IP. Every `checkpointRecords`
 * records or `checkpointSeconds` seconds a checkpoint record signs the log's size and head with
 * Ed25519, as a C2SP signed note. `latchkey-audit verify <file> --public-key <key>` checks it all.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  if (typeof options.key !== 'string' || options.key.length < 32) {
    throw new TypeError('createAuditLog: key must be a secret of at least 32 characters.');
  }
  const keys = auditKeys(options.key);
  const name = options.name ?? 'latchkey-audit';
  if (!/^[\x21-\x2a\x2c-\x7e]+$/.test(name)) {
    throw new TypeError('createAuditLog: name must be printable ASCII without spaces or +.');
  }
  const now = options.now ?? Date.now;
  const everyRecords = options.checkpointRecords ?? 100;
  const everyMs = (options.checkpointSeconds ?? 60) * 1000;
  if (!(Number.isInteger(everyRecords) && everyRecords > 0 && everyMs >= 1000)) {
    throw new TypeError(
      'createAuditLog: checkpointRecords must be a whole number above 0, checkpointSeconds at least 1.',
    );
  }
  const report =
    options.onError ??
    ((error: unknown) =>
      console.warn(`[latchkey] audit log: ${(error as Error)?.message ?? String(error)}`));
  // A throwing onError must not stop the log, nor become an unhandled rejection.
  const onError = (error: unknown) => {
    try {
      report(error);
    } catch {}
  };
  const signer = (async () => {
    const given = options.signingKey;
    const privateKey =
      given === undefined
        ? await ed25519FromSeed(keys.seed)
        : given instanceof CryptoKey
          ? given
          : ((await importJWK(given as Parameters<typeof importJWK>[0], 'Ed25519', {
              extractable: true,
            })) as CryptoKey);
    const { x } = await crypto.subtle.exportKey('jwk', privateKey);
    const publicKey = Buffer.from(x!, 'base64url');
    return { privateKey, publicKey, keyHash: noteKeyHash(name, publicKey) };
  })();
  signer.catch(onError);

  const { write, end, last } = openSink(options.sink, onError);
  let closed = false;
  let seq = last?.seq ?? 0;
  let head = last ? recordHash(last) : '';
  let sinceCheckpoint = 0;
  let queue: Promise<void> = Promise.resolve();

  const append = (fields: Omit<AuditRecord, 'v' | 'seq' | 'ts' | 'prev' | 'mac'>) => {
    seq += 1;
    const unsigned = {
      v: 1 as const,
      seq,
      ts: new Date(now()).toISOString(),
      ...fields,
      prev: head,
    };
    const record: AuditRecord = { ...unsigned, mac: recordMac(keys.mac, unsigned) };
    head = recordHash(record);
    write(`${JSON.stringify(record)}\n`);
  };
  const pseudonym = (kind: string, value: unknown) =>
    typeof value === 'string' && value !== ''
      ? createHmac('sha256', keys.pepper).update(`${kind}:${value}`).digest('base64url')
      : undefined;
  /** Signs the log as it is now (when it has records since the last checkpoint). */
  const writeCheckpoint = async () => {
    if (sinceCheckpoint === 0) return;
    sinceCheckpoint = 0;
    const { privateKey, keyHash } = await signer;
    const body = checkpointBody(name, seq, head);
    const signature = await crypto.subtle.sign('Ed25519', privateKey, Buffer.from(body));
    const line = Buffer.concat([keyHash, Buffer.from(signature)]).toString('base64');
    append({ type: 'checkpoint', size: seq, note: `${body}\n\u2014 ${name} ${line}\n` });
  };
  /** Everything goes through one queue, so the records and checkpoints keep their order. */
  const enqueue = (work: () => void | Promise<void>) => {
    queue = queue.then(work).catch(onError);
    return queue;
  };
  const checkpoint = () => enqueue(writeCheckpoint);
  const timer = setInterval(() => void checkpoint(), everyMs);
  timer.unref();

  return {
    record(event) {
      if (closed) return;
      enqueue(async () => {
        const fields: Record<string, string | undefined> = {
          type: event.type,
          outcome: FAILURES.has(event.type) ? 'failure' : 'success',
          user: pseudonym('sub', (event as { sub?: unknown }).sub),
          session: pseudonym('session', (event as { sessionId?: unknown }).sessionId),
          idpSession: pseudonym('sid', (event as { idpSid?: unknown }).idpSid),
        };
        for (const field of PLAIN_FIELDS) {
          const value = (event as Record<string, unknown>)[field];
          if (typeof value === 'string') fields[field] = value;
        }
        append(fields as { type: string });
        sinceCheckpoint += 1;
        if (sinceCheckpoint >= everyRecords) await writeCheckpoint();
      });
    },
    checkpoint,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await checkpoint();
      await end();
    },
    async publicKey() {
      const { publicKey, keyHash } = await signer;
      const key = Buffer.concat([Buffer.from([1]), publicKey]).toString('base64');
      return `${name}+${keyHash.toString('hex')}+${key}`;
    },
  };
}

/** The sink's writer, its closer, and the last record of a log file already there. */
function openSink(
  sink: AuditLogOptions['sink'],
  onError: (error: unknown) => void,
): {
  write: (line: string) => void;
  end: () => Promise<void>;
  last: AuditRecord | undefined;
} {
  if (typeof sink === 'function') {
    return { write: (line) => sink(line.slice(0, -1)), end: async () => {}, last: undefined };
  }
  if (typeof sink === 'string') {
    // Created owner-only; appended to, never rewritten.
    const fd = openSync(sink, 'a+', 0o600);
    let tail: { last: AuditRecord | undefined; endsLine: boolean };
    try {
      tail = tailOf(fd);
    } finally {
      closeSync(fd);
    }
    const stream = createWriteStream(sink, { flags: 'a' });
    stream.on('error', onError);
    // A last record written without its newline (a crash mid-write) gets it before the next one.
    let pending = tail.endsLine ? '' : '\n';
    return {
      write: (line) => {
        stream.write(pending + line);
        pending = '';
      },
      end: () => new Promise((resolve) => stream.end(resolve)),
      last: tail.last,
    };
  }
  return { write: (line) => void sink.write(line), end: async () => {}, last: undefined };
}

/** Bytes read from a log's end to find its last record (records are far shorter). */
const TAIL_BYTES = 65_536;

/** The last record of an open log file, read from its end, and whether the file ends a line. */
function tailOf(fd: number): { last: AuditRecord | undefined; endsLine: boolean } {
  const { size } = fstatSync(fd);
  if (size === 0) return { last: undefined, endsLine: true };
  const length = Math.min(size, TAIL_BYTES);
  const buffer = Buffer.alloc(length);
  readSync(fd, buffer, 0, length, size - length);
  const text = buffer.toString('utf8');
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  try {
    return { last: JSON.parse(lines.at(-1) ?? '') as AuditRecord, endsLine: text.endsWith('\n') };
  } catch {
    throw new Error(
      'createAuditLog: the log file ends with a line that is no record (a torn write, or not an audit log): run latchkey-audit verify on it, and start a new file.',
    );
  }
}

/** What {@link verifyAuditLog} found. */
export interface AuditLogVerdict {
  /** Records read (checkpoints included). */
  records: number;
  /** Checkpoints whose signature verified. */
  checkpoints: number;
  /** Records after the last checkpoint: not covered by a signature yet. */
  unsigned: number;
  /** The first defect, or undefined when there is none. */
  defect?: AuditLogDefect;
}

/** A defect {@link verifyAuditLog} found. */
export interface AuditLogDefect {
  /** Its line, from 1 (0: the checkpoint given). */
  line: number;
  /** What is wrong there. */
  message: string;
}

/** Options of {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /** The checkpoints' verifier key, as {@link AuditLog.publicKey} gives it. */
  publicKey: string;
  /** The log's secret: the records' MACs are checked too. */
  key?: string;
  /** A checkpoint note kept elsewhere: the log must hold the records it signed (no truncation). */
  checkpoint?: string;
}

/**
 * Verifies an audit log's text: every line a record, `seq` without gaps, each `prev` the hash of
 * the record before, each checkpoint's size and head right and its signature valid (and with
 * `key`, every MAC). Stops at the first defect and names its line.
 */
export async function verifyAuditLog(
  text: string,
  options: VerifyAuditLogOptions,
): Promise<AuditLogVerdict> {
  const verifier = await parseVerifierKey(options.publicKey);
  const macKey = options.key === undefined ? undefined : auditKeys(options.key).mac;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const heads: string[] = [''];
  let checkpoints = 0;
  let lastCheckpoint = 0;
  const verdict = (defect?: AuditLogDefect): AuditLogVerdict => ({
    records: heads.length - 1,
    checkpoints,
    unsigned: heads.length - 1 - lastCheckpoint,
    ...(defect ? { defect } : {}),
  });
  for (const [index, line] of lines.entries()) {
    const at = index + 1;
    let record: AuditRecord;
    try {
      record = JSON.parse(line) as AuditRecord;
    } catch {
      return verdict({ line: at, message: 'not a JSON record (edited or truncated)' });
    }
    if (record?.v !== 1 || typeof record.seq !== 'number' || JSON.stringify(record) !== line) {
      return verdict({ line: at, message: 'not an audit record as latchkey writes one' });
    }
    if (record.seq !== at) {
      return verdict({
        line: at,
        message: `seq ${record.seq} where ${at} was due (a gap or a reordering)`,
      });
    }
    if (record.prev !== heads[index]) {
      return verdict({
        line: at,
        message: 'prev is not the hash of the record before (edited, removed or reordered)',
      });
    }
    if (macKey && record.mac !== recordMac(macKey, record)) {
      return verdict({ line: at, message: 'the MAC does not match (edited)' });
    }
    if (record.type === 'checkpoint') {
      const problem = await checkCheckpoint(record.note, verifier, record.seq - 1, heads[index]!);
      if (problem) return verdict({ line: at, message: problem });
      checkpoints += 1;
      lastCheckpoint = at;
    }
    heads.push(recordHash(record));
  }
  if (heads.length > 1 && checkpoints === 0 && macKey === undefined) {
    return verdict({
      line: heads.length - 1,
      message:
        'no signed checkpoint: without one (or the key, for the MACs) the log cannot be told from a forgery',
    });
  }
  if (options.checkpoint !== undefined) {
    const size = Number(options.checkpoint.split('\n')[1]);
    if (!(Number.isInteger(size) && size >= 0)) {
      return verdict({ line: 0, message: 'the checkpoint given is no checkpoint note' });
    }
    if (size >= heads.length) {
      return verdict({
        line: heads.length,
        message: `the log has ${heads.length - 1} records, the checkpoint given signs ${size} (truncated)`,
      });
    }
    const problem = await checkCheckpoint(options.checkpoint, verifier, size, heads[size]!);
    if (problem) return verdict({ line: size, message: `the checkpoint given: ${problem}` });
  }
  return verdict();
}

interface VerifierKey {
  name: string;
  keyHash: Buffer;
  key: CryptoKey;
}

/** A signed-note verifier key `<name>+<hash>+<base64(0x01 || Ed25519 key)>`. */
async function parseVerifierKey(text: string): Promise<VerifierKey> {
  // The key's base64 may hold '+' itself: only the first two separate.
  const [name, hash] = text.trim().split('+', 2);
  const raw = Buffer.from(text.trim().slice(`${name}+${hash}+`.length), 'base64');
  if (!name || !hash || raw.length !== 33 || raw[0] !== 1) {
    throw new TypeError(
      'the public key must be <name>+<hash>+<key>, as AuditLog.publicKey() gives it',
    );
  }
  const publicKey = raw.subarray(1);
  if (noteKeyHash(name, publicKey).toString('hex') !== hash) {
    throw new TypeError('the public key does not match its own key hash');
  }
  const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, [
    'verify',
  ]);
  return { name, keyHash: noteKeyHash(name, publicKey), key };
}

/** Why a checkpoint note does not sign `size` and `head` with `verifier`, or undefined. */
async function checkCheckpoint(
  note: unknown,
  verifier: VerifierKey,
  size: number,
  head: string,
): Promise<string | undefined> {
  if (typeof note !== 'string') return 'a checkpoint without its note';
  const split = note.indexOf('\n\n');
  const body = note.slice(0, split + 1);
  if (split < 0 || body !== checkpointBody(verifier.name, size, head)) {
    return `the checkpoint does not sign this log's first ${size} records`;
  }
  for (const line of note.slice(split + 2).split('\n')) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match || match[1] !== verifier.name) continue;
    const signed = Buffer.from(match[2]!, 'base64');
    if (!signed.subarray(0, 4).equals(verifier.keyHash)) continue;
    const valid = await crypto.subtle.verify(
      'Ed25519',
      verifier.key,
      signed.subarray(4),
      Buffer.from(body),
    );
    if (valid) return undefined;
  }
  return 'the checkpoint signature does not verify with the public key (forged)';
}
