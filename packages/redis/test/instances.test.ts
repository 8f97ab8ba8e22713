import { randomUUID } from 'node:crypto';
import { instanceTests } from '@latchkey/adapter-tests';
import { redisUrlForTests } from '@latchkey/test-utils';
import express from 'express';
import { afterAll, describe } from 'vitest';
// The Express adapter's own test-app factory: the instance tests need an adapter, and this one
// is the reference (the adapters' suites run the same tests on memory stores).
import { expressFactory } from '../../express/test/app';
import { RedisRevocationList, RedisSessionStore } from '../src/index';

const url = await redisUrlForTests();
const prefix = `latchkey-test:${randomUUID()}:`;
const opened: Array<{ close(): Promise<void> }> = [];

function track<T extends { close(): Promise<void> }>(created: T): T {
  opened.push(created);
  return created;
}

describe.skipIf(!url)('two Express instances sharing a real Redis', () => {
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
  });

  describe('as the session store', () => {
    instanceTests(expressFactory(express), {
      shared: () => ({ store: track(new RedisSessionStore({ url: url!, prefix })) }),
      locksRefresh: true,
    });
  });

  describe('as the revocation list of stateless cookie sessions', () => {
    instanceTests(expressFactory(express), {
      shared: () => ({ revocations: track(new RedisRevocationList({ url: url!, prefix })) }),
      locksRefresh: false,
    });
  });
});
