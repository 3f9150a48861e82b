import CircuitBreaker from 'opossum';
import pRetry, { AbortError } from 'p-retry';
import { Pool, errors as undiciErrors } from 'undici';
import {
  ExchangeTimeoutError,
  ExchangeUnavailableError,
  type Exchange,
  type ExchangeOrderRequest,
  type ExchangeOrderSnapshot,
} from '../../application/exchange/exchange.ts';

export interface HttpExchangeOptions {
  readonly url: string;
  /** Keep-alive connections to the exchange (it charges per connection). */
  readonly connections?: number;
  /** Longest wait for one answer. */
  readonly timeoutMs?: number;
  /** Retries of a call that failed fast (5xx, refused connection); never of a timeout. */
  readonly retries?: number;
  /** Share of failures in the rolling window that opens the circuit. */
  readonly breakerErrorPercentage?: number;
  /** How long the circuit stays open before one trial call. */
  readonly breakerResetMs?: number;
  readonly onBreakerChange?: (state: 'open' | 'half_open' | 'closed') => void;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

class RetryableAnswer extends Error {}

/**
 * The exchange's order API over a small pool of keep-alive HTTP connections: short timeouts,
 * retries with exponential back-off and jitter for fast failures (every call here is idempotent:
 * orders are keyed by clientOrderId), and a circuit breaker that fails fast while the exchange is
 * down.
 */
export class HttpExchangeClient implements Exchange {
  private readonly pool: Pool;
  private readonly breaker: CircuitBreaker<[string, string, unknown], Answer>;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(options: HttpExchangeOptions) {
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.retries = options.retries ?? 2;
    this.pool = new Pool(options.url, { connections: options.connections ?? 4, keepAliveTimeout: 30_000, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    this.breaker = new CircuitBreaker((method: string, path: string, body: unknown) => this.callWithRetries(method, path, body), {
      timeout: false,
      errorThresholdPercentage: options.breakerErrorPercentage ?? 50,
      resetTimeout: options.breakerResetMs ?? 5_000,
      rollingCountTimeout: 10_000,
      volumeThreshold: 10,
      // A timeout says nothing about the exchange being down: it does not open the circuit.
      errorFilter: (error: unknown) => error instanceof ExchangeTimeoutError,
    });
    this.breaker.on('open', () => options.onBreakerChange?.('open'));
    this.breaker.on('halfOpen', () => options.onBreakerChange?.('half_open'));
    this.breaker.on('close', () => options.onBreakerChange?.('closed'));
  }

  get circuitOpen(): boolean {
    return this.breaker.opened;
  }

  async placeOrder(request: ExchangeOrderRequest): Promise<ExchangeOrderSnapshot> {
    const answer = await this.call('POST', '/v1/orders', request, 'an order');
    if (answer.status !== 200 && answer.status !== 201) throw new ExchangeUnavailableError(`order answered ${answer.status}`);
    return answer.body as ExchangeOrderSnapshot;
  }

  async cancelOrder(externalOrderId: string, clientOrderId: string): Promise<ExchangeOrderSnapshot | undefined> {
    const answer = await this.call('DELETE', `/v1/orders/${encodeURIComponent(externalOrderId)}?clientOrderId=${encodeURIComponent(clientOrderId)}`, undefined, 'a cancel');
    return answer.status === 404 ? undefined : (answer.body as ExchangeOrderSnapshot);
  }

  async findOrder(clientOrderId: string): Promise<ExchangeOrderSnapshot | undefined> {
    const answer = await this.call('GET', `/v1/orders?clientOrderId=${encodeURIComponent(clientOrderId)}`, undefined, 'a lookup');
    return answer.status === 404 ? undefined : (answer.body as ExchangeOrderSnapshot);
  }

  close(): Promise<void> {
    this.breaker.shutdown();
    return this.pool.close();
  }

  private async call(method: string, path: string, body: unknown, what: string): Promise<Answer> {
    try {
      return await this.breaker.fire(method, path, body);
    } catch (error) {
      if (error instanceof ExchangeTimeoutError || error instanceof ExchangeUnavailableError) throw error;
      if (this.breaker.opened) throw new ExchangeUnavailableError('circuit open');
      if (isTimeout(error)) throw new ExchangeTimeoutError(what);
      throw new ExchangeUnavailableError(error instanceof Error ? error.message : String(error));
    }
  }

  private callWithRetries(method: string, path: string, body: unknown): Promise<Answer> {
    return pRetry(
      async () => {
        try {
          const response = await this.pool.request({
            method: method as 'GET' | 'POST' | 'DELETE',
            path,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          const text = await response.body.text();
          if (response.statusCode >= 500) throw new RetryableAnswer(`exchange answered ${response.statusCode}`);
          return { status: response.statusCode, body: text ? JSON.parse(text) : undefined };
        } catch (error) {
          if (isTimeout(error)) throw new AbortError(new ExchangeTimeoutError(`${method} ${path}`));
          throw error;
        }
      },
      { retries: this.retries, factor: 2, minTimeout: 50, maxTimeout: 1_000, randomize: true },
    );
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || error instanceof ExchangeTimeoutError;
}
