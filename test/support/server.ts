import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { SeamHttp, SeamHttpWithoutWorkspace } from '@seamapi/http/connect'
import { assertErrorBody, assertResponse } from './contract.js'
import type { TestDatabase } from './databases.js'

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url))

/** The workspace every test server seeds (see README). */
export const sandboxWorkspaceId = '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63'

/** KEYSMITH_TEST_ECHO=1 copies the servers' output (their logs) to the test's stderr. */
const echo = process.env.KEYSMITH_TEST_ECHO === '1'

export interface ServerOptions {
  /** Extra environment, e.g. KEYSMITH_SANDBOX_ACTION_DELAY_MS. */
  env?: Record<string, string>
  apiKey?: string
  /**
   * What `seam()` calls with by default: the sandbox's API key, or a personal access
   * token (of a user who is a member of the sandbox) with the seam-workspace header.
   */
  credential?: Credential
}

export type Credential = 'api key' | 'personal access token'

/** A real Keysmith process (`keysmith start`) on a database of its own. */
export class TestServer {
  readonly apiKey: string
  /** Set for `credential: 'personal access token'`: seam() calls with it. */
  personalAccessToken: string | undefined
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
      // A crashed process's attempts are taken up this soon (kill -9 tests on PostgreSQL).
      KEYSMITH_ACTION_LEASE_MS: '2000',
      ...this.database.env,
      ...this.options.env,
      ...this.#restartEnv,
    }
  }

  /** Starts the process and resolves once it prints its URL. */
  async start(): Promise<this> {
    await this.#listen()
    if (this.options.credential === 'personal access token' && !this.personalAccessToken) {
      this.personalAccessToken = (await this.createUserWithToken()).token
    }
    return this
  }

  async #listen(): Promise<void> {
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
   * database and returns its output. The server keeps running: on PGlite the command
   * goes through the server's admin channel, on PostgreSQL to the database.
   */
  async cli(args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [cli, ...args], {
      env: this.env,
    })
    return stdout
  }

  /**
   * A user (made with the CLI) who is a member of `workspaceIds` (the sandbox by
   * default), and a personal access token of theirs.
   */
  async createUserWithToken(
    options: { email?: string; workspaceIds?: string[] } = {},
  ): Promise<{ email: string; token: string; tokenId: string }> {
    const email = options.email ?? `user-${randomBytes(6).toString('hex')}@hotel.example`
    await this.cli(['users', 'create', '--email', email])
    for (const workspaceId of options.workspaceIds ?? [sandboxWorkspaceId]) {
      await this.cli(['users', 'add-to-workspace', '--email', email, '--workspace-id', workspaceId])
    }
    const output = await this.cli(['pats', 'create', '--email', email, '--name', 'tests'])
    const token = /Token: (\S+)/.exec(output)?.[1]
    const tokenId = /Personal access token (\S+)/.exec(output)?.[1]
    if (!token || !tokenId) throw new Error(`unexpected output of pats create: ${output}`)
    return { email, token, tokenId }
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

  /**
   * An SDK client, as an app would make one, that also checks every response against
   * the contract: with `apiKey`, else with the server's default credential.
   */
  seam(options: { apiKey?: string } = {}): SeamHttp {
    if (options.apiKey === undefined && this.personalAccessToken) {
      return this.seamWithToken(this.personalAccessToken)
    }
    const seam = new SeamHttp({
      apiKey: options.apiKey ?? this.apiKey,
      endpoint: this.url,
      waitForActionAttempt: { pollingInterval: 20, timeout: 5000 },
    })
    checkResponses(seam)
    return seam
  }

  /** An SDK client with a personal access token and a workspace (the seam-workspace header). */
  seamWithToken(token: string, workspaceId: string = sandboxWorkspaceId): SeamHttp {
    const seam = SeamHttp.fromPersonalAccessToken(token, workspaceId, {
      endpoint: this.url,
      waitForActionAttempt: { pollingInterval: 20, timeout: 5000 },
    })
    checkResponses(seam)
    return seam
  }

  /** An SDK client with a personal access token and no workspace (workspaces create/list). */
  seamWithoutWorkspace(token: string): SeamHttpWithoutWorkspace {
    const seam = SeamHttpWithoutWorkspace.fromPersonalAccessToken(token, { endpoint: this.url })
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

const checkResponses = (seam: { client: SeamHttp['client'] }): void => {
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
