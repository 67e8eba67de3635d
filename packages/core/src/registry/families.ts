/**
 * Which package registers a timm architecture, for names nobody registered here: `vit_base_patch16_224` → `@zoo/vit`.
 * The table (families-table.ts) is generated from timm's registry dumps: a few hundred name prefixes, not every name.
 */
import { ARCH_PREFIX_MODULES, FAMILY_PACKAGES } from './families-table.js';

export interface ModelPackage {
  /** timm's module (`vision_transformer`). */
  module: string;
  /** The package that registers it (`@zoo/vit`). */
  pkg: string;
  /** True when that package is planned but not built yet. */
  planned: boolean;
  /** timm modules the package registers (all of them are registered once it is imported). */
  modules: string[];
}

/** The official package whose timm module holds `name` (an architecture, tag ignored), when the table knows one. */
export function modelPackage(name: string): ModelPackage | undefined {
  const arch = name.split('.')[0]!.toLowerCase();
  const tokens = [...(arch.match(/[a-z]+|[0-9]+|[^a-z0-9]/g) ?? []), '$'];
  let prefix = '';
  for (const t of tokens) {
    prefix += t;
    const module = ARCH_PREFIX_MODULES.get(prefix);
    if (module) {
      const { pkg, planned } = FAMILY_PACKAGES[module]!;
      const modules = Object.keys(FAMILY_PACKAGES).filter((m) => FAMILY_PACKAGES[m]!.pkg === pkg);
      return { module, pkg, planned: planned === true, modules };
    }
  }
  return undefined;
}

/** timm module → package of every official family, built or planned. */
export function familyPackages(): Record<string, { pkg: string; planned: boolean }> {
  return Object.fromEntries(Object.entries(FAMILY_PACKAGES).map(([m, { pkg, planned }]) => [m, { pkg, planned: planned === true }]));
}
