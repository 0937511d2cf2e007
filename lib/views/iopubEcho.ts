import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** How long to wait for a marker before sending another: a subscriber that has just connected misses what was
 *  published before its connection was up. */
const RESEND_MS = 200;
/** After this many markers with none seen, the cell goes on without the wait (and says so) rather than hang. */
const MAX_MARKERS = 50;

/** Markers waited for, each with what to call when it comes back; undefined until the first wait, null if this kernel's
 *  iopub socket could not be subscribed to (said once; cells then go on without waiting). */
let waiting: Map<string, () => void> | null | undefined;

/** Calls `send(marker)` with a fresh marker until a message carrying one comes back on this kernel's iopub socket.
 *  Everything the kernel published before that message has then gone out to every front end. */
export async function echoed(send: (marker: string) => void): Promise<void> {
  if (waiting === undefined) {
    try {
      waiting = subscribe();
    } catch (e) {
      waiting = null;
      console.error(`(cannot watch the kernel's outputs go out, ${(e as Error).message}: a cell's last outputs may arrive after it ends)`);
    }
  }
  const markers = waiting;
  if (!markers) return;
  for (let i = 0; i < MAX_MARKERS; i++) {
    const marker = `mnist20k-delivered-${randomBytes(6).toString('hex')}`;
    const seen = new Promise<boolean>((resolve) => {
      markers.set(marker, () => resolve(true));
      setTimeout(() => resolve(false), RESEND_MS);
    });
    send(marker);
    const arrived = await seen;
    markers.delete(marker);
    if (arrived) return;
  }
  console.error('(the kernel did not echo its outputs back: the last ones may arrive after the cell ends)');
}

/** A subscriber on the iopub socket of the kernel this process is, from the connection file Jupyter started it with. */
function subscribe(): Map<string, () => void> {
  const connection = JSON.parse(readFileSync(connectionFile(), 'utf8')) as { transport: string; ip: string; iopub_port: number };
  // Loaded here, not at the top: only Deno's kernel needs the native addon, not tslab's cells nor the CLI's charts.
  const { Subscriber } = require('zeromq') as typeof import('zeromq');
  const socket = new Subscriber();
  socket.connect(`${connection.transport}://${connection.ip}:${connection.iopub_port}`);
  socket.subscribe();
  const markers = new Map<string, () => void>();
  void (async () => {
    for await (const frames of socket) {
      if (!markers.size) continue;
      const text = frames.map((f) => f.toString()).join('\n');
      for (const [marker, seen] of markers) if (text.includes(marker)) seen();
    }
  })().catch(() => undefined); // a socket that fails leaves markers unseen: echoed() gives up after MAX_MARKERS
  return markers;
}

/** The `--conn FILE` of this process's command line (the kernel spec's `{connection_file}`): from /proc on Linux, ps
 *  elsewhere. */
function connectionFile(): string {
  let argv: string[];
  try {
    argv = readFileSync('/proc/self/cmdline', 'utf8').split('\0');
  } catch {
    argv = execFileSync('ps', ['-ww', '-o', 'command=', '-p', String(process.pid)], { encoding: 'utf8' }).trim().split(/\s+/);
  }
  const at = argv.indexOf('--conn');
  if (at < 0 || !argv[at + 1]) throw new Error(`no --conn in the kernel's command line: ${argv.join(' ')}`);
  return argv[at + 1];
}
