import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ProjectionProgress } from '../../application/read-models/queries.ts';
import { waitForPosition } from '../../application/read-models/caught-up.ts';
import { parsePosition } from '../../application/shared/value-ranges.ts';
import { ApiError } from './api-error.ts';

export const POSITION_HEADER = 'x-position';
export const MIN_POSITION_HEADER = 'x-min-position';

/** Every command answer carries the position of its last event (api.md, read-your-writes). */
export function withPosition(reply: FastifyReply, position: bigint | undefined): FastifyReply {
  if (position !== undefined) reply.header(POSITION_HEADER, position.toString());
  return reply;
}

/**
 * A query with `X-Min-Position: P` answers only from read models that have applied P: it waits
 * up to `timeoutMs`, then gives 503 `projection_lagging`.
 */
export function installReadYourWrites(app: FastifyInstance, progress: ProjectionProgress, timeoutMs = 2_000): void {
  app.addHook('preHandler', async (request) => {
    const header = request.headers[MIN_POSITION_HEADER];
    if (header === undefined || request.method !== 'GET') return;
    const value = Array.isArray(header) ? header[0]! : header;
    const position = parsePosition(value);
    if (position === undefined) throw new ApiError(400, 'invalid_request', 'X-Min-Position must be a position this API gave out');
    if (!(await waitForPosition(progress, position, timeoutMs))) {
      throw new ApiError(503, 'projection_lagging', `the read models have not reached position ${value} yet; retry shortly`);
    }
  });
}
