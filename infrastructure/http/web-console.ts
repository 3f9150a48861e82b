import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface WebConsoleSettings {
  /** The built console: `web/dist` (`npm run build:web`). */
  readonly root: string;
  /**
   * Where browsers reach the price socket. Empty: `ws://<the host the page came from>:<streamPort>/v1/stream`,
   * so a console opened as localhost or 127.0.0.1 (or through a forwarded port) finds it the same way.
   */
  readonly streamUrls: readonly string[];
  readonly streamPort: number;
  /** Paper mode: the console offers "start paper account" (`POST /v1/paper/accounts`). */
  readonly paperMode: boolean;
}

/** `web/dist` of this checkout or image: found from this file, in the sources or in the compiled `dist/`. */
export function defaultWebConsoleRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json')) && dirname(directory) !== directory) directory = dirname(directory);
  return join(directory, 'web', 'dist');
}

const consoleConfig = z.object({
  streamUrls: z.array(z.string()).describe('price-socket URLs (ws://…/v1/stream), to try in turn'),
  paperMode: z.boolean().describe('POST /v1/paper/accounts exists'),
});

/**
 * The trader web console (`web/`, built by Vite) at `/`, and `GET /console/config`: what the page
 * cannot know by itself. The page and `/v1` share one origin, so the API needs no CORS; the price
 * socket is another port, which WebSockets may reach without it (the token goes in the first message,
 * no cookie is involved).
 */
export const webConsole: FastifyPluginAsyncZod<WebConsoleSettings> = async (app, settings) => {
  const streamUrls = (request: FastifyRequest) => (settings.streamUrls.length > 0 ? [...settings.streamUrls] : [`ws://${request.hostname}:${settings.streamPort}/v1/stream`]);

  app.get(
    '/console/config',
    { schema: { tags: ['web console'], summary: 'Where the web console finds the price socket, and whether paper mode is on', response: { 200: consoleConfig } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return { streamUrls: streamUrls(request), paperMode: settings.paperMode };
    },
  );

  // Pages may load only our own scripts and talk only to this API and the price socket.
  app.addHook('onSend', async (request, reply) => {
    const type = reply.getHeader('content-type');
    if (typeof type !== 'string' || !type.startsWith('text/html')) return;
    const sockets = streamUrls(request).map((url) => new URL(url).origin.replace(/^http/, 'ws'));
    reply.header(
      'content-security-policy',
      `default-src 'self'; script-src 'self'; connect-src 'self' ${sockets.join(' ')}; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
    );
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  if (!existsSync(join(settings.root, 'index.html'))) {
    app.log.warn({ root: settings.root }, 'the web console is not built (npm run build:web); / answers 503');
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build:web` (npm start and npm test build it when it is missing).\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: settings.root,
    prefix: '/',
    // One route per built file (and / for index.html): every other path stays a JSON 404.
    wildcard: false,
    index: ['index.html'],
    // Vite names assets by content hash: they never change; the page itself is checked each time.
    setHeaders: (reply, path) => {
      reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
};
