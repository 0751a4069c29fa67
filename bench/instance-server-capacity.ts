/**
 * How many peers one instance server (`--role instance`) takes before joining gets slow: an API
 * process and one instance server on a real redis-server (the test helpers' processes), and Node
 * clients that stay joined, sending their heartbeats. The population grows by `--batch` peers (20
 * joining at a time); then `--probes` more join, 4 at a time, each timed from the guest login
 * through provisioning at the API to the socket handshake's success at the instance server. It
 * stops once the probes' p99 passes `--limit-ms`. Prints one JSON line per step.
 *
 * `node --import tsx bench/instance-server-capacity.ts --batch 200 --probes 40 --max 3000 --seats 50`
 * The clients share the machine with the servers and Redis: on a small machine they are part of
 * the load, so the figure is a floor for the instance server alone.
 */
import { parseArgs } from 'node:util';
import { provisionAndJoin, TestCluster } from '../test/node/cluster-helpers.js';
import type { Joined } from '../test/node/helpers.js';
import { startRedis } from '../test/node/redis-server.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '100' },
    max: { type: 'string', default: '3000' },
    seats: { type: 'string', default: '50' },
    'limit-ms': { type: 'string', default: '1000' },
    probes: { type: 'string', default: '40' },
  },
});
const batch = Number(values.batch);
const max = Number(values.max);
const seats = Number(values.seats);
const limitMs = Number(values['limit-ms']);
const probes = Number(values.probes);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const redis = await startRedis();
const cluster = new TestCluster({ redisUrl: redis.url, locations: { bench: { maxUsersPerInstance: seats } } });
const unlimited = ['--rate-limit', '9999999/10', '--user-rate-limit', '9999999/10', '--log-level', 'error'];
const joined: Joined[] = [];
try {
  const [api] = await Promise.all([cluster.api(unlimited), cluster.instance(unlimited)]);
  /** Joins `count` peers, `concurrency` at a time; the times of the joins (ms) and the failures. */
  const joinMany = async (count: number, concurrency: number) => {
    const times: number[] = [];
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next++;
          try {
            const started = performance.now();
            const { joined: peer } = await provisionAndJoin(api.server, { locationId: 'bench' }, 'bench');
            times.push(performance.now() - started);
            joined.push(peer);
          } catch (error) {
            failures.push((error as Error).message.slice(0, 200));
          }
        }
      }),
    );
    return { times: times.sort((a, b) => a - b), failures };
  };
  let worst = 0;
  while (joined.length < max && worst <= limitMs) {
    // The population grows by a batch; then probes, a few at a time as people arrive, are timed.
    const fill = await joinMany(batch, 20);
    const probe = await joinMany(probes, 4);
    const failures = [...fill.failures, ...probe.failures];
    worst = failures.length > 0 ? Number.POSITIVE_INFINITY : percentile(probe.times, 99);
    console.log(
      JSON.stringify({
        peers: joined.length,
        probeP50Ms: Math.round(percentile(probe.times, 50)),
        probeP99Ms: Math.round(percentile(probe.times, 99)),
        fillP99Ms: Math.round(percentile(fill.times, 99)),
        failures: failures.length,
        ...(failures.length > 0 ? { firstFailure: failures[0] } : {}),
      }),
    );
  }
} finally {
  for (const peer of joined) peer.socket.close();
  await cluster.close();
  await redis.dispose();
}
