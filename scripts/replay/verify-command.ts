import type { Config } from '../../infrastructure/config/config.ts';
import { openOwnerSession, projectionProgressBar, projectionsNamed } from '../../infrastructure/cli/rebuild-command.ts';
import { verifyProjection, type ProjectionVerdict, type RowDifference } from '../../infrastructure/projections/verify-projection.ts';

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

function describeDifference(difference: RowDifference): string {
  const key = Object.entries(difference.key).map(([column, value]) => `${column}=${show(value)}`).join(' ');
  if (!difference.rebuilt) return `  row ${key}: only in the live table: ${JSON.stringify(difference.live)}`;
  if (!difference.live) return `  row ${key}: missing from the live table; rebuilt: ${JSON.stringify(difference.rebuilt)}`;
  const columns = difference.columns.map((column) => `${column} live ${show(difference.live![column])} rebuilt ${show(difference.rebuilt![column])}`);
  return `  row ${key}: ${columns.join('; ')}\n    live    ${JSON.stringify(difference.live)}\n    rebuilt ${JSON.stringify(difference.rebuilt)}`;
}

export function describeVerdict(verdict: ProjectionVerdict): string {
  const at = `at position ${verdict.position}`;
  if (verdict.differingRows === 0) return `${verdict.projection}: identical ${at} (${verdict.liveRows} rows)\n`;
  const lines = [
    `${verdict.projection}: ${verdict.differingRows} row(s) differ ${at} (live ${verdict.liveRows} rows, rebuilt ${verdict.rebuiltRows}); the first ${verdict.differences.length}:`,
    ...verdict.differences.map(describeDifference),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `verify`: every read model (or the one named) rebuilt into a shadow table up to exactly the
 * position the live table stands at, compared row by row, all columns; the shadows are dropped.
 * Returns the exit status: 0 when every table equals its replay, 1 when one differs.
 */
export async function verifyCommand(config: Config, options: { projection: string; examples: number }): Promise<number> {
  const projections = projectionsNamed(options.projection);
  const session = await openOwnerSession(config, 'verify');
  const differing: string[] = [];
  try {
    for (const projection of projections) {
      const bar = projectionProgressBar('verify', projection);
      let verdict: ProjectionVerdict;
      try {
        verdict = await verifyProjection({ store: session.store, db: session.db, projection, examples: options.examples, onProgress: (events, position) => bar.update(events, position) });
      } finally {
        bar.stop();
      }
      process.stdout.write(describeVerdict(verdict));
      if (verdict.differingRows > 0) differing.push(projection.name);
    }
  } finally {
    await session.close();
  }
  if (differing.length === 0) {
    process.stdout.write(`verify: ${projections.length} read model(s) equal a replay of the log\n`);
    return 0;
  }
  process.stdout.write(`verify: ${differing.join(', ')} differ${differing.length === 1 ? 's' : ''} from a replay of the log\n`);
  return 1;
}
