/**
 * The kit's Primus client (src/transports/instance-socket/primus-wire.ts) against the real `primus`
 * server with the reference server's options, pings made frequent: it answers every ping (so the
 * server keeps the spark), passes JSON both ways, ends once on a server `end()` and on its own
 * `end()`, and reports a frame that is not JSON without closing. Node 20 has no global WebSocket:
 * the test lends it `ws`, which has the browser's event-handler API.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { PRIMUS_OPTIONS } from '../../src/server/instance/primus-options.js';
import { createPrimusServer, type PrimusServer, type Spark } from '../../src/server/instance/primus-server.js';
import { PrimusWire } from '../../src/transports/instance-socket/primus-wire.js';
import { eventually } from './helpers.js';

const PING_MS = 60;

describe('PrimusWire against the primus server', () => {
  const http = createServer();
  let primus: PrimusServer;
  let url: string;
  const sparks: Spark[] = [];

  before(async () => {
    (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
    primus = createPrimusServer(http, { ...PRIMUS_OPTIONS, pingInterval: PING_MS });
    primus.on('connection', (spark) => sparks.push(spark));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/?peerID=a&n=1`;
  });

  after(() => new Promise<void>((resolve) => primus.destroy({ close: true, timeout: 0 }, resolve)));

  /** A wire, the spark the server made for it, and what the wire has seen. */
  async function connect() {
    const seen = { data: [] as unknown[], ends: 0, errors: [] as Error[] };
    const count = sparks.length;
    const wire = new PrimusWire(url, {
      data: (data) => seen.data.push(data),
      end: () => seen.ends++,
      error: (error) => seen.errors.push(error),
    });
    const spark = await eventually(() => sparks[count], 'the server to accept the socket');
    return { wire, spark, seen };
  }

  test('keeps the query, and passes JSON both ways', async () => {
    const { wire, spark, seen } = await connect();
    assert.equal(spark.query.peerID, 'a');
    assert.equal(spark.query.n, '1');
    const received: unknown[] = [];
    spark.on('data', (data) => received.push(data));
    spark.write({ instanceReady: true });
    await eventually(() => seen.data.length === 1, 'the first message');
    assert.deepEqual(seen.data, [{ instanceReady: true }]);
    assert.equal(wire.write([{ type: 'x', n: 1 }]), true);
    await eventually(() => received.length === 1, 'the server to get the frame');
    assert.deepEqual(received, [[{ type: 'x', n: 1 }]]);
    wire.end();
  });

  test('answers pings: the spark outlives many ping intervals', async () => {
    const { wire, spark, seen } = await connect();
    let ended = false;
    spark.on('end', () => {
      ended = true;
    });
    let pongs = 0;
    (spark as unknown as NodeJS.EventEmitter).on('heartbeat', () => pongs++);
    // The server ends a spark that has not answered the previous ping; five answered pings prove it.
    await eventually(() => pongs >= 5, 'five pongs');
    assert.equal(ended, false);
    assert.equal(seen.ends, 0);
    assert.deepEqual(seen.data, [], 'ping strings are protocol, not data');
    wire.end();
  });

  test('a server end() ends the wire once, and the protocol string is not data', async () => {
    const { spark, seen } = await connect();
    spark.end();
    await eventually(() => seen.ends === 1, 'the wire to end');
    assert.deepEqual(seen.data, []);
    assert.equal(seen.ends, 1);
  });

  test('its own end() ends it at once and closes the spark; writes after it are refused', async () => {
    const { wire, spark, seen } = await connect();
    let sparkEnded = false;
    spark.on('end', () => {
      sparkEnded = true;
    });
    await eventually(() => wire.write('hello'), 'the socket to open');
    wire.end();
    assert.equal(seen.ends, 1);
    assert.equal(wire.write('late'), false);
    await eventually(() => sparkEnded, 'the server to see the end');
    wire.end();
    assert.equal(seen.ends, 1, 'end is reported once');
  });

  test('a frame that is not JSON is an error, and the wire stays open', async () => {
    const { wire, spark, seen } = await connect();
    // Past the server's encoder, as a broken or foreign server would send it.
    (spark as unknown as NodeJS.EventEmitter).emit('outgoing::data', '{not json');
    spark.write({ after: true });
    await eventually(() => seen.data.length === 1, 'the message after the bad frame');
    assert.equal(seen.errors.length, 1);
    assert.match(seen.errors[0]?.message ?? '', /not JSON/);
    assert.equal(seen.ends, 0);
    wire.end();
  });

  test('a server that is not there ends the wire', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    let ends = 0;
    new PrimusWire(`http://127.0.0.1:${port}/`, { data() {}, end: () => ends++, error() {} });
    await eventually(() => ends === 1, 'the failed socket to end the wire');
  });
});
