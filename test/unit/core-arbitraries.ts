/** fast-check arbitraries for the core tests: random but realistic captures. */
import fc from 'fast-check';
import { CaptureBuilder, T0 } from './core-builders.ts';

export /** A random but realistic capture: polling loops, WebSockets that drop and reconnect, SSE streams. */
const captureArb = fc
  .record({
    polls: fc.array(
      fc.record({
        intervalMs: fc.integer({ min: 200, max: 30_000 }),
        count: fc.integer({ min: 1, max: 12 }),
        durationMs: fc.integer({ min: 5, max: 40_000 }),
        bodies: fc.array(fc.constantFrom('[]', '{"items":[]}', '{"v":1}', '{"v":2}', ''), { minLength: 1, maxLength: 4 }),
        status: fc.constantFrom(200, 200, 204, 304, 500),
        jitter: fc.integer({ min: 0, max: 3000 }),
      }),
      { maxLength: 3 },
    ),
    sockets: fc.array(
      fc.record({
        connections: fc.integer({ min: 1, max: 5 }),
        messages: fc.array(fc.tuple(fc.integer({ min: 0, max: 60_000 }), fc.boolean(), fc.constantFrom('2', '3', 'ping', '{"type":"data","x":1}', '42["chat","hi"]')), { maxLength: 20 }),
        openFails: fc.boolean(),
        closeCode: fc.constantFrom(1000, 1006, 1008, 4401),
        delayMs: fc.integer({ min: 0, max: 20_000 }),
      }),
      { maxLength: 2 },
    ),
    sse: fc.array(
      fc.record({
        events: fc.array(fc.tuple(fc.integer({ min: 0, max: 90_000 }), fc.option(fc.integer({ min: 500, max: 10_000 }))), { maxLength: 15 }),
        errors: fc.array(fc.integer({ min: 0, max: 90_000 }), { maxLength: 3 }),
      }),
      { maxLength: 2 },
    ),
  })
  .map((spec) => {
    const b = new CaptureBuilder();
    b.docStart(T0 - 1, 'https://app.example/', 'App');
    spec.polls.forEach((p, pi) => {
      for (let i = 0; i < p.count; i++) {
        b.http({
          at: T0 + i * p.intervalMs + ((i * 7919) % (p.jitter + 1)),
          url: `https://api${pi}.example/poll?t=${i}`,
          durationMs: p.durationMs,
          status: i % 3 === 0 ? p.status : 200,
          body: p.bodies[i % p.bodies.length],
        });
      }
    });
    spec.sockets.forEach((s, si) => {
      let t = T0;
      for (let k = 0; k < s.connections; k++) {
        const c = b.wsCreate(t, `wss://ws${si}.example/live`);
        if (s.openFails && k % 2 === 1) {
          b.wsError(t + 5, c);
          b.wsClose(t + 6, c, 1006);
          t += 6 + s.delayMs;
          continue;
        }
        b.wsOpen(t + 20, c);
        for (const [dt, out, data] of s.messages) b.wsMsg(t + 20 + dt, c, out ? 'out' : 'in', data);
        t += 60_100;
        b.wsClose(t, c, s.closeCode);
        t += s.delayMs;
      }
    });
    spec.sse.forEach((s, i) => {
      const c = b.esCreate(T0, `https://sse${i}.example/events`);
      b.esOpen(T0 + 10, c);
      s.events.forEach(([dt, retry], k) => b.esMsg(T0 + 10 + dt, c, `{"k":${k}}`, { id: String(k), retry }));
      for (const e of s.errors) {
        b.esError(T0 + e, c, 0);
        b.esOpen(T0 + e + 3000, c);
      }
    });
    return b.sorted();
  });

