// Package entry: what other TypeScript code may import from `warroom`.
export type { AppRouter } from './routers/index.js';
export * from '../schema/index.js';
