/**
 * Several `ir-rooms serve` processes on one real redis-server, for the tests of `--role api` and
 * `--role instance`: each runs the CLI from the sources in a child process, as an operator would.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import type { RunningServer } from '../../src/server/index.js';
import {
  announcedServer,
  type CliRun,
  guest,
  type Joined,
  join,
  type Provisioned,
  provisionOk,
  request,
  runCli,
} from './helpers.js';

export const JWT_SECRET = 'a-secret-shared-by-every-process';
export const ADMIN_TOKEN = 'cluster-test-admin-token';

export interface ClusterProcess {
  role: 'api' | 'instance';
  run: CliRun;
  server: RunningServer;
  /** host:port, as instance records name their server. */
  address: string;
  /** Resolves with the exit code (null after a signal). */
  exit: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

export interface ClusterOptions {
  redisUrl: string;
  /** A registration lapses this long after its last heartbeat. */
  serverTtlMs?: number;
  /** Locations with their seats, written to a config file every process reads. */
  locations?: Record<string, { maxUsersPerInstance: number }>;
}

/** The processes of one test; close() stops what is still running. */
export class TestCluster {
  readonly prefix = `test:${randomUUID()}:`;
  readonly #o: ClusterOptions;
  readonly #processes: ClusterProcess[] = [];
  #configFile: Promise<{ dir: string; file: string }> | null = null;

  constructor(options: ClusterOptions) {
    this.#o = options;
  }

  api(extra: string[] = []): Promise<ClusterProcess> {
    return this.#start('api', extra);
  }

  instance(extra: string[] = []): Promise<ClusterProcess> {
    return this.#start('instance', extra);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#processes.splice(0).map(async (each) => {
        if (each.run.child.exitCode !== null || each.run.child.signalCode !== null) return;
        const bound = setTimeout(() => each.kill('SIGKILL'), 10_000);
        each.kill('SIGTERM');
        await each.exit;
        clearTimeout(bound);
      }),
    );
    if (this.#configFile) await rm((await this.#configFile).dir, { recursive: true, force: true });
  }

  async #start(role: 'api' | 'instance', extra: string[]): Promise<ClusterProcess> {
    const args = ['serve', '--dev', '--role', role, '--port', '0', '--log-level', 'warn'];
    args.push('--jwt-secret', JWT_SECRET, '--admin-token', ADMIN_TOKEN);
    args.push('--redis', this.#o.redisUrl, '--redis-prefix', this.prefix);
    if (this.#o.serverTtlMs !== undefined) args.push('--server-ttl-ms', String(this.#o.serverTtlMs));
    if (this.#o.locations) args.push('--config', (await this.#config()).file);
    const run = runCli([...args, ...extra]);
    const each: ClusterProcess = {
      role,
      run,
      server: null as unknown as RunningServer,
      address: '',
      exit: run.exit,
      kill: (signal) => run.child.kill(signal),
    };
    this.#processes.push(each);
    // A process that exits at once (a bad flag) fails here with what it said, not after a timeout.
    const exited = run.exit.then((code) => {
      throw new Error(`ir-rooms --role ${role} exited with ${code} before listening: ${run.stderr()}`);
    });
    const announced = await Promise.race([announcedServer(run), exited]);
    exited.catch(() => undefined);
    const url = new URL(announced.url);
    each.server = { ...announced, port: Number(url.port) };
    each.address = url.host;
    return each;
  }

  #config(): Promise<{ dir: string; file: string }> {
    this.#configFile ??= (async () => {
      const dir = await mkdtemp(joinPath(tmpdir(), 'ir-rooms-cluster-'));
      const file = joinPath(dir, 'rooms.json');
      await writeFile(file, JSON.stringify({ locations: this.#o.locations }));
      return { dir, file };
    })();
    return this.#configFile;
  }
}

/** The instance server an answer points at, as the kit reaches it (ipAddress:port). */
export function serverOf(answer: Provisioned): RunningServer {
  const url = `http://${answer.ipAddress}:${answer.port}`;
  return { url, apiUrl: `${url}/api`, port: answer.port } as RunningServer;
}

/** A guest of the API provisions `query` there and joins its instance on the instance server named. */
export async function provisionAndJoin(
  api: RunningServer,
  query: Record<string, string>,
  name = 'Guest',
): Promise<{ answer: Provisioned; joined: Joined; token: string; userId: string }> {
  const { accessToken, user } = await guest(api, name);
  const answer = await provisionOk(api, { ...query, token: accessToken });
  const target = query.locationId ? { locationId: query.locationId } : { channelId: query.channelId! };
  const joined = await join(serverOf(answer), accessToken, { instanceId: answer.id, ...target });
  return { answer, joined, token: accessToken, userId: user.id };
}

export function kick(api: RunningServer, instanceId: string, body: Record<string, unknown>) {
  return request(`${api.apiUrl}/instances/${encodeURIComponent(instanceId)}/kick`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify(body),
  });
}
