/**
 * The server side of a server benchmark runs in a child process of its own, so its CPU and memory
 * are not the load generator's: a small IPC protocol of `{kind}` messages between the two.
 */
import { type ChildProcess, fork } from 'node:child_process';

export interface Message {
  kind: string;
}

/** Waits for the next IPC message of a kind on a channel (a child, or this process's parent). */
export function messages(channel: NodeJS.Process | ChildProcess) {
  const queue: Message[] = [];
  const waiters: (() => void)[] = [];
  let exited: Error | null = null;
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  channel.on('message', (m: Message) => {
    queue.push(m);
    wake();
  });
  channel.on('exit', (code: number | null, signal: string | null) => {
    exited = new Error(`the benchmark's child process exited (${code ?? signal}) before it answered`);
    wake();
  });
  return async <T extends Message>(kind: T['kind']): Promise<T> => {
    for (;;) {
      const index = queue.findIndex((m) => m.kind === kind);
      if (index >= 0) return queue.splice(index, 1)[0] as T;
      if (exited) throw exited;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
}

export interface Child {
  readonly process: ChildProcess;
  send<T extends Message>(message: T): void;
  next<T extends Message>(kind: T['kind']): Promise<T>;
  /** Asks the child to exit (so a `--cpu-prof` is written), kills it after 5 s, resolves once it is gone. Safe to call twice. */
  stop(): Promise<void>;
}

/** Forks `file` (a TypeScript module run through tsx) with `args`; `execArgv` adds Node flags. */
export function forkChild(file: string, args: string[], execArgv: string[] = []): Child {
  const child = fork(file, args, { execArgv: ['--import', 'tsx', ...execArgv], stdio: 'inherit' });
  const next = messages(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    send: (message) => child.send(message),
    next,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.send({ kind: 'stop' });
        const timer = setTimeout(() => child.kill(), 5000);
        await exited;
        clearTimeout(timer);
      }
      await exited;
    },
  };
}

/** In the child: the parent's messages, and a way to answer. `stop`, or a parent gone, ends the process. */
export function parentChannel() {
  if (!process.send) throw new Error('this role runs as a child process of its benchmark (IPC channel missing)');
  const send = process.send.bind(process);
  process.on('message', (m: Message) => {
    if (m.kind === 'stop') process.exit(0);
  });
  process.once('disconnect', () => process.exit(0));
  return { next: messages(process), send: <T extends Message>(message: T) => send(message) };
}

/**
 * In a child: answers each `cpu` message with this process's CPU time so far (user + system, µs).
 * What a request or a message costs a server is steadier than the rate the machine allows.
 */
export function answerCpu(parent: ReturnType<typeof parentChannel>): void {
  void (async () => {
    for (;;) {
      await parent.next('cpu');
      const { user, system } = process.cpuUsage();
      parent.send({ kind: 'cpu', micros: user + system });
    }
  })();
}

/** In the parent: a child's CPU time so far (µs), from answerCpu. */
export async function cpuOf(child: Child): Promise<number> {
  child.send({ kind: 'cpu' });
  return (await child.next<{ kind: 'cpu'; micros: number }>('cpu')).micros;
}
