import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
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

/** A wallet to create: a fresh owner and EUR unless given, and any other field of POST /v1/wallets. */
export interface NewWallet {
  ownerId?: string;
  currency?: string;
  [field: string]: unknown;
}

/** Creates a wallet through the API, expecting 201; returns the wallet as the API answered it. */
export async function createWallet(http: TestApp['http'], { ownerId = `owner-${randomUUID()}`, currency = 'EUR', ...extra }: NewWallet = {}) {
  const res = await http.post('/v1/wallets').set(AUTH).send({ ownerId, currency, ...extra });
  expect(res.status).toBe(201);
  return res.body as Record<string, any>;
}

/** Creates a wallet through the API (see {@link createWallet}); returns its id. */
export async function newWallet(http: TestApp['http'], wallet: NewWallet = {}): Promise<string> {
  return (await createWallet(http, wallet)).id as string;
}

/** Creates a wallet through the API and funds it with a deposit of `amount` (none for 0); returns its id. */
export async function fundedWallet(http: TestApp['http'], amount: number, wallet?: NewWallet): Promise<string>;
/** The same, for a given owner and currency. */
export async function fundedWallet(http: TestApp['http'], ownerId: string, amount: number, currency?: string): Promise<string>;
export async function fundedWallet(http: TestApp['http'], first: number | string, second?: NewWallet | number, currency?: string): Promise<string> {
  const [amount, wallet] = typeof first === 'number' ? [first, second as NewWallet | undefined] : [second as number, { ownerId: first, currency }];
  const id = await newWallet(http, wallet);
  if (amount > 0) expect((await http.post(`/v1/wallets/${id}/deposits`).set(AUTH).send({ amount })).status).toBe(201);
  return id;
}
