// Child processes that talk in JSON lines (one JSON value per line on stdout/stdin): how the tests and
// the lab drive code that has to run inside a network namespace. `JsonLinesChild` is the parent's end,
// `jsonLinesStdio` the child's.
import { systemCommand } from '../../src/system/command.js';
import { execFile, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/** A failed command, with its exit code and output. */
export class ExecError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

export interface ExecOptions {
  /** Written to the command's stdin (then closed). */
  input?: string;
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command without a shell; resolves with its output, rejects with an ExecError carrying stderr. */
export function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(systemCommand(cmd), args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ stdout: String(stdout), stderr: String(stderr) });
          return;
        }
        const code = typeof err.code === 'number' ? err.code : null;
        const detail = String(stderr).trim() || err.message;
        reject(new ExecError(`${cmd} ${args.join(' ')}: ${detail}`, code, String(stdout), String(stderr)));
      });
    child.stdin?.on('error', () => {});  // a command that exits without reading its input
    if (opts.input === undefined) child.stdin?.end();
    else child.stdin?.end(opts.input);
  });
}

type Json = unknown;

/** The parent's end of a child speaking JSON lines on stdout (and reading them on stdin). */
export class JsonLinesChild {
  /** Every message received so far, in order. */
  readonly messages: Json[] = [];
  /** Everything the child wrote to stderr (for failure messages). */
  stderr = '';
  private waiters: Array<{ pred: (m: Json) => boolean; resolve: (m: Json) => void }> = [];
  private readonly taken = new Set<number>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exitWaiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    if (child.stdout === null) throw new Error('child needs stdout: "pipe"');
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.stderr += d;
    });
    child.stdin?.on('error', () => {});
    child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  /** Sends one message to the child's stdin. */
  send(msg: Json): void {
    this.child.stdin?.write(`${JSON.stringify(msg)}\n`);
  }

  /** The first message matching pred that no earlier next/request took, waiting up to timeoutMs for it. */
  next<T = any>(pred: (m: any) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    for (let i = 0; i < this.messages.length; i++) {
      if (!this.taken.has(i) && pred(this.messages[i])) {
        this.taken.add(i);
        return Promise.resolve(this.messages[i] as T);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (m: Json) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message from child within ${timeoutMs} ms (exit: ${JSON.stringify(this.exitInfo)}); stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends a message and waits for the reply whose `id` equals msg.id (a fresh id is added if missing). */
  async request<T = any>(msg: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    const id = msg.id ?? (JsonLinesChild.seq += 1);
    this.send({ ...msg, id });
    const reply = await this.next<any>((m) => typeof m === 'object' && m !== null && m.id === id, timeoutMs);
    if (reply.error !== undefined) throw new Error(`child: ${String(reply.error)}`);
    return reply as T;
  }

  /** Resolves with the exit code/signal once the child has exited (rejects after timeoutMs). */
  exited(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitInfo !== undefined) return Promise.resolve(this.exitInfo);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child did not exit within ${timeoutMs} ms`)), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(this.exitInfo!);
      });
    });
  }

  private static seq = 0;

  private onLine(line: string): void {
    let msg: Json;
    try {
      msg = JSON.parse(line);
    } catch {
      msg = { text: line };  // stray output: kept, so that it shows up in failures
    }
    this.messages.push(msg);
    const i = this.waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) {
      this.taken.add(this.messages.length - 1);
      this.waiters.splice(i, 1)[0]!.resolve(msg);
    }
  }
}

/** The child's end: send() writes a JSON line to stdout; onMessage gets each JSON line from stdin. */
export function jsonLinesStdio(onMessage: (msg: any) => void | Promise<void>): { send: (msg: Json) => void; close: () => void } {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    let msg: any;
    try {
      msg = JSON.parse(line);
    } catch {
      process.stdout.write(`${JSON.stringify({ error: `bad JSON: ${line}` })}\n`);
      return;
    }
    Promise.resolve()
      .then(() => onMessage(msg))
      .catch((e: unknown) => process.stdout.write(`${JSON.stringify({ id: msg?.id, error: String((e as Error)?.stack ?? e) })}\n`));
  });
  return {
    send: (msg) => {
      process.stdout.write(`${JSON.stringify(msg)}\n`);
    },
    close: () => rl.close(),
  };
}
