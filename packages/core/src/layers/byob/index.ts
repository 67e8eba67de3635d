/** timm's Bring-Your-Own-Blocks language (byobnet.py): cfgs as data, the block registry, stems and stages. */

export * from './blocks.js';
export * from './cfg.js';
export * from './layers.js';
export * from './mobilevit-blocks.js';
export * from './stages.js';
export * from './stem.js';
