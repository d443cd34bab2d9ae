/**
 * A one-line spinner on a terminal (stderr), silent elsewhere: what the `keysmith`
 * command shows while a card is on its way.
 */
const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export interface Spinner {
  tick(): void
  stop(): void
}

export const spinner = (text: string, stream: NodeJS.WriteStream = process.stderr): Spinner => {
  if (!stream.isTTY) return { tick: () => {}, stop: () => {} }
  let frame = 0
  return {
    tick: () => {
      stream.write(`\r${frames[frame % frames.length]} ${text}`)
      frame += 1
    },
    stop: () => {
      stream.write('\r\x1b[2K')
    },
  }
}
