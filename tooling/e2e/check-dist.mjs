// prepack guard: a package is packed from its built dist/ (turbo's `build`), never rebuilt into the repo by packing.
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entry = (pkg.main ?? './dist/index.js').replace(/^\.\//, '');
if (!existsSync(entry)) {
  console.error(`${pkg.name}: ${entry} is missing; build first (pnpm --filter ${pkg.name} build, or pnpm build)`);
  process.exit(1);
}
