import type { TagReaderDriver } from '../../src/bridge/drivers/tag-reader.js'
import type { BridgeDispatch, BridgeJobOutcome } from '../../src/providers/types.js'

/**
 * A `BridgeDispatch` that runs each job at once on a reader driver in this process:
 * the bridge driver's rules (signing, reading back, decoding) without the network
 * between server and agent, which test/e2e/bridge-cards.test.ts covers.
 */
export const localDispatch = (
  readers: TagReaderDriver,
  options: { cardWaitMs: number; jobTimeoutMs?: number },
): BridgeDispatch => ({
  jobTimeoutMs: options.jobTimeoutMs ?? options.cardWaitMs + 5_000,
  async run(job, signal): Promise<BridgeJobOutcome> {
    signal.throwIfAborted()
    const wait = { cardWaitMs: options.cardWaitMs, signal }
    if (job.operation === 'encode') {
      const written = await readers.write(job.readerName, job.memory, wait)
      return written.ok ? { ok: true, uid: written.value.uid } : written
    }
    const read = await readers.read(job.readerName, wait)
    return read.ok ? { ok: true, uid: read.value.uid, memory: read.value.memory } : read
  },
})
