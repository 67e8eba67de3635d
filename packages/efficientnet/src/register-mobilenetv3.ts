export const MOBILENETV3_MODULE = 'mobilenetv3';
export const MOBILENETV3_LEFT_OUT: string[] = [];
export function registerMobilenetv3(): void {}
