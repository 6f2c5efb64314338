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

/** The path of the first prototype key anywhere in a parsed body (nested operations included), or null. */
function prototypeKeyIn(value: unknown, path: string): string | null {
  if (value === null || typeof value !== 'object') return null;
  for (const [key, child] of Object.entries(value)) {
    const childPath = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (!Array.isArray(value) && PROTOTYPE_KEYS.includes(key)) return childPath;
    const nested = prototypeKeyIn(child, childPath);
    if (nested) return nested;
  }
  // Object.entries skips __proto__ only when it is the real prototype; JSON.parse makes it an own key.
  return Object.hasOwn(value, '__proto__') ? (path ? `${path}.__proto__` : '__proto__') : null;
}

/**
 * Whitelisting validation: unknown fields are refused (400), nothing is coerced from strings in bodies,
 * and every failure names its field.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const forbidden = prototypeKeyIn(value, '');
      if (forbidden) throw validationFailed(`property ${forbidden} should not exist`, [{ field: forbidden, message: 'should not exist' }]);
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
