import { registerEfficientnet } from './register-efficientnet.js';
import { registerMobilenetv3 } from './register-mobilenetv3.js';

/** Registers every architecture of timm's efficientnet and mobilenetv3 modules built here (idempotent). */
export function register(): void {
  registerEfficientnet();
  registerMobilenetv3();
}
