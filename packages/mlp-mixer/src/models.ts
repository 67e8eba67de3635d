/** The MLP-Mixer classes with no registration side effect. */
export * from './mlp-mixer.js';
