// The REST routes, read off the tRPC router: every procedure whose `meta.openapi` names a method and path
// (trpc-to-openapi's meta format), keyed by its dotted tRPC path, with its type from `_def.type` as trpc-to-openapi
// reads it; and, from the same walk, the subscriptions (the stream limit counts them).
import type { AnyRouter, TRPCProcedureType } from '@trpc/server';
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
  successStatus: 200 | 201 | 202;
  inputFrom: 'query' | 'body';
  /** The procedure's tRPC type, which a call names (tRPC refuses a mutation called as a query). */
  type: TRPCProcedureType;
  meta: Meta;
}

type Procedure = { meta: Meta | undefined; _def: { type: TRPCProcedureType } };

/**
 * A procedure, as a router exposes it: a callable carrying its `meta` and its definition's `type` (tRPC's public
 * `Procedure` type, which trpc-to-openapi reads the same way).
 */
const isProcedure = (v: unknown): v is Procedure => typeof v === 'function' && 'meta' in v && '_def' in v;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Calls `visit` with each procedure of `record` and its dotted path, in definition order. */
function eachProcedure(
  record: Record<string, unknown>,
  prefix: string,
  visit: (path: string, p: Procedure) => void,
): void {
  for (const [key, value] of Object.entries(record)) {
    // A router's own members (`createCaller`, and tRPC's underscore-prefixed definition) are not sub-routers.
    if (key.startsWith('_') || key === 'createCaller') continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (isProcedure(value)) visit(path, value);
    else if (isRecord(value)) eachProcedure(value, path, visit);
  }
}

function toRestRoute(path: string, value: Procedure): RestRoute | undefined {
  const meta = value.meta;
  const openapi = meta?.openapi;
  if (!meta || !openapi || openapi.enabled === false) return undefined;
  return {
    path,
    method: openapi.method,
    openapiPath: openapi.path,
    honoPath: openapi.path.replace(/\{(\w+)\}/g, ':$1'),
    pathParams: [...openapi.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''),
    successStatus: meta.rest?.status ?? 200,
    inputFrom: meta.rest?.inputFrom ?? (openapi.method === 'GET' || openapi.method === 'DELETE' ? 'query' : 'body'),
    type: value._def.type,
    meta,
  };
}

/** Every REST route of `router`, in definition order. */
export function restRoutes(router: AnyRouter): RestRoute[] {
  const out: RestRoute[] = [];
  eachProcedure(router as unknown as Record<string, unknown>, '', (path, p) => {
    const route = toRestRoute(path, p);
    if (route) out.push(route);
  });
  return out;
}

/** The dotted paths of `router`'s subscriptions: the procedures tRPC serves as long-lived SSE streams. */
export function subscriptionPaths(router: AnyRouter): Set<string> {
  const out = new Set<string>();
  eachProcedure(router as unknown as Record<string, unknown>, '', (path, p) => {
    if (p._def.type === 'subscription') out.add(path);
  });
  return out;
}
