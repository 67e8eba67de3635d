#!/usr/bin/env node
// `zoo` launcher. Installed: runs dist/cli.js. In the @zoo workspace (src/ present, tsx available): re-runs itself
// under Node with the `@zoo/source` export condition and tsx's loader, so the CLI and the packages it imports run
// from their TypeScript sources without a build. ZOO_CLI_DIST=1 forces dist.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const srcEntry = new URL('../src/cli.ts', import.meta.url);
const distEntry = new URL('../dist/cli.js', import.meta.url);
const argv = process.argv.slice(2);

function tsxLoader() {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return undefined;
  }
}

let entry = distEntry;
if (process.env.ZOO_CLI_SOURCE_CHILD === '1') {
  entry = srcEntry;
} else if (process.env.ZOO_CLI_DIST !== '1' && existsSync(fileURLToPath(srcEntry))) {
  const tsx = tsxLoader();
  if (tsx) {
    const r = spawnSync(process.execPath, ['--conditions=@zoo/source', '--import', tsx, fileURLToPath(import.meta.url), ...argv], {
      stdio: 'inherit',
      env: { ...process.env, ZOO_CLI_SOURCE_CHILD: '1' },
    });
    if (r.error) {
      process.stderr.write(`zoo: error: could not start node: ${r.error.message}\n`);
      process.exit(1);
    }
    process.exit(r.status ?? 1);
  }
}

if (entry === distEntry && !existsSync(fileURLToPath(distEntry))) {
  process.stderr.write('zoo: error: dist/cli.js is missing (run `pnpm --filter @zoo/cli build`, or install tsx to run from source)\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(argv);
