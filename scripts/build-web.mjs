// Builds the trader web console (web/ → web/dist) with Vite; the api process serves web/dist at /.
//   node scripts/build-web.mjs             build now (npm run build:web)
//   node scripts/build-web.mjs --if-stale  build only when web/dist is missing or its sources changed
// Staleness is a hash of the sources (web/ but dist, the SDK it bundles, the lockfile), kept in
// web/dist/.source-hash: a checkout or a copy changes mtimes, not content. Uses nothing but Node.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const stamp = 'web/dist/.source-hash';

function sources() {
  const files = [];
  for (const root of ['web', 'sdk']) {
    for (const entry of readdirSync(root, { recursive: true })) {
      const path = join(root, entry);
      if (path.startsWith(join('web', 'dist')) || !statSync(path).isFile()) continue;
      files.push(path);
    }
  }
  return [...files, 'package-lock.json'].sort();
}

function sourceHash() {
  const hash = createHash('sha256');
  for (const file of sources()) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

const ifStale = process.argv.includes('--if-stale');
const hash = sourceHash();
if (ifStale && existsSync('web/dist/index.html') && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) process.exit(0);
process.stderr.write(`[setup] building the web console (vite build: web/ → web/dist)${ifStale ? ': it was missing or its sources changed' : ''}\n`);
execFileSync(process.execPath, [join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join('web', 'vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit' });
writeFileSync(stamp, hash);
