/**
 * Packaging checks, offline (no Docker engine, no cluster, no network):
 *
 * - every manifest under docker/k8s/ is validated against the Kubernetes API schemas bundled in the npm
 *   package `kubernetes-models` (`.validate()`), and — since those schemas, like the API's, allow unknown
 *   fields while `kubectl apply` rejects them (strict field validation) — type-checked with TypeScript
 *   against the same package's generated interfaces, where a misspelt or misplaced field is an error;
 * - docker/Dockerfile is linted with `dockerfile-utils` (every rule an error) and parsed with `dockerfile-ast`;
 * - then what no schema says: the probes' paths, non-root, the grace period, resources, which object selects
 *   which pods, the HEALTHCHECK, production-only dependencies, the compose file's migration step.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dockerfile, From, Instruction } from 'dockerfile-ast';
import { DockerfileParser } from 'dockerfile-ast';
import { validate as lintDockerfile, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import ts from 'typescript';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { Environment, validateEnvironment } from '../../src/config/environment.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const K8S_DIR = join(ROOT, 'docker/k8s');
const DOCKERFILE = join(ROOT, 'docker/Dockerfile');
const DOCKERIGNORE = join(ROOT, 'docker/Dockerfile.dockerignore');
const COMPOSE_FILE = join(ROOT, 'docker/docker-compose.yml');

/** The service's own drain deadline on SIGTERM (src/main.ts). */
const SHUTDOWN_DEADLINE_SECONDS = 10;
const PROBE_PATHS = { startupProbe: '/health/startup', readinessProbe: '/health/ready', livenessProbe: '/health/live' } as const;
const MIGRATE_COMMAND = 'node dist/src/cli/migrate.js';
const LEDGER_VERIFY_COMMAND = 'node dist/src/cli/verify-ledger.js';
/** Variables of .env.example that belong in the Secret, or nowhere in a cluster (the embedded server). */
const SECRET_VARIABLES = ['DATABASE_URL', 'API_KEYS', 'CURSOR_SECRET', 'METRICS_TOKEN'];
const NOT_IN_CLUSTER = /^EMBEDDED_PG_/;

// ---------------------------------------------------------------------------------------------- models

/** Every kind the manifests may use: its model (schema validation) and its generated interface (strict fields). */
const MODELS = {
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Secret': { model: Secret, module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'batch/v1/Job': { model: Job, module: 'kubernetes-models/batch/v1/Job', type: 'IJob' },
  'batch/v1/CronJob': { model: CronJob, module: 'kubernetes-models/batch/v1/CronJob', type: 'ICronJob' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: HorizontalPodAutoscaler,
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler',
  },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, module: 'kubernetes-models/policy/v1/PodDisruptionBudget', type: 'IPodDisruptionBudget' },
} as const;
type KindKey = keyof typeof MODELS;

interface Manifest {
  /** e.g. docker/k8s/deployment.yaml#0 */
  where: string;
  key: string;
  doc: Record<string, unknown>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

/** Every document of every YAML file under docker/k8s/, and what kept any from parsing cleanly. */
function loadManifests(): { manifests: Manifest[]; yamlProblems: string[] } {
  const manifests: Manifest[] = [];
  const yamlProblems: string[] = [];
  for (const file of yamlFiles(K8S_DIR)) {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true });
    (Array.isArray(docs) ? docs : [docs]).forEach((document, index) => {
      const where = `${relative(ROOT, file)}#${index}`;
      // Errors include duplicate keys, which kubectl would refuse too.
      const problems = [...document.errors, ...document.warnings].map((e) => `${where}: ${e.message}`);
      if (problems.length > 0) return void yamlProblems.push(...problems);
      const doc = document.toJS() as unknown;
      if (doc === null) return; // an empty document (a trailing ---)
      if (typeof doc !== 'object' || Array.isArray(doc)) return void yamlProblems.push(`${where}: not a mapping`);
      const { apiVersion, kind } = doc as Record<string, unknown>;
      manifests.push({ where, key: `${String(apiVersion)}/${String(kind)}`, doc: doc as Record<string, unknown> });
    });
  }
  return { manifests, yamlProblems };
}

function isKnownKind(key: string): key is KindKey {
  return Object.hasOwn(MODELS, key);
}

/** The Kubernetes schema's errors for one object, or [] when it is valid. */
function schemaErrors(manifest: Manifest): string[] {
  if (!isKnownKind(manifest.key)) return [`${manifest.where}: ${manifest.key} is not a kind this test knows (add it to MODELS)`];
  const { model } = MODELS[manifest.key];
  try {
    // The constructor keeps apiVersion and kind from the data, and validate() checks them against the model.
    new model(manifest.doc as never).validate();
    return [];
  } catch (error) {
    return [`${manifest.where} (${manifest.key}): ${error instanceof Error ? error.message : String(error)}`];
  }
}

/**
 * Type-checks every manifest as an object literal of its kubernetes-models interface: excess-property
 * checks make every unknown field an error, as `kubectl apply` (strict field validation) would.
 */
function strictFieldErrors(manifests: Manifest[]): string[] {
  const lines: string[] = [];
  const owners: { where: string; fromLine: number }[] = [];
  const kinds = [...new Set(manifests.map((m) => m.key))].filter(isKnownKind);
  kinds.forEach((key, i) => lines.push(`import type { ${MODELS[key].type} as T${i} } from '${MODELS[key].module}';`));
  manifests.forEach((manifest, i) => {
    if (!isKnownKind(manifest.key)) return;
    owners.push({ where: manifest.where, fromLine: lines.length });
    lines.push(...`export const m${i}: T${kinds.indexOf(manifest.key)} = ${JSON.stringify(manifest.doc, null, 2)};`.split('\n'));
  });
  const text = lines.join('\n');
  // Inside the repository so that node_modules resolves; .mts so that it is an ES module like the project.
  const virtualFile = join(ROOT, 'test/packaging/__manifests__.generated.mts');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    resolve(name) === virtualFile ? ts.createSourceFile(name, text, languageVersion, true) : getSourceFile(name, languageVersion, ...rest);
  host.fileExists = (name) => resolve(name) === virtualFile || fileExists(name);
  host.readFile = (name) => (resolve(name) === virtualFile ? text : readFile(name));
  const program = ts.createProgram([virtualFile], options, host);
  const source = program.getSourceFile(virtualFile)!;
  return ts.getPreEmitDiagnostics(program, source).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
    if (diagnostic.start === undefined) return message;
    const { line } = source.getLineAndCharacterOfPosition(diagnostic.start);
    const owner = owners.filter((o) => o.fromLine <= line).at(-1);
    return `${owner?.where ?? 'imports'}: ${lines[line]!.trim()} — ${message}`;
  });
}

// ------------------------------------------------------------------------------------------- helpers

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0]!;
}

function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`missing: ${what}`);
  return value;
}

/** A resource quantity in base units (bytes, cores). */
function quantity(value: string | number | undefined, what: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(must(value, what)));
  if (!match) throw new Error(`${what}: cannot read quantity ${String(value)}`);
  const factor: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(match[1]) * factor[match[2] ?? '']!;
}

/** Does a matchLabels selector select pods with these labels? */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const wanted = Object.entries(must(selector, 'selector'));
  return wanted.length > 0 && wanted.every(([key, value]) => labels?.[key] === value);
}

/** The variables .env.example sets (`KEY=value`); commented-out ones (`# KEY=value`) have no default and are optional. */
function envExampleVariables(): string[] {
  return readFileSync(join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined);
}

// ----------------------------------------------------------------------------------------- Dockerfile

interface Stage {
  name: string | null;
  /** The base image, with global ARG defaults substituted. */
  image: string;
  instructions: Instruction[];
}

function dockerfileStages(dockerfile: Dockerfile): Stage[] {
  const globalArgs = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) globalArgs.set(property.getName(), property.getValue() ?? '');
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as From;
      const raw = must(from.getImage(), 'FROM image');
      const image = raw.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => globalArgs.get((a ?? b)!) ?? '');
      stages.push({ name: from.getBuildStage(), image, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

function argsOf(instruction: Instruction): string[] {
  return instruction.getArguments().map((a) => a.getValue());
}

function flag(instruction: Instruction, name: string): string | null {
  const flags = (instruction as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] }).getFlags?.() ?? [];
  return flags.find((f) => f.getName() === name)?.getValue() ?? null;
}

/** Every rule of the linter as an error, so that a warning fails too. */
const STRICT_LINT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

function lintErrors(content: string): string[] {
  return lintDockerfile(content, STRICT_LINT).map((d) => `docker/Dockerfile:${d.range.start.line + 1}: ${d.message}`);
}

const dockerfileText = readFileSync(DOCKERFILE, 'utf8');
const stages = dockerfileStages(DockerfileParser.parse(dockerfileText));
/** The instructions of the last stage, the image that ships. */
const inRuntime = (keyword: string) => must(stages.at(-1), 'a FROM in docker/Dockerfile').instructions.filter((i) => i.getKeyword() === keyword);
/** The heap cap the image sets (NODE_OPTIONS), in MB. */
const imageHeapCapMb = () =>
  Number(must(/--max-old-space-size=(\d+)/.exec(inRuntime('ENV').map((i) => i.getArgumentsContent()).join(' '))?.[1], 'NODE_OPTIONS=--max-old-space-size in the image'));

describe('docker/Dockerfile', () => {
  it('passes dockerfile-utils lint with every rule an error', () => {
    expect(lintErrors(dockerfileText)).toEqual([]);
  });

  it('builds in several stages from base images pinned by a full version tag', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
    for (const stage of stages.filter((s) => !stageNames.has(s.image))) {
      const [, tag = ''] = /^[^@]+?(?::([^:@/]+))?(?:@sha256:[0-9a-f]{64})?$/.exec(stage.image) ?? [];
      expect({ image: stage.image, pinned: /^\d+\.\d+\.\d+/.test(tag) || stage.image.includes('@sha256:') }).toEqual({ image: stage.image, pinned: true });
    }
  });

  it('ships production dependencies only, and no tests or benchmarks', () => {
    const stageByName = new Map(stages.map((s) => [s.name, s]));
    const runtime = must(stages.at(-1), 'the runtime stage');
    const copies = inRuntime('COPY');
    const nodeModules = must(
      copies.find((c) => argsOf(c).some((a) => a.includes('node_modules'))),
      'a COPY of node_modules into the runtime stage',
    );
    const depsStage = must(stageByName.get(must(flag(nodeModules, 'from'), 'COPY --from of node_modules')), 'the stage node_modules comes from');
    const installs = depsStage.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    expect(installs.some((run) => /\bnpm ci\b/.test(run) && /--omit[= ]dev\b/.test(run))).toBe(true);
    // The runtime stage installs no npm packages itself, and nothing anywhere uses a non-reproducible install.
    expect(runtime.instructions.filter((i) => i.getKeyword() === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.getArgumentsContent() ?? ''))).toEqual([]);
    expect(stages.flatMap((s) => s.instructions).filter((i) => /\bnpm (install|i)\b/.test(i.getArgumentsContent() ?? '')).map((i) => i.getInstruction())).toEqual([]);
    // From the build context the runtime stage takes package.json only ("type": "module"); the rest comes from stages.
    const fromContext = copies.filter((c) => flag(c, 'from') === null).flatMap((c) => argsOf(c).slice(0, -1));
    expect(fromContext).toEqual(['package.json']);
    // No stage copies tests or benchmarks in.
    const allSources = stages.flatMap((s) => s.instructions.filter((i) => ['COPY', 'ADD'].includes(i.getKeyword()) && flag(i, 'from') === null).flatMap((i) => argsOf(i).slice(0, -1)));
    expect(allSources.filter((source) => /(^|\/)(test|tests|bench)(\/|$)|\.spec\.ts$/.test(source))).toEqual([]);
  });

  it('runs as a numeric non-root user, with the heap cap, under an init', () => {
    const user = only(inRuntime('USER'), 'USER in the runtime stage').getArgumentsContent() ?? '';
    const [uid] = user.split(':');
    expect(uid).toMatch(/^\d+$/); // numeric, so that Kubernetes' runAsNonRoot can verify it
    expect(Number(uid)).toBeGreaterThan(0);
    expect(imageHeapCapMb()).toBeGreaterThan(0);
    const entrypoint = only(inRuntime('ENTRYPOINT'), 'ENTRYPOINT').getArgumentsContent() ?? '';
    expect(entrypoint).toMatch(/tini/);
    expect(argsOf(only(inRuntime('CMD'), 'CMD')).join(' ')).toMatch(/node\b.*dist\/src\/main\.js/);
  });

  it('has a HEALTHCHECK on a health endpoint', () => {
    const healthcheck = only(inRuntime('HEALTHCHECK'), 'HEALTHCHECK in the runtime stage');
    const text = healthcheck.getArgumentsContent() ?? '';
    expect(text).not.toMatch(/^\s*NONE\b/i);
    expect(text).toMatch(/\bCMD\b/);
    expect(text).toMatch(/\/health\/(live|ready)\b/);
    for (const option of ['interval', 'timeout', 'start-period']) expect(flag(healthcheck, option)).not.toBeNull();
  });

  it('has an allowlist .dockerignore that admits what the build copies and no secrets or tests', () => {
    const rules = readFileSync(DOCKERIGNORE, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(rules[0]).toBe('*');
    const admitted = rules.filter((r) => r.startsWith('!')).map((r) => r.slice(1).replace(/\/$/, ''));
    const copied = stages.flatMap((s) => s.instructions.filter((i) => i.getKeyword() === 'COPY' && flag(i, 'from') === null).flatMap((i) => argsOf(i).slice(0, -1)));
    for (const source of copied) expect({ source, admitted: admitted.includes(source.replace(/^\.\//, '').replace(/\/$/, '')) }).toEqual({ source, admitted: true });
    expect(admitted.filter((a) => /^(\.env|\.data|node_modules|dist|test|\.git)\b/.test(a))).toEqual([]);
  });

  it('lint catches a broken Dockerfile (the check can fail)', () => {
    expect(lintErrors('FROM node:20.20.2-bookworm-slim\nHEALTHCHECK --interval=10x CMD true\nEXPOSE 3000/tcpx\n').length).toBeGreaterThan(0);
  });
});

// -------------------------------------------------------------------------------------- compose file

/** Compose's `${VAR:-default}` / `${VAR-default}` / `${VAR}` interpolation, with every variable unset. */
function interpolateUnset(text: string): string {
  return text.replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_, fallback: string | undefined) => fallback ?? '');
}

type ComposeService = Record<string, unknown> & { depends_on?: Record<string, { condition: string }>; environment?: Record<string, string> };

describe('docker/docker-compose.yml', () => {
  // Parsed in each test, so that a broken file fails tests rather than the whole file's collection.
  const composeServices = () =>
    (parseYaml(interpolateUnset(readFileSync(COMPOSE_FILE, 'utf8')), { merge: true }) as { services: Record<string, ComposeService> }).services;

  it('runs PostgreSQL, a one-shot migration and the service, in that order', () => {
    const services = composeServices();
    expect(Object.keys(services).sort()).toEqual(['migrate', 'postgres', 'wallet']);
    expect(services.migrate!.command).toEqual(MIGRATE_COMMAND.split(' '));
    expect(services.migrate!.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(services.wallet!.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(services.wallet!.depends_on?.migrate?.condition).toBe('service_completed_successfully');
  });

  it('builds the service and the migration from docker/Dockerfile, against the compose database', () => {
    const services = composeServices();
    for (const name of ['migrate', 'wallet']) {
      const service = services[name]!;
      expect(service.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      expect(service.environment?.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(() => validateEnvironment(service.environment ?? {})).not.toThrow();
    }
    expect(services.migrate!.image).toBe(services.wallet!.image);
  });

  it('has healthchecks: the database its own, the service the image’s', () => {
    const services = composeServices();
    expect((services.postgres!.healthcheck as { test?: string[] } | undefined)?.test?.join(' ')).toMatch(/pg_isready/);
    expect((services.wallet!.healthcheck as { disable?: boolean } | undefined)?.disable).not.toBe(true);
    expect(inRuntime('HEALTHCHECK')).toHaveLength(1);
  });
});

// -------------------------------------------------------------------------------------------- k8s

describe('docker/k8s manifests', () => {
  const { manifests, yamlProblems } = loadManifests();
  const ofKind = (key: KindKey) => manifests.filter((m) => m.key === key).map((m) => m.doc);

  it('parse as YAML, without duplicate keys', () => {
    expect(yamlProblems).toEqual([]);
  });

  it('are all valid against the Kubernetes API schemas (kubernetes-models)', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
    expect(manifests.flatMap(schemaErrors)).toEqual([]);
  });

  it('use no field the API does not know (strict, like kubectl apply)', () => {
    expect(strictFieldErrors(manifests)).toEqual([]);
  });

  it('the checks can fail: a wrong type, a missing field and an unknown field are caught', () => {
    const broken: Manifest = {
      where: 'broken.yaml#0',
      key: 'apps/v1/Deployment',
      doc: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'broken' },
        // replicas is not an integer, the selector is missing, and readinessProbes is no field of a container.
        spec: { replicas: 'two', template: { spec: { containers: [{ name: 'app', image: 'app:1', readinessProbes: {} }] } } },
      },
    };
    const schema = schemaErrors(broken).join('\n');
    expect(schema).toMatch(/replicas must be integer/);
    expect(schema).toMatch(/must have required property selector/);
    expect(strictFieldErrors([broken]).join('\n')).toMatch(/readinessProbes\W+ does not exist in type/);
  });

  it('are one of each kind, namespace-agnostic, with consistent labels', () => {
    const counts = Object.fromEntries(Object.keys(MODELS).map((key) => [key, ofKind(key as KindKey).length]));
    // two Deployments: the API and the webhook worker
    expect(counts).toEqual(Object.fromEntries(Object.keys(MODELS).map((key) => [key, key === 'apps/v1/Deployment' ? 2 : 1])));
    for (const { where, doc } of manifests) {
      const metadata = doc.metadata as { namespace?: string; labels?: Record<string, string> };
      expect({ where, namespace: metadata.namespace }).toEqual({ where, namespace: undefined });
      expect({ where, name: metadata.labels?.['app.kubernetes.io/name'], partOf: metadata.labels?.['app.kubernetes.io/part-of'] }).toEqual({
        where,
        name: 'wallet-service',
        partOf: 'wallet',
      });
    }
  });

  /** The objects the remaining tests look into (built per test, so that a missing one fails tests, not the file). */
  const objects = () => {
    const one = (key: KindKey) => only(ofKind(key), key) as never;
    const component = (doc: never) => (doc as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.['app.kubernetes.io/component'];
    const deploymentOf = (name: string) => new Deployment(only(ofKind('apps/v1/Deployment').filter((doc) => component(doc as never) === name), `Deployment ${name}`) as never);
    const deployment = deploymentOf('api');
    const worker = deploymentOf('webhook-worker');
    const workerPod = must(worker.spec?.template.spec, 'worker pod spec');
    const job = new Job(one('batch/v1/Job'));
    const podSpec = must(deployment.spec?.template.spec, 'Deployment pod spec');
    const jobPod = must(job.spec?.template.spec, 'Job pod spec');
    const cronJob = new CronJob(one('batch/v1/CronJob'));
    const cronPod = must(cronJob.spec?.jobTemplate.spec?.template.spec, 'CronJob pod spec');
    return {
      cronJob,
      cronPod,
      cronContainer: only(cronPod.containers, 'container in the CronJob'),
      cronLabels: cronJob.spec?.jobTemplate.spec?.template.metadata?.labels,
      deployment,
      worker,
      workerPod,
      workerContainer: only(workerPod.containers, 'container in the worker Deployment'),
      workerLabels: worker.spec?.template.metadata?.labels,
      job,
      service: new Service(one('v1/Service')),
      hpa: new HorizontalPodAutoscaler(one('autoscaling/v2/HorizontalPodAutoscaler')),
      pdb: new PodDisruptionBudget(one('policy/v1/PodDisruptionBudget')),
      configMap: new ConfigMap(one('v1/ConfigMap')),
      secret: new Secret(one('v1/Secret')),
      podSpec,
      podLabels: deployment.spec?.template.metadata?.labels,
      container: only(podSpec.containers, 'container in the Deployment'),
      jobPod,
      jobContainer: only(jobPod.containers, 'container in the Job'),
      jobLabels: job.spec?.template.metadata?.labels,
    };
  };

  it('Deployment: probes on the right endpoints and port', () => {
    const { configMap, container } = objects();
    const port = only(must(container.ports, 'container ports'), 'container port');
    expect(String(port.containerPort)).toBe(configMap.data?.PORT ?? '3000');
    for (const [probe, path] of Object.entries(PROBE_PATHS)) {
      const httpGet = must(container[probe as keyof typeof PROBE_PATHS]?.httpGet, `${probe}.httpGet`);
      expect({ probe, path: httpGet.path, port: httpGet.port === port.name || httpGet.port === port.containerPort }).toEqual({ probe, path, port: true });
    }
    // The startup probe allows time for migrations; the others start only after it passes.
    const startup = container.startupProbe!;
    expect((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3)).toBeGreaterThanOrEqual(60);
  });

  it('Deployment, Job and CronJob: non-root, read-only, no capabilities, no privilege escalation, seccomp RuntimeDefault', () => {
    const { podSpec, container, jobPod, jobContainer, cronPod, cronContainer } = objects();
    for (const [what, pod, c] of [
      ['Deployment', podSpec, container],
      ['Job', jobPod, jobContainer],
      ['CronJob', cronPod, cronContainer],
    ] as const) {
      const podContext = pod.securityContext ?? {};
      const context = c.securityContext ?? {};
      expect({
        what,
        runAsNonRoot: context.runAsNonRoot ?? podContext.runAsNonRoot,
        runAsUserIsRoot: (context.runAsUser ?? podContext.runAsUser) === 0,
        readOnlyRootFilesystem: context.readOnlyRootFilesystem,
        allowPrivilegeEscalation: context.allowPrivilegeEscalation,
        privileged: context.privileged ?? false,
        dropsAll: context.capabilities?.drop?.includes('ALL'),
        adds: context.capabilities?.add ?? [],
        seccomp: (context.seccompProfile ?? podContext.seccompProfile)?.type,
      }).toEqual({
        what,
        runAsNonRoot: true,
        runAsUserIsRoot: false,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        dropsAll: true,
        adds: [],
        seccomp: 'RuntimeDefault',
      });
    }
  });

  it('Deployment: the grace period outlasts the preStop sleep plus the service’s 10 s drain', () => {
    const { podSpec, container } = objects();
    const preStop = must(container.lifecycle?.preStop, 'preStop hook');
    const sleepSeconds = preStop.sleep?.seconds ?? Number(/^sleep (\d+)$/.exec(preStop.exec?.command?.join(' ') ?? '')?.[1]);
    expect(sleepSeconds).toBeGreaterThan(0);
    expect(must(podSpec.terminationGracePeriodSeconds, 'terminationGracePeriodSeconds')).toBeGreaterThan(sleepSeconds + SHUTDOWN_DEADLINE_SECONDS);
  });

  it('Deployment, Job and CronJob: resources set, sized for the heap cap', () => {
    const { service, container, jobContainer, cronContainer } = objects();
    for (const [what, c] of [
      ['Deployment', container],
      ['Job', jobContainer],
      ['CronJob', cronContainer],
    ] as const) {
      const { requests, limits } = must(c.resources, `${what} resources`);
      const memoryRequest = quantity(requests?.memory, `${what} requests.memory`);
      const memoryLimit = quantity(limits?.memory, `${what} limits.memory`);
      expect(quantity(requests?.cpu, `${what} requests.cpu`)).toBeGreaterThan(0);
      expect(quantity(limits?.cpu, `${what} limits.cpu`)).toBeGreaterThanOrEqual(quantity(requests?.cpu, `${what} requests.cpu`));
      expect(memoryLimit).toBeGreaterThanOrEqual(memoryRequest);
      // Above the V8 heap cap, so that V8 collects before the kernel OOM-kills.
      expect(memoryLimit).toBeGreaterThan(imageHeapCapMb() * 2 ** 20);
    }
    // docs/benchmarks.md: RSS ≤ ~200 MB under load with the heap cap; the service's request covers it.
    expect(quantity(container.resources?.requests?.memory, 'requests.memory')).toBeGreaterThanOrEqual(200 * 1e6);
    // The heap cap stated in the Deployment is the image's.
    const nodeOptions = container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    if (nodeOptions !== undefined) expect(nodeOptions).toContain(`--max-old-space-size=${imageHeapCapMb()}`);
  });

  it('Deployment, Job and CronJob: same image, settings from the ConfigMap and the Secret', () => {
    const { configMap, secret, container, jobContainer, cronContainer } = objects();
    expect(jobContainer.image).toBe(container.image);
    expect(cronContainer.image).toBe(container.image);
    for (const c of [container, jobContainer, cronContainer]) {
      expect(c.envFrom?.map((source) => source.configMapRef?.name ?? source.secretRef?.name).sort()).toEqual(
        [configMap.metadata?.name, secret.metadata?.name].sort(),
      );
    }
  });

  it('Job: runs the migration CLI once, and no Service, PDB or Deployment selects its pod', () => {
    const { deployment, service, pdb, jobPod, jobContainer, jobLabels } = objects();
    expect([...(jobContainer.command ?? []), ...(jobContainer.args ?? [])].join(' ')).toBe(MIGRATE_COMMAND);
    expect(['Never', 'OnFailure']).toContain(jobPod.restartPolicy);
    expect(selects(service.spec?.selector, jobLabels)).toBe(false);
    expect(selects(pdb.spec?.selector?.matchLabels, jobLabels)).toBe(false);
    expect(selects(deployment.spec?.selector.matchLabels, jobLabels)).toBe(false);
  });

  it('CronJob: the ledger self-check nightly, one at a time; drift fails the Job at once, and nothing selects its pods', () => {
    const { deployment, service, pdb, cronJob, cronPod, cronContainer, cronLabels } = objects();
    expect([...(cronContainer.command ?? []), ...(cronContainer.args ?? [])].join(' ')).toBe(LEDGER_VERIFY_COMMAND);
    const fields = must(cronJob.spec?.schedule, 'schedule').trim().split(/\s+/);
    expect(fields).toHaveLength(5); // minute hour day month weekday
    expect(fields.slice(2)).toEqual(['*', '*', '*']); // every day
    expect(cronJob.spec?.concurrencyPolicy).toBe('Forbid');
    expect(cronPod.restartPolicy).toBe('Never');
    // the ledger-verify CLI exits 1 on drift: retrying would only find it again.
    const failJobOn = cronJob.spec?.jobTemplate.spec?.podFailurePolicy?.rules.find((rule) => rule.action === 'FailJob')?.onExitCodes;
    expect({ container: failJobOn?.containerName, operator: failJobOn?.operator, values: failJobOn?.values }).toEqual({
      container: cronContainer.name,
      operator: 'In',
      values: [1],
    });
    expect(selects(service.spec?.selector, cronLabels)).toBe(false);
    expect(selects(pdb.spec?.selector?.matchLabels, cronLabels)).toBe(false);
    expect(selects(deployment.spec?.selector.matchLabels, cronLabels)).toBe(false);
  });

  it('Deployment selector, Service and PodDisruptionBudget select the Deployment’s pods', () => {
    const { deployment, service, pdb, podLabels, container } = objects();
    expect(selects(deployment.spec?.selector.matchLabels, podLabels)).toBe(true);
    expect(selects(service.spec?.selector, podLabels)).toBe(true);
    expect(selects(pdb.spec?.selector?.matchLabels, podLabels)).toBe(true);
    const targetPort = only(must(service.spec?.ports, 'Service ports'), 'Service port').targetPort;
    expect(container.ports?.some((p) => p.name === targetPort || p.containerPort === targetPort)).toBe(true);
  });

  it('worker Deployment: runs npm run worker with the API image and settings, probed on its health routes; nothing routes to it', () => {
    const { deployment, container, workerContainer, workerPod, workerLabels, configMap, service, pdb } = objects();
    expect([...(workerContainer.command ?? []), ...(workerContainer.args ?? [])].join(' ')).toBe('node dist/src/worker.js');
    expect(workerContainer.image).toBe(container.image);
    expect(workerContainer.envFrom).toEqual(container.envFrom);
    // the API pods leave delivery to it
    expect(configMap.data?.WEBHOOK_WORKER).toBe('false');
    for (const [probe, path] of Object.entries(PROBE_PATHS)) {
      expect({ probe, path: workerContainer[probe as keyof typeof PROBE_PATHS]?.httpGet?.path }).toEqual({ probe, path });
    }
    expect(workerPod.securityContext?.runAsNonRoot).toBe(true);
    expect(workerContainer.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(workerPod.terminationGracePeriodSeconds).toBeGreaterThan(SHUTDOWN_DEADLINE_SECONDS);
    expect(selects(service.spec?.selector, workerLabels)).toBe(false);
    expect(selects(pdb.spec?.selector?.matchLabels, workerLabels)).toBe(false);
    expect(selects(deployment.spec?.selector.matchLabels, workerLabels)).toBe(false);
    expect(workerContainer.resources?.limits?.memory).toBeDefined();
  });

  it('HorizontalPodAutoscaler scales the Deployment on CPU, and owns the replica count', () => {
    const { deployment, hpa } = objects();
    expect(hpa.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata?.name });
    expect(hpa.spec?.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')).toBe(true);
    expect(hpa.spec?.minReplicas).toBeGreaterThanOrEqual(2); // so that the PDB can let one go
    expect(hpa.spec!.maxReplicas).toBeGreaterThanOrEqual(hpa.spec!.minReplicas!);
    expect(deployment.spec?.replicas).toBeUndefined();
  });

  it('ConfigMap holds the non-secret variables of .env.example, the Secret the secret ones; the service accepts both', () => {
    const { configMap, secret } = objects();
    const data = must(configMap.data, 'ConfigMap data');
    const secretData = { ...(secret.stringData ?? {}) };
    const expected = envExampleVariables().filter((name) => !SECRET_VARIABLES.includes(name) && !NOT_IN_CLUSTER.test(name));
    expect(expected.filter((name) => !(name in data))).toEqual([]);
    expect(Object.keys(data).filter((name) => SECRET_VARIABLES.includes(name))).toEqual([]);
    expect(Object.keys(secretData).sort()).toEqual(expect.arrayContaining(['API_KEYS', 'DATABASE_URL']));
    const known = Object.keys(new Environment());
    expect(known).toEqual(expect.arrayContaining(['DATABASE_URL', 'API_KEYS', 'PORT']));
    expect([...Object.keys(data), ...Object.keys(secretData)].filter((name) => !known.includes(name))).toEqual([]);
    expect(validateEnvironment({ ...data, ...secretData }).NODE_ENV).toBe('production');
  });
});
