import type {
  EncodeRequest,
  EncodeResult,
  EncoderDriver,
  EncoderOperation,
  ScanRequest,
  ScanResult,
} from '../../src/providers/types.js'
import { createSandboxVisionlineDriver } from '../../src/providers/visionline/sandbox-driver.js'

/** One call a worker made to the driver, held until the test lets it go. */
export interface HeldCall {
  operation: EncoderOperation
  /** The credential being encoded (encodes only). */
  acsCredentialId: string | undefined
  signal: AbortSignal
  /** Lets the encoder finish (it then behaves as the sandbox encoder). */
  release(): void
  /** Settles once the call is over, whichever way. */
  settled: Promise<void>
}

/**
 * An encoder that works only when the test says so: each call waits, visible in
 * `calls`, until `release()`. Behind the gate it is the sandbox encoder. It can be
 * told to ignore aborts (a hung driver) and whether its operations may be retried.
 */
export class GatedDriver implements EncoderDriver {
  readonly calls: HeldCall[] = []
  readonly #inner: EncoderDriver = createSandboxVisionlineDriver({ delayMs: 0 })
  #waiters: Array<() => void> = []

  constructor(
    readonly options: { timeoutMs?: number; retryable?: boolean; ignoreAbort?: boolean } = {},
  ) {}

  get timeoutMs(): number {
    return this.options.timeoutMs ?? 5_000
  }

  canRetry(): boolean {
    return this.options.retryable ?? true
  }

  /** Calls that have started and not yet settled. */
  get open(): HeldCall[] {
    return this.calls.filter((call) => !call.signal.aborted && !settledCalls.has(call))
  }

  async encode(request: EncodeRequest, signal: AbortSignal): Promise<EncodeResult> {
    await this.#gate('encode', request.credential.acs_credential_id, signal)
    return this.#inner.encode(request, signal)
  }

  async scan(request: ScanRequest, signal: AbortSignal): Promise<ScanResult> {
    await this.#gate('scan', undefined, signal)
    return this.#inner.scan(request, signal)
  }

  /** Resolves once `count` calls have been made in all. */
  async callsMade(count: number): Promise<HeldCall[]> {
    while (this.calls.length < count) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
    return this.calls
  }

  #gate(
    operation: EncoderOperation,
    acsCredentialId: string | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    let release = () => {}
    let markSettled = () => {}
    const settled = new Promise<void>((resolve) => {
      markSettled = resolve
    })
    const gate = new Promise<void>((resolve, reject) => {
      release = resolve
      if (!this.options.ignoreAbort) {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      }
    })
    const call: HeldCall = { operation, acsCredentialId, signal, release, settled }
    void gate.then(
      () => {
        settledCalls.add(call)
        markSettled()
      },
      () => {
        settledCalls.add(call)
        markSettled()
      },
    )
    this.calls.push(call)
    for (const wake of this.#waiters.splice(0)) wake()
    return gate
  }
}

const settledCalls = new WeakSet<HeldCall>()
