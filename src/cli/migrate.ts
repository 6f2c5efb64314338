import { exitAfterFlush, withCliDataSource } from './cli-data-source.js';
import { runMigrationsExclusively } from '../database/run-migrations.js';

/** `npm run migration:run`: applies pending migrations to DATABASE_URL, or to the embedded database. */
withCliDataSource(async (dataSource) => {
  const applied = await runMigrationsExclusively(dataSource);
  console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'no pending migrations');
}).then(
  () => exitAfterFlush(0),
  (error: unknown) => {
    console.error(error);
    exitAfterFlush(1);
  },
);
