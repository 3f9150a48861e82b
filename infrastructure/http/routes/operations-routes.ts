import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves true when the dependency answers. */
  check(): Promise<boolean>;
}

export interface OperationsRoutesOptions {
  readonly metrics: Registry;
  readonly readiness: readonly ReadinessCheck[];
  /** Longest wait for one dependency before it counts as down. */
  readonly readinessTimeoutMs?: number;
}

const dependencyStates = z.record(z.string(), z.enum(['up', 'down']));

/** `/healthz`, `/readyz` and `/metrics` (api.md, "Operations"). */
export const operationsRoutes: FastifyPluginAsyncZod<OperationsRoutesOptions> = async (app, options) => {
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Every dependency answers',
        response: {
          200: z.object({ status: z.literal('ready'), dependencies: dependencyStates }),
          503: z.object({ status: z.literal('not_ready'), dependencies: dependencyStates }),
        },
      },
    },
    async (_request, reply) => {
      const timeout = options.readinessTimeoutMs ?? 2_000;
      const results = await Promise.all(
        options.readiness.map(async ({ name, check }) => {
          const up = await Promise.race([
            check().catch(() => false),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeout).unref()),
          ]);
          return [name, up ? 'up' : 'down'] as const;
        }),
      );
      const dependencies = Object.fromEntries(results);
      return results.every(([, state]) => state === 'up')
        ? reply.code(200).send({ status: 'ready', dependencies })
        : reply.code(503).send({ status: 'not_ready', dependencies });
    },
  );

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
    reply.header('content-type', options.metrics.contentType);
    return options.metrics.metrics();
  });
};
