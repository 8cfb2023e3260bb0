// The wire contract in one import: every documented model and input.
export * from './common.js';
export * from './issues.js';
export * from './incident.js';
export * from './defaults.js';
export * from './event.js';
export * from './action.js';
export * from './timeline.js';
export * from './rooms.js';
export * from './alerts.js';
export * from './keys.js';
export * from './integrations.js';
