import { randomUUID } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { Redis } from 'ioredis';

/** A key prefix no other test run uses, so tests can share one Redis. */
export function uniquePrefix(name: string): string {
  return `latchkey-test:${name}:${randomUUID().slice(0, 8)}:`;
}

/** A plain client for inspecting Redis from tests (not latchkey's). */
export function adminClient(url: string): Redis {
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return client;
}

/** Every key under `prefix`, sorted. */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

/** Deletes every key under `prefix`. */
export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  if (keys.length > 0) await client.del(...keys);
}

/** Calls counted per command by `INFO commandstats` (`{ get: 1, evalsha: 2, ... }`). */
export async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1] as string] = Number(match[2]);
  }
  return calls;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation` and lists the commands this process's ioredis clients wrote meanwhile (from
 * ioredis's `ioredis:command` diagnostics channel): the round trips, not what scripts run.
 */
export async function commandsSent(operation: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const channel = tracingChannel<unknown, { command: string }>('ioredis:command');
  const subscribers = {
    start: (context: { command: string }) => void sent.push(context.command),
    end: () => {},
    asyncStart: () => {},
    asyncEnd: () => {},
    error: () => {},
  };
  channel.subscribe(subscribers);
  try {
    await operation();
  } finally {
    channel.unsubscribe(subscribers);
  }
  return sent;
}
