/** The MetaFormer classes with no registration side effect. */
export * from './metaformer.js';
