import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { SeamHttp } from '@seamapi/http/connect'
import { assertErrorBody, assertResponse } from './contract.js'
import type { TestDatabase } from './databases.js'

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url))

/** KEYSMITH_TEST_ECHO=1 copies the servers' output (their logs) to the test's stderr. */
const echo = process.env.KEYSMITH_TEST_ECHO === '1'

export interface ServerOptions {
  /** Extra environment, e.g. KEYSMITH_SANDBOX_ACTION_DELAY_MS. */
  env?: Record<string, string>
  apiKey?: string
}

/** A real Keysmith process (`keysmith start`) on a database of its own. */
export class TestServer {
  readonly apiKey: string
  url = ''
  #process: ChildProcess | undefined
  #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined
  #output = ''
  /** Environment given to `restart`, on top of the options' own. */
  #restartEnv: Record<string, string> = {}

  constructor(
    readonly database: TestDatabase,
    readonly options: ServerOptions = {},
  ) {
    this.apiKey = options.apiKey ?? `seam_test_${randomBytes(12).toString('hex')}`
  }

  get output(): string {
    return this.#output
  }

  /** The environment a Keysmith process of this server runs with. */
  get env(): NodeJS.ProcessEnv {
    const { DATABASE_URL: _ignored, ...inherited } = process.env
    return {
      ...inherited,
      PORT: '0',
      LOG_LEVEL: 'warn',
      KEYSMITH_SEED_API_KEY: this.apiKey,
      KEYSMITH_SANDBOX_ACTION_DELAY_MS: '30',
      KEYSMITH_WORKER_POLL_MS: '50',
      ...this.database.env,
      ...this.options.env,
      ...this.#restartEnv,
    }
  }

  /** Starts the process and resolves once it prints its URL. */
  async start(): Promise<this> {
    this.#output = ''
    const child = spawn(process.execPath, [cli, 'start'], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#process = child
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    )
    this.url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.#output += chunk.toString()
        if (echo) process.stderr.write(chunk)
        const match = /Keysmith is listening on (\S+)/.exec(this.#output)
        if (match?.[1]) resolve(match[1])
      }
      child.stdout?.on('data', onData)
      child.stderr?.on('data', (chunk: Buffer) => {
        this.#output += chunk.toString()
        if (echo) process.stderr.write(chunk)
      })
      child.once('exit', (code) =>
        reject(new Error(`keysmith exited with ${code} before listening:\n${this.#output}`)),
      )
    })
    return this
  }

  /**
   * Stops and starts the process again on the same database (the URL changes),
   * with `env` on top of the options' environment (e.g. `KEYSMITH_WORKERS: 'on'`).
   */
  async restart(env: Record<string, string> = {}): Promise<this> {
    await this.stop()
    this.#restartEnv = env
    return this.start()
  }

  /**
   * Runs a `keysmith` command (e.g. `workspaces create`) against this server's
   * database and returns its output. PGlite serves one process, so on PGlite the
   * server is stopped for the command and started again (the URL changes).
   */
  async cli(args: string[]): Promise<string> {
    const embedded = this.database.env.DATABASE_URL === undefined
    const wasRunning = this.#process !== undefined
    if (embedded && wasRunning) await this.stop()
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [cli, ...args], {
        env: this.env,
      })
      return stdout
    } finally {
      if (embedded && wasRunning) await this.start()
    }
  }

  /** Creates another workspace through the CLI and returns its id and API key. */
  async createWorkspace(name: string, options: { sandbox?: boolean } = {}) {
    const output = await this.cli([
      'workspaces',
      'create',
      '--name',
      name,
      ...(options.sandbox ? ['--sandbox'] : []),
    ])
    const workspaceId = /Workspace: (\S+)/.exec(output)?.[1]
    const apiKey = /API key: (\S+)/.exec(output)?.[1]
    if (!workspaceId || !apiKey)
      throw new Error(`unexpected output of workspaces create: ${output}`)
    return { workspaceId, apiKey }
  }

  /** Sends a signal to the running process without waiting for anything. */
  sendSignal(signal: NodeJS.Signals): void {
    const child = this.#process
    if (!child) throw new Error('the server is not running')
    child.kill(signal)
  }

  /** Resolves when the process (started last) exits, with its exit code or signal. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.#exited) throw new Error('the server was never started')
    return this.#exited
  }

  /** Graceful stop (SIGTERM), as an operator would. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM')
  }

  /** The crash case: SIGKILL, no chance to clean up. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL')
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#process
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill(signal)
    await exited
    this.#process = undefined
  }

  /** An SDK client, as an app would make one, that also checks every response against the contract. */
  seam(options: { apiKey?: string } = {}): SeamHttp {
    const seam = new SeamHttp({
      apiKey: options.apiKey ?? this.apiKey,
      endpoint: this.url,
      waitForActionAttempt: { pollingInterval: 20, timeout: 5000 },
    })
    checkResponses(seam)
    return seam
  }

  /** A raw HTTP call, for what the SDK would not send. */
  async fetch(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const { json, ...rest } = init
    const headers = new Headers(rest.headers)
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${this.apiKey}`)
    if (json !== undefined) headers.set('content-type', 'application/json')
    return fetch(new URL(path, this.url), {
      method: json !== undefined ? 'POST' : 'GET',
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    })
  }
}

interface HttpResponse {
  data: unknown
  config: { url?: string; method?: string }
}

const checkResponses = (seam: SeamHttp): void => {
  seam.client.interceptors.response.use(
    <R extends HttpResponse>(response: R): R => {
      const path = new URL(response.config.url ?? '', 'http://x').pathname
      assertResponse(response.config.method ?? 'get', path, response.data)
      return response
    },
    (error: unknown) => {
      type Failed = { response?: HttpResponse; cause?: { response?: HttpResponse } }
      const response = (error as Failed).cause?.response ?? (error as Failed).response
      if (response) assertErrorBody(response.data)
      throw error
    },
  )
}

/** Starts a server on a fresh database; `using` stops it and drops the database. */
export const startServer = async (
  createDatabase: () => Promise<TestDatabase>,
  options: ServerOptions = {},
): Promise<TestServer> => new TestServer(await createDatabase(), options).start()

export const stopServer = async (server: TestServer | undefined): Promise<void> => {
  if (!server) return
  await server.stop()
  await server.database.drop()
}
