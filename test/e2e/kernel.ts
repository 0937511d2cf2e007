import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ROOT } from '../../lib/util/paths';

/** jupyter_client ships with Jupyter itself; Debian's python3 has it beside jupyter-notebook. */
const PYTHON = process.env.JUPYTER_PYTHON || '/usr/bin/python3';
const DRIVER = join(ROOT, 'test', 'e2e', 'kernel_driver.py');

/** What a cell left: its status as the kernel replied it, its streams, and its display bundles (updates applied). */
export interface Execution {
  status: 'ok' | 'error' | 'abort';
  stdout: string;
  stderr: string;
  displays: Record<string, unknown>[];
  /** The error output's message, if the cell ended with one (Deno's kernel; tslab prints a cell's error on stderr). */
  error: string | null;
}

/** A Jupyter kernel driven through jupyter_client, as the notebook server drives one (test/e2e/kernel_driver.py). */
export class Kernel {
  private nextId = 0;
  private readonly waiting = new Map<number, (answer: unknown) => void>();
  private failure?: Error;

  private constructor(private readonly driver: ChildProcess, ready: () => void) {
    createInterface({ input: driver.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { id?: number; event?: string };
      if (message.event === 'ready') return ready();
      if (message.event === 'died') return this.fail(new Error(`the kernel died: ${line}`));
      this.waiting.get(message.id!)?.(message);
      this.waiting.delete(message.id!);
    });
    driver.on('exit', (code) => this.fail(new Error(`kernel driver ended (exit ${code})`)));
  }

  /** Starts `kernelName` in `cwd`; `env` reaches the kernel (JUPYTER_PATH must name where its spec is). */
  static start(kernelName: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Kernel> {
    const driver = spawn(PYTHON, [DRIVER, kernelName, cwd], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      const kernel: Kernel = new Kernel(driver, () => resolve(kernel));
      driver.on('exit', (code) => reject(new Error(`the kernel did not start (driver exit ${code})`)));
    });
  }

  execute(code: string): Promise<Execution> {
    return this.request({ op: 'execute', code }) as Promise<Execution>;
  }

  /** Jupyter's Interrupt: KernelManager.interrupt_kernel(). Resolves once it is sent. */
  async interrupt(): Promise<void> {
    await this.request({ op: 'interrupt' });
  }

  async shutdown(): Promise<void> {
    if (this.failure) return;
    await this.request({ op: 'shutdown' });
    await new Promise((resolve) => this.driver.once('exit', resolve));
  }

  private request(body: object): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.nextId;
    this.driver.stdin!.write(JSON.stringify({ id, ...body }) + '\n');
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** Fails every request still waiting, and any later one. */
  private fail(e: Error): void {
    this.failure ??= e;
    for (const [, answer] of this.waiting) answer(Promise.reject(this.failure));
    this.waiting.clear();
  }
}
