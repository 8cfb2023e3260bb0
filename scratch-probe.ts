import { appRouter } from '/work/main/src/routers/index.ts';
import { generateOpenApiDocument } from 'trpc-to-openapi';
const p = (appRouter as any).incidents.get;
console.log(typeof p, Object.keys(p), Object.keys(appRouter));
const seen: unknown[] = [];
const doc = generateOpenApiDocument(appRouter, { title: 'x', version: '1', baseUrl: '/api', filter: ({ metadata }) => { seen.push(metadata); return true; } });
console.log(JSON.stringify(seen).slice(0, 600));
console.log(Object.keys(doc.paths ?? {}), JSON.stringify(doc.paths?.['/ingest/events/batch']).slice(0,300));
