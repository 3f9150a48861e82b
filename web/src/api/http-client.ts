import type { ErrorBody } from './contract.ts';

/** A non-2xx answer of the API, as the contract states it (or a network failure: status 0). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }

  /** `details` of a 400 `invalid_request`: the failing fields (`body.qty`, …) and why. */
  get fieldIssues(): Array<{ field: string; message: string }> {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter((issue): issue is { field: string; message: string } => typeof issue?.field === 'string' && typeof issue?.message === 'string');
  }
}

export interface HttpClientOptions {
  /** The bearer token of the session, when there is one. */
  readonly token: () => string | undefined;
  /** A 401: the token expired or was refused. */
  readonly onUnauthorized?: (failure: ApiFailure) => void;
}

/**
 * Plain fetch of the public `/v1` contract, same origin. Reads your own writes: every command
 * answer's `X-Position` is remembered and sent back as `X-Min-Position` on the queries after it,
 * so a list read right after an order or a deposit already shows it.
 */
export class HttpClient {
  private position = 0n;

  constructor(private readonly options: HttpClientOptions) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'GET' && this.position > 0n) headers['x-min-position'] = this.position.toString();
    let response: Response;
    try {
      response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (error) {
      throw new ApiFailure(0, 'network_error', `the API could not be reached (${messageOf(error)})`);
    }
    const written = response.headers.get('x-position');
    if (written && /^\d+$/.test(written) && BigInt(written) > this.position) this.position = BigInt(written);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined; // not the API's JSON (a proxy's page): reported by status below
    }
    if (response.ok) return parsed as T;
    const error = (parsed as ErrorBody | undefined)?.error;
    const failure = new ApiFailure(response.status, error?.code ?? 'http_error', error?.message ?? `${method} ${path} answered ${response.status}`, error?.details);
    if (response.status === 401) this.options.onUnauthorized?.(failure);
    throw failure;
  }
}

/** What a failure says, whatever was thrown. */
export const messageOf = (failure: unknown): string => (failure instanceof Error ? failure.message : String(failure));
