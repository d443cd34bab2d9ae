import { chmod, mkdir, readdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../atomic-file.js'
import { type JobResult, jobResultSchema } from '../protocol.js'

/**
 * The bridge agent's state dir (`~/.keysmith-bridge` by default):
 *
 *     bridge.json          { server, bridge_id, bridge_token }, mode 0600
 *     results/<job id>.json  a job's result the server has not acknowledged yet
 *     virtual/             the virtual driver's readers (drivers/virtual.ts)
 *
 * A result is written (atomically) before it is sent, and deleted on the server's
 * `ack`, so a result outlives a lost connection and a restart of the agent.
 */

export interface BridgeCredentials {
  /** The server's base URL, as given when pairing (http(s) or ws(s)). */
  server: string
  bridge_id: string
  bridge_token: string
}

export interface HeldResult {
  job_id: string
  result: JobResult
}

const CREDENTIALS = 'bridge.json'
const RESULTS = 'results'
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT'

export const credentialsFile = (stateDir: string): string => path.join(stateDir, CREDENTIALS)

/** The pairing kept in the state dir; undefined when the bridge was never paired. */
export const loadCredentials = async (stateDir: string): Promise<BridgeCredentials | undefined> => {
  let text: string
  try {
    text = await readFile(credentialsFile(stateDir), 'utf8')
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
  const parsed: unknown = JSON.parse(text)
  const { server, bridge_id, bridge_token } = (parsed ?? {}) as Record<string, unknown>
  if (
    typeof server !== 'string' ||
    typeof bridge_id !== 'string' ||
    typeof bridge_token !== 'string'
  ) {
    throw new Error(`${credentialsFile(stateDir)} is not a bridge pairing: pair again`)
  }
  return { server, bridge_id, bridge_token }
}

/** Keeps the pairing, readable by this user only (it holds the bridge's token). */
export const saveCredentials = async (
  stateDir: string,
  credentials: BridgeCredentials,
): Promise<void> => {
  await mkdir(stateDir, { recursive: true, mode: 0o700 })
  const file = credentialsFile(stateDir)
  await writeFileAtomic(file, `${JSON.stringify(credentials, null, 2)}\n`, 0o600)
  // The mode of a new file is masked by the umask; make sure.
  await chmod(file, 0o600)
}

const resultFile = (stateDir: string, jobId: string): string => {
  if (!JOB_ID.test(jobId)) throw new Error(`not a job id: ${jobId}`)
  return path.join(stateDir, RESULTS, `${jobId.toLowerCase()}.json`)
}

/** Keeps a job's result until the server acknowledges it. */
export const holdResult = async (stateDir: string, held: HeldResult): Promise<void> => {
  await mkdir(path.join(stateDir, RESULTS), { recursive: true, mode: 0o700 })
  await writeFileAtomic(resultFile(stateDir, held.job_id), `${JSON.stringify(held)}\n`, 0o600)
}

/** Forgets a result the server acknowledged (nothing happens if it is not held). */
export const releaseResult = async (stateDir: string, jobId: string): Promise<void> => {
  await rm(resultFile(stateDir, jobId), { force: true })
}

/** Every result held, in file-name order; files that are not a held result are skipped. */
export const loadHeldResults = async (stateDir: string): Promise<HeldResult[]> => {
  let names: string[]
  try {
    names = await readdir(path.join(stateDir, RESULTS))
  } catch (error) {
    if (isMissing(error)) return []
    throw error
  }
  const held: HeldResult[] = []
  for (const name of names.sort()) {
    const jobId = name.replace(/\.json$/, '')
    if (!name.endsWith('.json') || !JOB_ID.test(jobId)) continue
    try {
      const parsed = JSON.parse(
        await readFile(path.join(stateDir, RESULTS, name), 'utf8'),
      ) as Record<string, unknown>
      const result = jobResultSchema.safeParse(parsed.result)
      const heldId = parsed.job_id
      if (typeof heldId === 'string' && heldId.toLowerCase() === jobId && result.success) {
        held.push({ job_id: heldId, result: result.data })
      }
    } catch {
      // Unreadable (half a file from another tool, say): not a result to send.
    }
  }
  return held
}
