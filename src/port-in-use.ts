/** The port is taken: nothing was served. The sandbox's new API key, if one was made, is kept. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly host: string,
    readonly sandboxApiKey: string | undefined,
  ) {
    super(`Port ${port} on ${host} is already in use`)
    this.name = 'PortInUseError'
  }
}
