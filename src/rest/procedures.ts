// Reads the REST routes off the tRPC router: every procedure with `meta.openapi` (trpc-to-openapi's meta format).
import type { AnyProcedure, AnyRouter } from '@trpc/server';
import type { Meta } from '../trpc/init.js';

export interface RestRoute {
  /** Dotted tRPC path, e.g. `incidents.updateStatus`. */
  path: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** The documented path below the REST prefix, with `{param}` placeholders. */
  openapiPath: string;
  /** The same path in Hono's syntax (`:param`). */
  honoPath: string;
  pathParams: string[];
  successStatus: 200 | 201;
  inputFrom: 'query' | 'body';
  /** The body is a top-level JSON array, given to the procedure as its whole input. */
  arrayBody: boolean;
  meta: Meta;
  procedure: AnyProcedure;
  procedureType: 'query' | 'mutation';
}

interface ProcedureDef {
  meta?: Meta;
  inputs: unknown[];
  type: string;
}

function isArraySchema(schema: unknown): boolean {
  // Zod 4 keeps its kind in `_zod.def.type`; the same check trpc-to-openapi's generator makes.
  const def = (schema as { _zod?: { def?: { type?: string } } } | undefined)?._zod?.def;
  return def?.type === 'array';
}

export function restRoutes(router: AnyRouter): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const [path, proc] of Object.entries(router._def.procedures as Record<string, AnyProcedure>)) {
    const def = proc._def as unknown as ProcedureDef;
    const openapi = def.meta?.openapi;
    if (!openapi || openapi.enabled === false || def.type === 'subscription') continue;
    const pathParams = [...openapi.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
    const arrayBody = isArraySchema(def.inputs[0]);
    routes.push({
      path,
      method: openapi.method,
      openapiPath: openapi.path,
      honoPath: openapi.path.replace(/\{(\w+)\}/g, ':$1'),
      pathParams,
      successStatus: def.meta?.rest?.status ?? 200,
      inputFrom: def.meta?.rest?.inputFrom ?? (openapi.method === 'GET' || openapi.method === 'DELETE' ? 'query' : 'body'),
      arrayBody,
      meta: def.meta ?? {},
      procedure: proc,
      procedureType: def.type === 'query' ? 'query' : 'mutation',
    });
  }
  return routes;
}
