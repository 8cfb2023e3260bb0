// The OpenAPI document: where the committed openapi.json lives, and the document rendered from the router (served at
// /openapi.json, written by `warroom openapi`, checked for drift by CI).
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import type { OpenAPIObject } from 'trpc-to-openapi';
import { createAppRouter } from '../routers/index.js';
import { REST_PREFIX } from './mount.js';
import { buildOpenApiDocument } from './openapi.js';

export const API_VERSION = '0.1.0';
export const OPENAPI_PATH = join(PACKAGE_ROOT, 'openapi.json');

/**
 * Built from a router that checks its outputs: the document needs each procedure's output schema, which a router
 * built with output validation off does not carry (src/trpc/output-validation.ts).
 */
export function openApiDocument(): OpenAPIObject {
  return buildOpenApiDocument(createAppRouter({ validateOutput: true }), { version: API_VERSION, prefix: REST_PREFIX });
}

export const renderOpenApi = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;
