/**
 * How many RTP packets per second the SFU engine forwards, and at what CPU cost, with N publishers
 * and M subscribers (each subscriber consumes every publisher) on 127.0.0.1. The engine runs in
 * this process; the werift clients run in a child process so the CPU figure is the engine's own.
 *
 *   node --import tsx bench/sfu-forwarding.ts [--publishers 4] [--subscribers 8] [--seconds 10] [--rate 1000]
 *
 * `--rate` is packets per second each publisher sends (200-byte payloads).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SfuEngine } from '../src/server/sfu/engine.js';
import { ROUTER_RTP_CAPABILITIES } from '../src/server/sfu/rtp-parameters.js';
import type { WebRtcTransport } from '../src/server/sfu/webrtc-transport.js';
import { rtpHeader, transportClient } from '../test/node/sfu-client.js';

const { values } = parseArgs({
  options: {
    publishers: { type: 'string', default: '4' },
    subscribers: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    role: { type: 'string', default: 'engine' },
  },
});
const N = Number(values.publishers);
const M = Number(values.subscribers);
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const PAYLOAD = Buffer.alloc(200, 0x5a);
const PT = 111;

type Info = Pick<WebRtcTransport, 'iceParameters' | 'iceCandidates' | 'dtlsParameters'>;
type ToClients = { kind: 'transports'; send: Info[]; recv: Info[] } | { kind: 'start' } | { kind: 'stop' };
type ToEngine =
  | { kind: 'dtls'; send: unknown[]; recv: unknown[] }
  | { kind: 'connected' }
  | { kind: 'received'; packets: number };

if (values.role === 'clients') await runClients();
else await runEngine();

async function runEngine(): Promise<void> {
  const engine = new SfuEngine({ listenIp: '127.0.0.1', announcedAddress: '127.0.0.1' });
  const router = engine.createRouter();
  const numStreams = { OS: 16, MIS: 16 };
  const make = (direction: 'send' | 'recv', count: number) =>
    Promise.all(
      Array.from({ length: count }, () =>
        router.createWebRtcTransport({ numStreams, appData: { peerId: 'b', direction } }),
      ),
    );
  const sends = await make('send', N);
  const recvs = await make('recv', M);
  const child = fork(fileURLToPath(import.meta.url), ['--role', 'clients', '--rate', String(RATE)], {
    execArgv: ['--import', 'tsx'],
  });
  const next = messages(child);
  const info = (t: WebRtcTransport): Info => ({
    iceParameters: t.iceParameters,
    iceCandidates: t.iceCandidates,
    dtlsParameters: t.dtlsParameters,
  });
  child.send({ kind: 'transports', send: sends.map(info), recv: recvs.map(info) } satisfies ToClients);
  const dtls = (await next('dtls')) as Extract<ToEngine, { kind: 'dtls' }>;
  for (const [i, t] of sends.entries()) t.connect({ dtlsParameters: dtls.send[i] as never });
  for (const [i, t] of recvs.entries()) t.connect({ dtlsParameters: dtls.recv[i] as never });
  await next('connected');
  const producers = sends.map((t, i) =>
    t.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: PT, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: 1000 + i }],
      },
      appData: { peerId: `p${i}`, mediaTag: 'a', channelId: null },
    }),
  );
  const consumers = recvs.flatMap((t) =>
    producers.map((p) =>
      t.consume({ producerId: p.id, rtpCapabilities: ROUTER_RTP_CAPABILITIES, appData: { peerId: 's' } }),
    ),
  );
  const forwarded = () => consumers.reduce((sum, c) => sum + c.packetsSent, 0);
  child.send({ kind: 'start' } satisfies ToClients);
  // A second of warm-up, then the measured window.
  await new Promise((r) => setTimeout(r, 1000));
  const startCount = forwarded();
  const startCpu = process.cpuUsage();
  const startAt = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const count = forwarded() - startCount;
  const cpu = process.cpuUsage(startCpu);
  const elapsed = Number(process.hrtime.bigint() - startAt) / 1e9;
  child.send({ kind: 'stop' } satisfies ToClients);
  const received = ((await next('received')) as Extract<ToEngine, { kind: 'received' }>).packets;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const pps = count / elapsed;
  console.log(
    JSON.stringify(
      {
        publishers: N,
        subscribers: M,
        ratePerPublisher: RATE,
        seconds: Number(elapsed.toFixed(2)),
        forwardedPacketsPerSecond: Math.round(pps),
        engineCpuPercent: Number(((cpuSeconds / elapsed) * 100).toFixed(1)),
        packetsPerSecondPerCore: Math.round(count / cpuSeconds),
        packetsReceivedBySubscribersInAll: received,
        cores: cpus().length,
      },
      null,
      2,
    ),
  );
  child.kill();
  engine.close();
  process.exit(0);
}

async function runClients(): Promise<void> {
  const next = messages(process);
  const { send, recv } = (await next('transports')) as Extract<ToClients, { kind: 'transports' }>;
  const senders = await Promise.all(send.map((i) => transportClient(i as never)));
  const receivers = await Promise.all(recv.map((i) => transportClient(i as never)));
  process.send!({
    kind: 'dtls',
    send: senders.map((c) => c.dtlsParameters),
    recv: receivers.map((c) => c.dtlsParameters),
  } satisfies ToEngine);
  await Promise.all([...senders, ...receivers].map((c) => c.start()));
  let received = 0;
  for (const r of receivers) r.onRtp(() => received++);
  process.send!({ kind: 'connected' } satisfies ToEngine);
  await next('start');
  const perTick = Math.max(1, Math.round(RATE / 100));
  let seq = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < perTick; k++) {
      seq++;
      for (const [i, c] of senders.entries()) {
        c.sendRtp(rtpHeader({ ssrc: 1000 + i, payloadType: PT, seq, timestamp: seq * 960 }), PAYLOAD);
      }
    }
  }, 10);
  await next('stop');
  clearInterval(timer);
  process.send!({ kind: 'received', packets: received } satisfies ToEngine);
}

/** Waits for the next IPC message of a kind. */
function messages(channel: NodeJS.Process | ChildProcess) {
  const queue: { kind: string }[] = [];
  const waiters: (() => void)[] = [];
  channel.on('message', (m: { kind: string }) => {
    queue.push(m);
    for (const w of waiters.splice(0)) w();
  });
  return async (kind: string): Promise<unknown> => {
    for (;;) {
      const index = queue.findIndex((m) => m.kind === kind);
      if (index >= 0) return queue.splice(index, 1)[0];
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
}
