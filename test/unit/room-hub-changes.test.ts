// RoomHub.watchIncidentChanges (src/rooms/hub.ts): who only needs to know that an incident changed (the analysis
// service's cache of past incidents) hears every incident.updated frame, and of a frame too large to notify that nobody
// here reads, without making the hub load it from the database. A first version put the analysis service on
// watchIncidents, which made every instance load every parked frame of the others and serialise every incident update.
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../schema/index.js';
import type { BusHandler, RoomBus, WantsFrame } from '../../src/rooms/bus.js';
import { RoomHub } from '../../src/rooms/hub.js';
import { createMetrics } from '../../src/metrics.js';
import { anIncident, INCIDENT_ID } from './console-incident.js';

/** A bus that hands the test what the hub subscribed with: its frame handler and its `wants` predicate. */
function capturingBus(): RoomBus & { handler?: BusHandler; wants?: WantsFrame } {
  const bus: RoomBus & { handler?: BusHandler; wants?: WantsFrame } = {
    publish: () => undefined,
    heartbeat: () => undefined,
    subscribe: (handler, wants) => {
      bus.handler = handler;
      bus.wants = wants;
    },
    close: async () => undefined,
  };
  return bus;
}

let hub: RoomHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

describe('RoomHub.watchIncidentChanges', () => {
  it('hears incident updates from other instances, and parked frames unread, without asking for them', async () => {
    const bus = capturingBus();
    hub = new RoomHub(bus, createMetrics({ defaultMetrics: false }));
    const heard: Array<[string, string | null | undefined]> = [];
    hub.watchIncidentChanges((id, incident) =>
      heard.push([id, incident === undefined ? undefined : incident.root_cause]),
    );

    // Nobody here is in the room or watches the feed: a parked frame is not loaded, but the watcher hears of it.
    expect(bus.wants?.(INCIDENT_ID, 'parked')).toBe(false);
    expect(bus.wants?.(INCIDENT_ID, 'events')).toBe(false);
    const frame: ServerFrame = { type: 'incident.updated', incident: anIncident({ root_cause: 'the pool ran dry' }) };
    bus.handler?.(INCIDENT_ID, frame, 'another-instance');
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual([
      [INCIDENT_ID, undefined],
      [INCIDENT_ID, 'the pool ran dry'],
    ]);

    // Someone watches the feed: the parked frame is loaded (and then heard with its incident).
    const stop = hub.watchIncidents(() => undefined);
    expect(bus.wants?.(INCIDENT_ID, 'parked')).toBe(true);
    stop();
  });
});
