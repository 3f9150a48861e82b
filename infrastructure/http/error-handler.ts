import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { InvalidAppendError } from '../../application/event-store/event-store.ts';
import { ExchangeUnavailableError } from '../../application/exchange/exchange.ts';
import { QuoteUnavailableError } from '../../application/orders/place-order.ts';
import { InvalidCursorError } from '../../application/read-models/queries.ts';
import { ConcurrencyExhaustedError } from '../../application/shared/command-handler.ts';
import { RefusalWithPosition } from '../../application/shared/refusal-with-position.ts';
import { DomainError, type DomainErrorCode } from '../../domain/shared/domain-error.ts';
import { ApiError } from './api-error.ts';

/** The contract's error body (api.md, "Errors"). */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Each business refusal's status and public code (api.md, "Errors"). */
const DOMAIN_ANSWERS: Record<DomainErrorCode, readonly [number, string]> = {
  invalid_amount: [400, 'invalid_request'],
  invalid_order: [400, 'invalid_request'],
  insufficient_funds: [422, 'insufficient_funds'],
  insufficient_buying_power: [422, 'insufficient_buying_power'],
  insufficient_position: [422, 'insufficient_position'],
  unknown_symbol: [422, 'unknown_symbol'],
  idempotency_conflict: [409, 'idempotency_conflict'],
  order_not_cancelable: [409, 'order_not_cancelable'],
  order_not_fillable: [409, 'order_not_fillable'],
  overfill: [409, 'overfill'],
  fill_above_reserved_price: [409, 'fill_above_reserved_price'],
  fill_through_limit: [409, 'fill_through_limit'],
  execution_mismatch: [409, 'execution_mismatch'],
  unknown_order: [404, 'not_found'],
  unknown_api_key: [404, 'not_found'],
  unknown_position: [404, 'not_found'],
  too_many_api_keys: [422, 'too_many_api_keys'],
};

/** A failure as the HTTP edge answers it, before it is written in a dialect (ours, or Alpaca's). */
export interface Answer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const INTERNAL: Answer = { status: 500, code: 'internal', message: 'something went wrong on our side' };

/**
 * The one place where failures become HTTP answers. Domain and application errors carry a
 * `code` the table above knows; anything else is a 500 that says nothing about our insides.
 */
export function answerFor(error: FastifyError): Answer {
  const failure: unknown = error;
  if (failure instanceof DomainError) {
    const [status, code] = DOMAIN_ANSWERS[failure.code];
    const headers = failure instanceof RefusalWithPosition && failure.position !== undefined ? { 'x-position': failure.position.toString() } : undefined;
    return { status, code, message: failure.message, details: failure.details, ...(headers ? { headers } : {}) };
  }
  if (failure instanceof ApiError) return { status: failure.statusCode, code: failure.code, message: failure.message, details: failure.details };
  if (failure instanceof InvalidCursorError || failure instanceof InvalidAppendError) return { status: 400, code: 'invalid_request', message: failure.message };
  if (failure instanceof ExchangeUnavailableError) return { status: 503, code: 'exchange_unavailable', message: failure.message, headers: { 'retry-after': '5' } };
  if (failure instanceof QuoteUnavailableError) return { status: 503, code: 'quote_unavailable', message: failure.message, headers: { 'retry-after': '1' } };
  if (failure instanceof ConcurrencyExhaustedError) return { status: 503, code: 'temporarily_unavailable', message: 'the account is busy; retry the same request', headers: { 'retry-after': '1' } };
  if (error.statusCode === 429) return { status: 429, code: 'rate_limited', message: 'too many requests for this account; see Retry-After' };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((issue) => ({
      field: [error.validationContext, ...String(issue.instancePath).split('/').filter(Boolean)].join('.'),
      message: issue.message,
    }));
    return { status: 400, code: 'invalid_request', message: 'the request is not valid', details };
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, code: 'payload_too_large', message: 'the request body is too large' };
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return { status: 414, code: 'uri_too_long', message: 'a path segment is longer than any id this API gives out' };
  if (error.code === 'FST_ERR_BAD_URL') return { status: 400, code: 'invalid_request', message: 'the path is not a valid URL' };
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.statusCode === 400) return { status: 400, code: 'invalid_request', message: error.message };
  if (error.statusCode === 415) return { status: 415, code: 'unsupported_media_type', message: error.message };
  return INTERNAL;
}

/** Writes an answer (and logs the ones that are our fault). */
export function sendAnswer(request: FastifyRequest, reply: FastifyReply, error: unknown, answer: Answer, body: unknown): FastifyReply {
  if (answer === INTERNAL) request.log.error({ err: error }, 'request failed');
  if (answer.headers) void reply.headers(answer.headers);
  return reply.code(answer.status).send(body);
}

/**
 * What Node's HTTP parser refuses before any route is known (headers past the size limit, a
 * malformed request line, a request too slow to arrive), written straight to the socket in the
 * contract's format: Fastify's default body is its own. The connection closes after it.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, body] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', errorBody('headers_too_large', 'the request headers are larger than this server accepts')]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', errorBody('request_timeout', 'the request did not arrive in time')]
        : [400, 'Bad Request', errorBody('invalid_request', 'the request is not valid HTTP')];
  const text = JSON.stringify(body);
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${text}`);
  socket.destroy();
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    void reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const answer = answerFor(error);
    return sendAnswer(request, reply, error, answer, errorBody(answer.code, answer.message, answer.details));
  });
}
