// The one tRPC client of the console: queries and mutations batched over HTTP, subscriptions over SSE. The key goes
// in a header on both (the `eventsource` package lets an EventSource send headers, which the browser's cannot).
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../../src/routers/index.js';
import { authHeaders } from './access.js';

const url = `${window.location.origin}/trpc`;

export const api = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({
        url,
        EventSource,
        eventSourceOptions: () => ({
          fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...authHeaders() } }),
        }),
      }),
      false: httpBatchLink({ url, headers: authHeaders }),
    }),
  ],
});
