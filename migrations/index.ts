import { InitialSchema1764070000000 } from './1764070000000-initial-schema.js';

/** Listed explicitly (not globbed) so the same list works compiled, under ts-jest and in the CLI. */
export const MIGRATIONS = [InitialSchema1764070000000];
