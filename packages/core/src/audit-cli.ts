import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyAuditLog } from './audit-log';

const USAGE = `usage: latchkey-audit verify <log file> --public-key <key> [--checkpoint <note file>]

Checks a latchkey audit log: every line a record, seq without gaps, each record chained to the one
before, every checkpoint signed by <key> (what AuditLog.publicKey() gives). With the log's secret
in LATCHKEY_AUDIT_KEY, every record's MAC too. With --checkpoint, a checkpoint kept elsewhere:
the log must still hold every record it signed. Exits 0 when the log is intact, 1 at its first
defect (naming the line), 2 on a usage error.`;

/** The `latchkey-audit` command: resolves its exit code; writes to `out` and `err`. */
export async function auditCli(
  args: readonly string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (positionals[0] !== 'verify' || positionals.length !== 2 || !values['public-key']) {
    err(USAGE);
    return 2;
  }
  let text: string;
  let checkpoint: string | undefined;
  try {
    text = readFileSync(positionals[1]!, 'utf8');
    checkpoint = values.checkpoint ? readFileSync(values.checkpoint, 'utf8') : undefined;
  } catch (error) {
    err(`cannot read: ${(error as Error).message}`);
    return 2;
  }
  let verdict: Awaited<ReturnType<typeof verifyAuditLog>>;
  try {
    verdict = await verifyAuditLog(text, {
      publicKey: values['public-key'],
      ...(env.LATCHKEY_AUDIT_KEY ? { key: env.LATCHKEY_AUDIT_KEY } : {}),
      ...(checkpoint === undefined ? {} : { checkpoint }),
    });
  } catch (error) {
    err((error as Error).message);
    return 2;
  }
  if (verdict.defect) {
    err(`line ${verdict.defect.line}: ${verdict.defect.message}`);
    return 1;
  }
  const macs = env.LATCHKEY_AUDIT_KEY ? ', MACs checked' : '';
  out(
    `ok: ${verdict.records} records, ${verdict.checkpoints} signed checkpoints${macs}` +
      (verdict.unsigned > 0 ? `; the last ${verdict.unsigned} not signed by a checkpoint yet` : ''),
  );
  return 0;
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { 'public-key': { type: 'string' }, checkpoint: { type: 'string' } },
  });
}
