/**
 * @zoo/train — training as timm trains: `createOptimizer` (timm's `create_optimizer_v2`), `createLoss`, and
 * `trainStep`, whose loss, gradients and updates equal timm + PyTorch's.
 */

export * from './ema.js';
export * from './data/dataset.js';
export * from './data/image-list.js';
export * from './data/loader.js';
export * from './data/random.js';
export * from './fit.js';
export { registerGradients } from './gradients.js';
export * from './loss.js';
export * from './mixup.js';
export * from './optim.js';
export * from './scheduler.js';
export * from './step.js';
export * from './transforms.js';
export * from './transforms-randaugment.js';
