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
  unknown_order: [404, 'not_found'],
};

/**
 * The one place where failures become HTTP answers. Domain and application errors carry a
 * `code` the table below knows; anything else is a 500 that says nothing about our insides.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    void reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const failure: unknown = error;
    if (failure instanceof DomainError) {
      const [status, code] = DOMAIN_ANSWERS[failure.code];
      if (failure instanceof RefusalWithPosition && failure.position !== undefined) reply.header('x-position', failure.position.toString());
      return reply.code(status).send(errorBody(code, failure.message, failure.details));
    }
    if (failure instanceof ApiError) return reply.code(failure.statusCode).send(errorBody(failure.code, failure.message, failure.details));
    if (failure instanceof InvalidCursorError) return reply.code(400).send(errorBody('invalid_request', failure.message));
    if (failure instanceof InvalidAppendError) return reply.code(400).send(errorBody('invalid_request', failure.message));
    if (failure instanceof ExchangeUnavailableError) return reply.code(503).header('retry-after', '5').send(errorBody('exchange_unavailable', failure.message));
    if (failure instanceof QuoteUnavailableError) return reply.code(503).header('retry-after', '1').send(errorBody('quote_unavailable', failure.message));
    if (failure instanceof ConcurrencyExhaustedError) {
      return reply.code(503).header('retry-after', '1').send(errorBody('temporarily_unavailable', 'the account is busy; retry the same request'));
    }
    if (error.statusCode === 429) return reply.code(429).send(errorBody('rate_limited', 'too many requests for this account; see Retry-After'));
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((issue) => ({
        field: [error.validationContext, ...String(issue.instancePath).split('/').filter(Boolean)].join('.'),
        message: issue.message,
      }));
      return reply.code(400).send(errorBody('invalid_request', 'the request is not valid', details));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(errorBody('payload_too_large', 'the request body is too large'));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.statusCode === 400) {
      return reply.code(400).send(errorBody('invalid_request', error.message));
    }
    if (error.statusCode === 415) return reply.code(415).send(errorBody('unsupported_media_type', error.message));
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody('internal', 'something went wrong on our side'));
  });
}
