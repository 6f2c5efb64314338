/**
 * The layering of the service, checked by dependency-cruiser: `npm run lint:deps` and test/architecture/layering.spec.ts.
 *
 * Layers, lowest first. A folder (a "unit" below) may import only from itself and from units of lower layers:
 * never from a sibling of its own layer, never upwards. Inside src/ledger/ the same holds for its sub-layers.
 * test/ may import anything; src/ never imports test/; nothing in src/ is part of an import cycle.
 *
 * .cjs because package.json says "type": "module" and dependency-cruiser loads its configuration with require.
 */

/** [layer name, { unit name: path pattern }], lowest first. */
const LAYERS = [
  ['foundation', { migrations: '^migrations/', config: '^src/config/', client: '^src/client/' }],
  ['common', { common: '^src/common/' }],
  ['infrastructure', { observability: '^src/observability/', database: '^src/database/', openapi: '^src/openapi/' }],
  ['access', { auth: '^src/auth/', health: '^src/health/' }],
  ['idempotency', { idempotency: '^src/idempotency/' }],
  // rates, quotes and amounts shown in another currency; the conversions that move money are in src/ledger/conversions/
  ['fx', { fx: '^src/fx/' }],
  ['wallets', { wallets: '^src/wallets/' }],
  // The ledger's sub-layers. ledger-http: the files directly in src/ledger/ (HTTP conventions shared by the
  // money routes, such as money-post.decorator.ts), below every sub-folder; ledger.module.ts on top of them.
  ['ledger-http', { 'ledger-http': '^src/ledger/(?!ledger\\.module\\.ts$)[^/]+$' }],
  ['ledger-model', { 'ledger-model': '^src/ledger/model/' }],
  ['ledger-engine', { 'ledger-engine': '^src/ledger/engine/', 'ledger-sql': '^src/ledger/sql/' }],
  ['ledger-movements', { 'ledger-movements': '^src/ledger/movements/', 'ledger-verify': '^src/ledger/verify/' }],
  ['ledger-holds', { 'ledger-holds': '^src/ledger/holds/', 'ledger-conversions': '^src/ledger/conversions/' }],
  ['ledger-batches', { 'ledger-batches': '^src/ledger/batches/' }],
  ['ledger-module', { 'ledger-module': '^src/ledger/ledger\\.module\\.ts$' }],
  ['read-models', { statements: '^src/statements/', events: '^src/events/' }],
  ['webhooks', { webhooks: '^src/webhooks/' }],
  [
    'composition',
    {
      composition: '^src/(app\\.module\\.ts|main\\.ts|worker\\.ts|http-app\\.ts|entities\\.ts|cli/|seed/|examples/)',
    },
  ],
];

const PROJECT = '^(src|migrations)/';
const ALL_UNITS = LAYERS.flatMap(([, units]) => Object.values(units));

const layerRules = LAYERS.flatMap(([layer, units], index) => {
  const lower = LAYERS.slice(0, index).flatMap(([, below]) => Object.values(below));
  return Object.entries(units).map(([unit, path]) => ({
    name: `layer:${unit}`,
    comment:
      `${unit} (layer ${layer}) may import only from itself and lower layers` +
      (lower.length ? '' : ' (it is in the lowest layer: from nothing else in the project)'),
    severity: 'error',
    from: { path },
    to: { path: PROJECT, pathNot: [path, ...lower] },
  }));
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'An import cycle in src/: break it by moving the shared part down to where both sides may import it',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-test',
      comment: 'Production code never imports test code',
      severity: 'error',
      from: { path: PROJECT },
      to: { path: '^test/' },
    },
    {
      name: 'in-a-layer',
      comment: 'Every file of src/ belongs to a layer: add a new folder to LAYERS in test/architecture/dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: ALL_UNITS },
      to: {},
    },
    {
      name: 'to-a-layer',
      comment: 'Every file of src/ belongs to a layer: add a new folder to LAYERS in test/architecture/dependency-cruiser.cjs',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: ALL_UNITS },
    },
    {
      name: 'resolvable',
      comment: 'An import the checker cannot resolve is one it cannot check (or a broken import)',
      severity: 'error',
      from: { path: '^(src|migrations|test)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // The project's files, and relative imports that resolve to nothing (so that 'resolvable' sees them).
    includeOnly: ['^(src|migrations|test)/', '^\\.{1,2}/'],
    exclude: { path: '^(dist|node_modules)/' },
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: the layering is about what code knows, not only about what runs.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      // Packages that publish only an "exports" map (ESM) resolve too.
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    moduleSystems: ['es6', 'cjs'],
    cache: false,
  },
};
