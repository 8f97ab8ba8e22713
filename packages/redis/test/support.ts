import { randomUUID } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { Keyring } from '@latchkey/core';
import { Cluster, Redis } from 'ioredis';
import { failFastRedisOptions, type RedisClient } from '../src/index';

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

/** A plain client of a test Redis Cluster, for inspecting it from tests. */
export function adminCluster(nodes: ReadonlyArray<{ host: string; port: number }>): Cluster {
  const client = new Cluster([...nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
  client.on('error', () => {});
  return client;
}

/** Where a suite runs: a standalone Redis, or a test's own Redis Cluster. */
export interface RedisTarget {
  /** Options to connect a store or list, and how to let go of the client made for it, if any. */
  connect(): { options: { url: string } | { client: Cluster }; release(): Promise<unknown> };
  /** A plain client for inspecting it. */
  admin(): RedisClient;
}

/** A standalone Redis at `url`: stores connect with `url` (and own their client). */
export function standaloneTarget(url: string): RedisTarget {
  return {
    connect: () => ({ options: { url }, release: async () => {} }),
    admin: () => adminClient(url),
  };
}

/** A Redis Cluster of `nodes`: stores get a fail-fast `Cluster` client of the test's. */
export function clusterTarget(nodes: ReadonlyArray<{ host: string; port: number }>): RedisTarget {
  return {
    connect: () => {
      const client = new Cluster([...nodes], {
        enableOfflineQueue: false,
        redisOptions: failFastRedisOptions,
      });
      return { options: { client }, release: () => client.quit() };
    },
    admin: () => adminCluster(nodes),
  };
}

/** Every key under `prefix` (on every master of a cluster), sorted. */
export async function keysUnder(client: RedisClient, prefix: string): Promise<string[]> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, batch] = await server.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return keys.sort();
}

/** Deletes every key under `prefix` (one DEL per key: on a cluster they live in many slots). */
export async function deleteKeysUnder(client: RedisClient, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  await Promise.all(keys.map((key) => client.del(key)));
}

/** Where RedisSessionStore keeps a session, its "ended" marker and its indexes, under `prefix`. */
export function layout(prefix: string) {
  return {
    session: (id: string) => `${prefix}session:{${id}}`,
    ended: (id: string) => `${prefix}ended:{${id}}`,
    bySub: (sub: string) => `${prefix}by-sub:${sub}`,
    bySid: (sid: string) => `${prefix}by-sid:${sid}`,
  };
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

/**
 * What latchkey names a session id (or a `sub`, or an IdP `sid`) in its store under the app secret
 * `secret`: its keyring's HMAC for that purpose. Tests find stored sessions with it.
 */
export function storeNameOf(secret: string, value: string): string {
  return new Keyring([secret]).tags('store-key', value)[0]!;
}
