import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createHttpApp } from '../../src/http-app.js';
import { createTestDatabase, TestDatabase } from './test-database.js';

export const API_KEY = 'test-secret-key-1';
export const OTHER_API_KEY = 'test-secret-key-2';
export const AUTH = { Authorization: `Bearer ${API_KEY}` };
/** Keys of the default tenant with one scope each, and a key of a second tenant ("acme") with every scope. */
export const READER_AUTH = { Authorization: 'Bearer test-reader-key-1' };
export const WRITER_AUTH = { Authorization: 'Bearer test-writer-key-1' };
export const ACME_AUTH = { Authorization: 'Bearer test-acme-key-1' };
const TEST_API_KEYS = [
  `shop:${API_KEY}`,
  `other:${OTHER_API_KEY}`,
  'reader:test-reader-key-1:default:wallets:read',
  'writer:test-writer-key-1:default:wallets:write',
  'acme-shop:test-acme-key-1:acme:wallets:read|wallets:write|admin',
].join(',');

export interface TestApp {
  app: INestApplication;
  db: TestDatabase;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * The real application (AppModule, body parsing, validation, filters) on its own fresh database.
 * `prepareDatabase` runs on that database before the app connects (e.g. to change its defaults).
 */
export async function startTestApp(env: Record<string, string> = {}, prepareDatabase?: (db: TestDatabase) => Promise<void>): Promise<TestApp> {
  const db = await createTestDatabase();
  await prepareDatabase?.(db);
  // Configuration is read while the app is created; restore the environment afterwards so one test
  // file's settings never leak into the next file run by the same worker.
  const saved = { ...process.env };
  Object.assign(process.env, {
    NODE_ENV: 'test',
    API_KEYS: TEST_API_KEYS,
    LOG_LEVEL: 'silent',
    DB_POOL_SIZE: '10',
    ...env,
  });
  let app: INestApplication;
  try {
    app = await createHttpApp(db.url);
  } finally {
    process.env = saved;
  }
  await app.listen(0, '127.0.0.1');
  const http = request(app.getHttpServer());
  return {
    app,
    db,
    http,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

/** Creates a wallet through the API and funds it with a deposit; returns its id. */
export async function fundedWallet(http: TestApp['http'], ownerId: string, amount: number, currency = 'EUR'): Promise<string> {
  const created = await http.post('/v1/wallets').set(AUTH).send({ ownerId, currency }).expect(201);
  if (amount > 0) await http.post(`/v1/wallets/${created.body.id}/deposits`).set(AUTH).send({ amount }).expect(201);
  return created.body.id as string;
}
