import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/http/api-problem-responses.js';
import { ApiKeyGuard } from './api-key.guard.js';

/** Every /v1 controller: bearer API key required (and a scope: see RequireScope), documented as such. */
export function ApiKeyAuth() {
  return applyDecorators(UseGuards(ApiKeyGuard), ApiBearerAuth('api-key'), ApiProblemResponses(401, 403, 503));
}
