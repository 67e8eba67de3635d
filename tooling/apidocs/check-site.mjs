// After typedoc: the site has a page for every public package (a package whose entry failed to convert is missing).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const missing = [];
for (const dir of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  if (pkg.private) continue;
  const page = join(import.meta.dirname, 'site/modules', `${pkg.name.replace(/[@/]/g, '_')}.html`);
  if (!existsSync(page)) missing.push(`${pkg.name} (${page})`);
}
if (missing.length) {
  console.error(`API reference: no page for ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`API reference: site/index.html (${readdirSync(join(import.meta.dirname, 'site/modules')).length} module pages)`);
