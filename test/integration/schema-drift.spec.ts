import { DataSource } from 'typeorm';
import { databaseOptions } from '../../src/database/database-options.js';
import { ENTITIES } from '../../src/entities.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

/**
 * The migrations are the schema; the entities describe it to TypeORM. If they drift apart,
 * `npm run migration:generate` would draft statements that drop constraints. This is that check.
 */
describe('entities and migrations', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(
      databaseOptions({ entities: ENTITIES, url: db.url, poolSize: 1, connectionTimeoutMs: 5_000, lockTimeoutMs: 5_000, statementTimeoutMs: 30_000 }),
    ).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('describe the same schema: migration:generate would find nothing to change', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('every shipped migration is applied in the template the tests run on', async () => {
    expect(await dataSource.showMigrations()).toBe(false);
  });
});
