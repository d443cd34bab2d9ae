import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { eventually } from './poll.js'

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url))
const echo = process.env.KEYSMITH_TEST_ECHO === '1'

/**
 * A real `keysmith bridge` process on the virtual driver, with a state dir of its
 * own, as it runs on a front-desk computer; and `keysmith bridge cards place|take`
 * to lay cards on its readers.
 */
export class BridgeProcess {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'keysmith-bridge-'))
  output = ''
  #child: ChildProcess | undefined

  constructor(readonly options: { readers: string[]; cardWaitMs: number }) {}

  /** Starts the agent; pairs first when a code is given. */
  start(server: string, pairingCode?: string): this {
    this.output = ''
    const child = spawn(
      process.execPath,
      [
        cli,
        'bridge',
        '--server',
        server,
        ...(pairingCode ? ['--pairing-code', pairingCode] : []),
        '--driver',
        'virtual',
        '--state-dir',
        this.stateDir,
        '--card-wait-ms',
        String(this.options.cardWaitMs),
        '--readers',
        this.options.readers.join(','),
        '--reconnect-max-ms',
        '300',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString()
      if (echo) process.stderr.write(`[bridge] ${chunk}`)
    }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    this.#child = child
    return this
  }

  /** Resolves once the agent's output matches `pattern` (from `from` on). */
  async printed(pattern: RegExp, from = 0, timeoutMs = 15_000): Promise<string> {
    return eventually(async () => pattern.exec(this.output.slice(from))?.[0], {
      what: () => `the bridge to print ${pattern} (it printed:\n${this.output})`,
      timeoutMs,
    })
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill(signal)
    await exited
    this.#child = undefined
  }

  kill(): Promise<void> {
    return this.stop('SIGKILL')
  }

  async cards(args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli,
      'bridge',
      'cards',
      ...args,
      '--state-dir',
      this.stateDir,
    ])
    return stdout
  }
}
