// Installs the project's npm dependencies from package-lock.json when they are missing or stale,
// and builds the web console when web/dist is missing or stale, so `npm start` and `npm test`
// work on a fresh clone. Uses nothing but Node itself.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const installed = 'node_modules/.package-lock.json';
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  process.stderr.write('[setup] installing npm dependencies from package-lock.json (npm ci)\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

execFileSync(process.execPath, ['scripts/build-web.mjs', '--if-stale'], { stdio: 'inherit' });
