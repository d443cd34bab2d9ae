import type { Config } from '../config.js'
import { dataDirHolder } from '../db/data-dir-lock.js'
import { adminPathPrefix, readAdminFile } from './channel.js'
import type { AdminArgs, AdminOperation, AdminResult } from './operations.js'

/** An admin operation the server or the database refused; its message is for the operator. */
export class AdminCallError extends Error {}

/** How long the CLI waits for a starting server to publish its admin channel. */
const publishWaitMs = 20_000

/**
 * Runs an admin operation wherever the data is: on PostgreSQL directly (any number
 * of processes share it); on the embedded database through the server that holds the
 * data folder, if one runs, else by opening the folder.
 */
export const adminCall = async <K extends AdminOperation>(
  config: Config,
  operation: K,
  args: AdminArgs,
): Promise<AdminResult<K>> => {
  if (!config.databaseUrl) {
    const endpoint = await runningServer(config.dataDir)
    if (endpoint) return callServer(endpoint, operation, args)
  }
  // Only this path needs the database code and the operations: a command sent to a
  // running server loads neither, and so starts quickly.
  const [{ openDatabase }, { DomainError }, { runAdminOperation }] = await Promise.all([
    import('../db/database.js'),
    import('../domain/errors.js'),
    import('./operations.js'),
  ])
  const database = await openDatabase(config)
  try {
    return await runAdminOperation(database.db, operation, args, new Date())
  } catch (error) {
    if (error instanceof DomainError) throw new AdminCallError(error.message)
    throw error
  } finally {
    await database.close()
  }
}

/**
 * The admin channel of the live process holding the data folder. A process that holds
 * it without a channel yet (a server starting, a CLI command running) is waited for:
 * until it publishes its channel or exits.
 */
const runningServer = async (dataDir: string) => {
  const deadline = Date.now() + publishWaitMs
  for (;;) {
    const holder = dataDirHolder(dataDir)
    if (holder === undefined) return undefined
    const endpoint = readAdminFile(dataDir)
    if (endpoint?.pid === holder) return endpoint
    if (Date.now() > deadline) {
      throw new AdminCallError(
        `Process ${holder} holds ${dataDir} but offers no admin channel; stop it or wait until it is ready`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const callServer = async <K extends AdminOperation>(
  endpoint: { url: string; token: string },
  operation: K,
  args: AdminArgs,
): Promise<AdminResult<K>> => {
  let response: Response
  try {
    response = await fetch(new URL(`${adminPathPrefix}${operation}`, endpoint.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${endpoint.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ args }),
    })
  } catch (error) {
    throw new AdminCallError(
      `Could not reach the running server at ${endpoint.url}: ${(error as Error).message}`,
    )
  }
  const body = (await response.json().catch(() => undefined)) as
    | { result: AdminResult<K> }
    | { error?: { message?: string } }
    | undefined
  if (response.ok && body && 'result' in body) return body.result
  const message = body && 'error' in body ? body.error?.message : undefined
  throw new AdminCallError(message ?? `The server answered ${response.status}`)
}
