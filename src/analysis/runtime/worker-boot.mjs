// Entry of the analysis worker thread (src/analysis/runtime/worker-client.ts starts it). Node 20 does not carry a thread's
// module hooks into the threads it starts, so TypeScript loading (tsx) is registered again here.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
