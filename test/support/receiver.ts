import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Receipt {
  headers: Record<string, string>
  body: string
  receivedAt: number
}

/**
 * A real HTTP endpoint for webhook tests. `answer` decides each response (status
 * code, or 'hang' to never answer); every request is kept in `receipts`.
 */
export class WebhookReceiver {
  readonly receipts: Receipt[] = []
  answer: (receipt: Receipt, index: number) => number | 'hang' = () => 200
  #server: Server | undefined
  #port = 0

  get url(): string {
    return `http://127.0.0.1:${this.#port}/webhook`
  }

  async start(port = 0): Promise<this> {
    const server = createServer((request, response) => {
      let body = ''
      request.setEncoding('utf8')
      request.on('data', (chunk: string) => {
        body += chunk
      })
      request.on('end', () => {
        const receipt = { headers: flatten(request.headers), body, receivedAt: Date.now() }
        this.receipts.push(receipt)
        const answer = this.answer(receipt, this.receipts.length - 1)
        if (answer === 'hang') return
        response.statusCode = answer
        response.end('ok')
      })
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    this.#port = (server.address() as AddressInfo).port
    this.#server = server
    return this
  }

  async stop(): Promise<void> {
    const server = this.#server
    if (!server) return
    this.#server = undefined
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }

  /** Receipts whose JSON body has this event type. */
  ofType(eventType: string): Receipt[] {
    return this.receipts.filter(
      (r) => (JSON.parse(r.body) as { event_type: string }).event_type === eventType,
    )
  }
}

const flatten = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).flatMap(([key, value]) =>
      value === undefined ? [] : [[key, Array.isArray(value) ? value.join(', ') : value]],
    ),
  )
