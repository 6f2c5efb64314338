import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { guardedLookup, ipLiteralOf, unsafeAddressReason } from './url-safety.js';

/** One delivery attempt as the delivery log records it. `statusCode` is null when no answer came. */
export interface DeliveryAttempt {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  delivered: boolean;
}

/** Enough to see an error page in a debugger; the rest is not read, so a receiver cannot make us buffer more. */
const MAX_RESPONSE_BODY_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 200;
const USER_AGENT = 'wallet-service-webhooks/1';

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64, the size Standard Webhooks and Svix issue. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * One signed POST. Never throws: every failure is `delivered: false` with a short reason, so the caller
 * only records the attempt and schedules the next one. Redirects are not followed — a 3xx could send the
 * signed payload to a host nobody checked — and count as a failed attempt.
 */
export async function sendWebhook(request: {
  url: string;
  secret: string;
  messageId: string;
  body: string;
  timestampSeconds: number;
  timeoutMs: number;
  allowPrivate: boolean;
}): Promise<DeliveryAttempt> {
  const startedAt = performance.now();
  const outcome = await attempt(request);
  return {
    statusCode: outcome.statusCode,
    error: outcome.error === null ? null : redact(outcome.error, request.secret),
    durationMs: Math.round(performance.now() - startedAt),
    delivered: outcome.error === null,
  };
}

interface Outcome {
  statusCode: number | null;
  error: string | null;
}

async function attempt(request: Parameters<typeof sendWebhook>[0]): Promise<Outcome> {
  if (!Number.isSafeInteger(request.timeoutMs) || request.timeoutMs <= 0) return failure(null, 'invalid timeoutMs');
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return failure(null, 'invalid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return failure(null, 'unsupported protocol');
  // Node does not call `lookup` for an IP literal, so guardedLookup never sees it: check it here.
  const literal = ipLiteralOf(url);
  const reason = literal === null || request.allowPrivate ? null : unsafeAddressReason(literal);
  if (reason !== null) return failure(null, `refused: ${literal} is ${reason}`);

  let headers: Record<string, string>;
  try {
    headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': request.messageId,
      'webhook-timestamp': String(request.timestampSeconds),
      'webhook-signature': new Webhook(request.secret).sign(request.messageId, new Date(request.timestampSeconds * 1000), request.body),
    };
  } catch {
    // The library's message could quote what it failed to decode.
    return failure(null, 'could not sign: invalid secret');
  }
  return post(url, headers, request);
}

function post(url: URL, headers: Record<string, string>, request: Parameters<typeof sendWebhook>[0]): Promise<Outcome> {
  return new Promise((resolve) => {
    let statusCode: number | null = null;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };

    const transport = url.protocol === 'https:' ? https : http;
    let outgoing: http.ClientRequest;
    try {
      outgoing = transport.request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(request.body)) },
        lookup: guardedLookup(request.allowPrivate),
        // No pooled sockets: a kept-alive socket would be reused without passing through this lookup again.
        agent: false,
      });
    } catch (error) {
      settle(failure(null, describe(error)));
      return;
    }

    // One bound on the whole attempt — resolving, connecting, the status line and the body — not per phase.
    timer = setTimeout(() => {
      settle(failure(statusCode, `timed out after ${request.timeoutMs} ms`));
      outgoing.destroy();
    }, request.timeoutMs);

    outgoing.on('error', (error) => settle(failure(statusCode, describe(error))));
    outgoing.on('response', (response) => {
      statusCode = response.statusCode ?? null;
      const code = statusCode;
      const verdict = (): Outcome => (code !== null && code >= 200 && code < 300 ? { statusCode: code, error: null } : failure(code, `HTTP ${code}`));
      let receivedBytes = 0;
      response.on('data', (chunk: Buffer) => {
        receivedBytes += chunk.length;
        if (receivedBytes >= MAX_RESPONSE_BODY_BYTES) {
          // Read enough: the status is the answer, the rest of the body is not wanted.
          settle(verdict());
          response.destroy();
        }
      });
      response.on('end', () => settle(verdict()));
      response.on('error', (error) => settle(failure(code, describe(error))));
      // After 'end' this changes nothing; before it, the receiver hung up mid-body.
      response.on('close', () => settle(failure(code, 'connection closed before the response ended')));
    });
    outgoing.end(request.body);
  });
}

function failure(statusCode: number | null, error: string): Outcome {
  return { statusCode, error };
}

/** A short reason: the errno-style code where there is one ('ECONNREFUSED', 'CERT_HAS_EXPIRED'), else the message. */
function describe(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'EUNSAFEADDRESS') return `refused: ${String(message)}`;
  if (typeof code === 'string' && code !== '') return code;
  return (typeof message === 'string' && message !== '' ? message : 'delivery failed').slice(0, MAX_ERROR_LENGTH);
}

/** The secret is never put in an error, but these strings are stored and shown to tenants: make sure. */
function redact(error: string, secret: string): string {
  const key = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  return key.length >= 8 ? error.split(secret).join('[redacted]').split(key).join('[redacted]') : error;
}
