import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, validationFailed } from '../errors/domain-error.js';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Keys JSON.parse keeps as own properties but class-transformer drops silently, dodging the whitelist. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * No request part the API accepts nests deeper than 4 levels (a batch operation's metadata); 16 leaves room
 * and stops a body of thousands of nested arrays before anything recursive (class-transformer,
 * class-validator) walks it and overflows the stack.
 */
export const MAX_INPUT_DEPTH = 16;

const NUL = '\u0000';

/**
 * The first thing in a parsed body, query or set of path parameters that no DTO rule may see, or null:
 * a prototype key (nested operations included), a string or key holding U+0000 (PostgreSQL text cannot
 * store it, so it would fail in the database as a 500), or nesting past MAX_INPUT_DEPTH. Walks with an
 * explicit stack, so the walk itself cannot overflow.
 */
export function hostileInput(root: unknown, part: string): FieldError | null {
  const stack: [value: unknown, path: string, depth: number][] = [[root, '', 0]];
  while (stack.length > 0) {
    const [value, path, depth] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes(NUL)) return { field: path || part, message: 'must not contain the NUL character (U+0000)' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return { field: path || part, message: `nests deeper than ${MAX_INPUT_DEPTH} levels` };
    const isArray = Array.isArray(value);
    // Object.entries skips __proto__ only when it is the real prototype; JSON.parse makes it an own key.
    if (!isArray && Object.hasOwn(value, '__proto__')) return { field: path ? `${path}.__proto__` : '__proto__', message: 'should not exist' };
    const children = Object.entries(value);
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i];
      const childPath = isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (!isArray && PROTOTYPE_KEYS.includes(key)) return { field: childPath, message: 'should not exist' };
      if (key.includes(NUL)) return { field: childPath, message: 'must not contain the NUL character (U+0000)' };
      stack.push([child, childPath, depth + 1]);
    }
  }
  return null;
}

/** Refuses (400, naming the field) what {@link hostileInput} finds. */
export function refuseHostileInput(value: unknown, part: string): void {
  const hostile = hostileInput(value, part);
  if (hostile) throw validationFailed(`${hostile.field}: ${hostile.message}`, [hostile]);
}

/**
 * Whitelisting validation: unknown fields are refused (400), nothing is coerced from strings in bodies,
 * and every failure names its field.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      refuseHostileInput(value, metadata.type === 'param' ? (metadata.data ?? 'path') : metadata.type);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return validationFailed(fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'The request is not valid.', fieldErrors);
    },
  });
}
