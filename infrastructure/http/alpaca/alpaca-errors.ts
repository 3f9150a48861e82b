import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerFor, sendAnswer, type Answer } from '../error-handler.ts';
import { DecimalInputError } from './alpaca-decimal.ts';

/** Something Alpaca serves that this server does not: answered as Alpaca answers an invalid request, naming what is missing. */
export class NotSupportedHere extends Error {
  constructor(what: string) {
    super(`${what} is not supported by this server (trading-core's Alpaca-compatible API; see docs/alpaca-compatibility.md)`);
    this.name = 'NotSupportedHere';
  }
}

/**
 * Our answers in Alpaca's words: status and `{ "code": <8 digits>, "message" }`, the first three
 * digits being the status. Alpaca refuses an order the account cannot pay for with 403, and
 * invalid parameters with 422.
 */
const ALPACA_ANSWERS: Readonly<Record<string, { status: number; message?: string }>> = {
  insufficient_buying_power: { status: 403, message: 'insufficient buying power' },
  insufficient_position: { status: 403 },
  insufficient_funds: { status: 403, message: 'insufficient funds' },
  forbidden: { status: 403 },
  unauthorized: { status: 401, message: 'request is not authorized' },
  not_found: { status: 404 },
  unknown_symbol: { status: 422 },
  invalid_request: { status: 422 },
  idempotency_conflict: { status: 422, message: 'client_order_id must be unique' },
  order_not_cancelable: { status: 422, message: 'order is not cancelable' },
  rate_limited: { status: 429, message: 'rate limit exceeded' },
};

export function alpacaAnswer(error: unknown): Answer {
  if (error instanceof DecimalInputError || error instanceof NotSupportedHere) return { status: 422, code: 'invalid_request', message: error.message };
  const answer = answerFor(error as FastifyError);
  const alpaca = ALPACA_ANSWERS[answer.code];
  if (!alpaca) return answer;
  const details = Array.isArray(answer.details) ? `: ${(answer.details as Array<{ field: string; message: string }>).map((issue) => `${issue.field.replace(/^(body|querystring|params)\./, '')} ${issue.message}`).join('; ')}` : '';
  // A body that is not JSON at all is malformed (400) in Alpaca's words too; a field that fails validation is unprocessable (422).
  const malformed = answer.code === 'invalid_request' && String((error as FastifyError).code ?? '').startsWith('FST_ERR_CTP');
  return { ...answer, status: malformed ? 400 : alpaca.status, message: alpaca.message ?? `${answer.message}${details}` };
}

/** `{ code, message }` with Alpaca's 8-digit codes: 40010001, 40110000, 40310000, 40410000, 42210000, 42910000, 50010000 … */
export const alpacaErrorBody = (answer: Answer) => ({ code: answer.status * 100_000 + 10_000 + (answer.status === 400 ? 1 : 0), message: answer.message });

/** Every error and unknown path of the plugin it is installed in, in Alpaca's body. */
export function installAlpacaErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const answer = alpacaAnswer(error);
    return sendAnswer(request, reply, error, answer, alpacaErrorBody(answer));
  });
}
