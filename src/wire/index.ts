export * from './addr.js';
export * from './bytes.js';
export * from './errors.js';
