/**
 * How well the editor keeps up with a stack author, measured the way an editor meets the cost:
 *
 * - keystrokes: TypeScript's language server (`tsserver`, what VS Code and most editors run) opens
 *   templates/stacks/root.ts; then a statement is typed into its `build` body one character at a
 *   time (twice: the first pass warms the server up), and after each character the editor's request (`geterr`) is timed until the file's
 *   semantic diagnostics arrive: the wait before red squiggles are right again. Edits stay in the
 *   server's memory; no file is written.
 * - type check: `tsc --noEmit -p .` over the whole project as `make test` runs it: incremental
 *   (tsconfig.json keeps tsc's build info in .stamps/), so "warm" is a run after one that left
 *   its build info, with nothing changed or after an edit of one file (the keystroke file: its
 *   dependants are checked again). The bench keeps a build info file of its own.
 *
 *     node --import tsx scripts/bench-editor.ts        # prints both, BENCH_RUNS rounds of tsc
 *
 * `make bench` (scripts/bench.ts) prints the same figures in its tables.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const TSSERVER = join(ROOT, 'node_modules', 'typescript', 'lib', 'tsserver.js');
const TSC = join(ROOT, 'node_modules', 'typescript', 'lib', 'tsc.js');

/** The file the keystrokes go into, and where: the first line of the root stack's `build` body. */
export const KEYSTROKE_FILE = join(ROOT, 'templates', 'stacks', 'root.ts');
/** What is typed: a statement that reads a nested stack's typed output, as stack authors write. */
const TYPED = '    const typed = network;';

interface Message {
  readonly type: 'response' | 'event';
  readonly event?: string;
  readonly command?: string;
  readonly request_seq?: number;
  readonly success?: boolean;
  readonly body?: { readonly file?: string; readonly diagnostics?: readonly unknown[] };
}

/** A tsserver child process speaking its JSON protocol (requests on stdin, framed messages on stdout). */
class Server {
  private seq = 0;
  private buffer = Buffer.alloc(0);
  private waiters: { readonly match: (m: Message) => boolean; readonly resolve: (m: Message) => void }[] = [];
  private readonly child = spawn(process.execPath, [TSSERVER, '--disableAutomaticTypingAcquisition'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });

  constructor() {
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const head = this.buffer.indexOf('\r\n\r\n');
        if (head < 0) return;
        const length = Number(/Content-Length: (\d+)/.exec(this.buffer.subarray(0, head).toString('utf8'))?.[1]);
        if (this.buffer.length < head + 4 + length) return;
        const message = JSON.parse(this.buffer.subarray(head + 4, head + 4 + length).toString('utf8')) as Message;
        this.buffer = this.buffer.subarray(head + 4 + length);
        const i = this.waiters.findIndex((w) => w.match(message));
        if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(message);
      }
    });
  }

  send(command: string, args: object): number {
    const seq = ++this.seq;
    this.child.stdin.write(`${JSON.stringify({ seq, type: 'request', command, arguments: args })}\n`);
    return seq;
  }

  next(match: (m: Message) => boolean): Promise<Message> {
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Asks for the file's diagnostics as an editor does after an edit; resolves when the semantic ones arrive. */
  async diagnose(file: string): Promise<number> {
    const start = process.hrtime.bigint();
    const semantic = this.next((m) => m.event === 'semanticDiag' && m.body?.file === file);
    const done = this.next((m) => m.event === 'requestCompleted');
    this.send('geterr', { files: [file], delay: 0 });
    await semantic;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await done;
    return seconds;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

export interface KeystrokeResult {
  /** Seconds from each keystroke to its semantic diagnostics, in typing order. */
  readonly seconds: readonly number[];
  /** Seconds to open the file and get its first diagnostics (project load, cold checker). */
  readonly openSeconds: number;
}

export interface KeystrokeProps {
  /** A smoke run: one pass of a few keystrokes, no warm-up pass. @default false */
  readonly smoke?: boolean;
}

/** Types `TYPED` into the root stack's build body in tsserver, one character per keystroke. */
export async function keystrokes(file: string = KEYSTROKE_FILE, props: KeystrokeProps = {}): Promise<KeystrokeResult> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.findIndex((l) => /^\s+build\(/.test(l));
  if (at < 0) throw new Error(`${file}: no build body to type into`);
  const line = at + 2; // 1-based: the line after the one that opens the body
  const text = props.smoke ? TYPED.slice(0, 8) : TYPED;
  const server = new Server();
  try {
    const opened = process.hrtime.bigint();
    server.send('open', { file, fileContent: lines.join('\n') });
    await server.diagnose(file);
    const openSeconds = Number(process.hrtime.bigint() - opened) / 1e9;
    server.send('change', { file, line, offset: 1, endLine: line, endOffset: 1, insertString: '\n' });
    // Two passes: the first warms the server up (its code is compiled by V8 as it runs, and the
    // first edits of a session cost several times what later ones do); the second is measured.
    const seconds: number[] = [];
    for (const pass of props.smoke ? ['measured'] : ['warm-up', 'measured']) {
      for (let i = 0; i < text.length; i++) {
        server.send('change', { file, line, offset: i + 1, endLine: line, endOffset: i + 1, insertString: text[i]! });
        const s = await server.diagnose(file);
        if (pass === 'measured') seconds.push(s);
      }
      server.send('change', { file, line, offset: 1, endLine: line, endOffset: text.length + 1, insertString: '' });
    }
    return { seconds, openSeconds };
  } finally {
    server.close();
  }
}

export interface TypecheckProps {
  /** Run once first, unmeasured, so the build info exists and the files are in the operating system's cache. @default true */
  readonly warmUp?: boolean;
  /** Before each measured run, append a comment line to this file (restored afterwards), so each run checks an edit. @default no edit */
  readonly edit?: string;
  /** tsc's build info file (the bench's own, not the one `make test` uses). @default a file in the operating system's temporary folder */
  readonly buildInfo?: string;
}

/** `tsc --noEmit -p .`, incremental: seconds of each of `runs` runs. */
export function typecheck(runs: number, props: TypecheckProps = {}): number[] {
  const buildInfo = props.buildInfo ?? join(tmpdir(), `berth-bench-tsc-${process.pid}.tsbuildinfo`);
  const once = () => {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [TSC, '--noEmit', '-p', '.', '--tsBuildInfoFile', buildInfo], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tsc --noEmit failed:\n${r.stdout}${r.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const original = props.edit === undefined ? undefined : readFileSync(props.edit, 'utf8');
  try {
    if (props.warmUp ?? true) once();
    return Array.from({ length: runs }, (_, i) => {
      if (props.edit !== undefined) writeFileSync(props.edit, `${original}\n// bench edit ${i + 1}\n`);
      return once();
    });
  } finally {
    if (props.edit !== undefined) writeFileSync(props.edit, original!);
    if (props.buildInfo === undefined) rmSync(buildInfo, { force: true });
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? '3'));
  const k = await keystrokes();
  const s = k.seconds;
  console.log(`keystrokes in ${KEYSTROKE_FILE.slice(ROOT.length + 1)}: ${s.length}, median ${median(s).toFixed(2)} s, max ${Math.max(...s).toFixed(2)} s (open ${k.openSeconds.toFixed(2)} s)`);
  const t = typecheck(runs);
  console.log(`tsc --noEmit -p . warm (incremental, nothing changed): median ${median(t).toFixed(2)} s of ${t.map((x) => x.toFixed(2)).join(', ')}`);
  const e = typecheck(runs, { edit: KEYSTROKE_FILE });
  console.log(`tsc --noEmit -p . warm (incremental, ${KEYSTROKE_FILE.slice(ROOT.length + 1)} edited): median ${median(e).toFixed(2)} s of ${e.map((x) => x.toFixed(2)).join(', ')}`);
}
