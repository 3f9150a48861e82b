import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../infrastructure/http/api-server.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';

describe('operations routes', () => {
  let app: FastifyInstance;
  let dependencyUp = true;

  beforeAll(async () => {
    app = await buildApiServer({
      logger: pino({ level: 'silent' }),
      metrics: createMetricsRegistry('test'),
      readiness: [{ name: 'event_store', check: async () => dependencyUp }],
    });
  });
  afterAll(() => app.close());

  it('answers /healthz while the process is up', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when every dependency answers and 503 naming the one that does not', async () => {
    dependencyUp = true;
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    dependencyUp = false;
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });

    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', dependencies: { event_store: 'up' } });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'not_ready', dependencies: { event_store: 'down' } });
  });

  it('exposes Prometheus metrics, counting the requests it answered', async () => {
    await app.inject({ method: 'GET', url: '/healthz' });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/plain/);
    expect(response.body).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200",process="test"\} \d+/);
    expect(response.body).toMatch(/process_cpu_user_seconds_total/);
  });

  it('serves the OpenAPI 3 document at /docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics']));
  });

  it('answers an unknown route with the contract error body', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /v1/nothing-here' } });
  });
});
