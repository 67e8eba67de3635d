/** The MobileViT class with no registration side effect. */
export * from './mobilevit.js';
