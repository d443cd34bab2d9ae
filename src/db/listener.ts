import pg from 'pg'

/** What one `listen` asked to hear, and to be told when the connection goes and comes back. */
export interface Subscription {
  onNotify: () => void
  onLost?: (() => void) | undefined
  onRestored?: (() => void) | undefined
}

/**
 * Every channel a process listens on, on one connection of its own (LISTEN cannot
 * share the pool's: a pooled connection is handed to other work). One connection,
 * not one per channel, so a process takes from PostgreSQL's `max_connections` only
 * its pools and this.
 *
 * Notifications only speed things up (workers also poll, caches are disabled while
 * deaf), so a lost connection is not fatal: it is made again, with a growing pause,
 * until the database answers, and LISTENs on every channel again. Each subscription
 * is told when it goes (`onLost`: notifications may be missed from then on) and, once
 * listening again, gets one `onNotify` for whatever was announced while it was away,
 * then `onRestored`.
 */
export class NotificationListener {
  #client: pg.Client | undefined
  #closed = false
  #retryMs = 100
  #timer: NodeJS.Timeout | undefined
  readonly #channels = new Map<string, Subscription[]>()
  /** The channels the live connection listens on. */
  #listening = new Set<string>()
  #connecting: Promise<void> | undefined

  constructor(
    readonly databaseUrl: string,
    readonly connectTimeoutMs: number,
  ) {}

  /**
   * Listens on `channel` from now on. The first call connects, and its failure is
   * thrown (start-up fails); later ones LISTEN on the connection already made.
   */
  async listen(channel: string, subscription: Subscription): Promise<void> {
    const known = this.#channels.get(channel)
    if (known) {
      known.push(subscription)
      return
    }
    this.#channels.set(channel, [subscription])
    if (this.#connecting) await this.#connecting.catch(() => {})
    const client = this.#client
    if (client) {
      // The connection may have been made before this channel was asked for.
      if (!this.#listening.has(channel)) {
        await client.query(`listen ${pg.escapeIdentifier(channel)}`)
        this.#listening.add(channel)
      }
    } else if (!this.#timer) {
      this.#connecting = this.#connect()
      try {
        await this.#connecting
      } finally {
        this.#connecting = undefined
      }
    }
    // Else a reconnection is waiting to be tried: it listens on this channel too.
  }

  #each(call: (subscription: Subscription) => void): void {
    for (const subscriptions of this.#channels.values()) subscriptions.forEach(call)
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: this.connectTimeoutMs,
    })
    // Only a connection that was listening is made again from here; a failure to
    // connect is the caller's to retry.
    let live = false
    const onLost = () => {
      if (!live) return
      live = false
      if (this.#client === client) this.#client = undefined
      client.end().catch(() => {})
      if (this.#closed) return
      this.#each((s) => s.onLost?.())
      this.#reconnectLater()
    }
    client.on('error', onLost)
    client.on('end', onLost)
    client.on('notification', (message) => {
      for (const subscription of this.#channels.get(message.channel) ?? []) {
        subscription.onNotify()
      }
    })
    const channelsListened = [...this.#channels.keys()]
    try {
      await client.connect()
      if (channelsListened.length > 0) {
        await client.query(
          channelsListened.map((c) => `listen ${pg.escapeIdentifier(c)}`).join('; '),
        )
      }
    } catch (error) {
      await client.end().catch(() => {})
      throw error
    }
    if (this.#closed) {
      await client.end().catch(() => {})
      return
    }
    live = true
    this.#client = client
    this.#listening = new Set(channelsListened)
    this.#retryMs = 100
  }

  #reconnectLater(): void {
    if (this.#closed || this.#timer) return
    const wait = this.#retryMs
    this.#retryMs = Math.min(this.#retryMs * 2, 2_000)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#connect().then(
        () => {
          if (this.#closed) return
          this.#each((s) => s.onNotify())
          this.#each((s) => s.onRestored?.())
        },
        () => this.#reconnectLater(),
      )
    }, wait)
    this.#timer.unref()
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => {})
  }
}
