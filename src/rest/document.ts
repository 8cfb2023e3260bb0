// The committed openapi.json: where it lives and how it is rendered from the router (used by the CLI and the drift test).
import { fileURLToPath } from 'node:url';
import { REST_PREFIX, VERSION } from '../app.js';
import { appRouter } from '../routers/index.js';
import { buildOpenApiDocument } from './openapi.js';

export const OPENAPI_PATH = fileURLToPath(new URL('../../openapi.json', import.meta.url));

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(appRouter, { version: VERSION, prefix: REST_PREFIX }), null, 2)}\n`;
}
