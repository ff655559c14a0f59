/** Bad command-line use: the CLI prints the message and the command's usage, and exits with 2. */
export class UsageError extends Error {
  readonly code = 'usage'
  readonly usage: string

  constructor(message: string, usage: string) {
    super(message)
    this.usage = usage
  }
}
