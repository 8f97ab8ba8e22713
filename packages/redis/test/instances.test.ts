import { randomUUID } from 'node:crypto';
import { instanceTests } from '@latchkey/adapter-tests';
import { redisUrlForTests, startRedisCluster } from '@latchkey/test-utils';
import express from 'express';
import { afterAll, describe } from 'vitest';
// The Express adapter's own test-app factory: the instance tests need an adapter, and this one
// is the reference (the adapters' suites run the same tests on memory stores).
import { expressFactory } from '../../express/test/app';
import { RedisRevocationList, RedisSessionStore } from '../src/index';
import { clusterTarget, type RedisTarget, standaloneTarget } from './support';

const url = await redisUrlForTests();
// Sign-in, the refresh lock, back-channel logout by sid and by sub, and revocation, across two
// instances, on a cluster of three masters too.
const cluster = await startRedisCluster();
const prefix = `latchkey-test:${randomUUID()}:`;
const opened: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  await Promise.all(opened.map((close) => close()));
  await cluster?.stop();
});

/** The options of a store or list on `target`, closed (with its client) after the file. */
function connect(target: RedisTarget) {
  const { options, release } = target.connect();
  return <T extends { close(): Promise<void> }>(make: (given: typeof options) => T): T => {
    const made = make(options);
    opened.push(() => made.close().then(release));
    return made;
  };
}

function sharedBy(target: RedisTarget): void {
  describe('as the session store', () => {
    instanceTests(expressFactory(express), {
      shared: () => ({
        store: connect(target)((options) => new RedisSessionStore({ ...options, prefix })),
      }),
      locksRefresh: true,
    });
  });

  describe('as the session store, each instance with its own client and read cache', () => {
    instanceTests(expressFactory(express), {
      shared: () => ({
        store: connect(target)(
          (options) => new RedisSessionStore({ ...options, prefix, cache: true }),
        ),
      }),
      perInstance: true,
      // The bench's bar for a sign-out to reach another instance's cache (max of 100 samples).
      propagationMs: 250,
      locksRefresh: true,
    });
  });

  describe('as the revocation list of stateless cookie sessions', () => {
    instanceTests(expressFactory(express), {
      shared: () => ({
        revocations: connect(target)((options) => new RedisRevocationList({ ...options, prefix })),
      }),
      locksRefresh: false,
    });
  });
}

describe.skipIf(!url)('two Express instances sharing a real Redis', () =>
  sharedBy(standaloneTarget(url!)),
);
describe.skipIf(!cluster)('two Express instances sharing a Redis Cluster', () =>
  sharedBy(clusterTarget(cluster!.nodes)),
);
