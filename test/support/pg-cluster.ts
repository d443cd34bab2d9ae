import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TestDatabase } from './databases.js'

/**
 * A PostgreSQL cluster of a test's own (initdb / pg_ctl on a free port), which the
 * test may stop and start as it likes: never the machine's shared server. Runs as the
 * `postgres` OS user (initdb refuses root), in a temporary folder that user owns.
 */

const binDir = process.env.KEYSMITH_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin'
const run = promisify(execFile)

/** Why an own cluster cannot be made here, or undefined if it can. */
export const clusterUnavailable = ((): string | undefined => {
  if (!existsSync(join(binDir, 'initdb')) || !existsSync(join(binDir, 'pg_ctl'))) {
    return `no initdb / pg_ctl in ${binDir} (set KEYSMITH_TEST_PG_BIN)`
  }
  if (process.getuid?.() !== 0) return 'needs root, to run initdb as the postgres user'
  if (!existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return 'no runuser'
  return undefined
})()

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

const postgresIds = async (): Promise<{ uid: number; gid: number }> => {
  const { stdout: uid } = await run('id', ['-u', 'postgres'])
  const { stdout: gid } = await run('id', ['-g', 'postgres'])
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
}

export class PgCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get dataDir(): string {
    return join(this.dir, 'data')
  }

  /** postgres://… of the cluster's `postgres` database (trust auth, no password). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`
  }

  /** Makes and starts a new cluster. */
  static async create(): Promise<PgCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'keysmith-test-pgcluster-'))
    const { uid, gid } = await postgresIds()
    chownSync(dir, uid, gid)
    const cluster = new PgCluster(dir, await freePort())
    try {
      await cluster.#pg('initdb', [
        '-D',
        cluster.dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ])
      await cluster.start()
    } catch (error) {
      await cluster.destroy()
      throw error
    }
    return cluster
  }

  #pg(binary: string, args: string[]) {
    return run('runuser', ['-u', 'postgres', '--', join(binDir, binary), ...args], {
      cwd: this.dir,
      timeout: 60_000,
    })
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.dir}`,
      // Test data: a crash of the machine is not a case here, a crash of PostgreSQL is
      // (an immediate stop replays the WAL, which lives in the OS's cache).
      '-c fsync=off',
      '-c max_connections=50',
      '-c shared_buffers=16MB',
    ].join(' ')
    await this.#pg('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '30',
      'start',
    ])
  }

  /**
   * Stops the server: `immediate` is a crash (no checkpoint; the next start replays
   * the WAL), `fast` disconnects every client and shuts down cleanly.
   */
  async stop(mode: 'fast' | 'immediate' = 'immediate'): Promise<void> {
    await this.#pg('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop'])
  }

  /** Stops the server if it runs and removes its folder; never throws. */
  async destroy(): Promise<void> {
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      await this.stop('immediate').catch(() => {})
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** The cluster's database as a TestDatabase (dropping it is `destroy`'s job). */
  database(): TestDatabase {
    return { env: { DATABASE_URL: this.url }, drop: async () => {} }
  }
}
