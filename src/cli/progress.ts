/**
 * Progress for long work: a line rewritten in place on stderr while stdout is a terminal, nothing otherwise,
 * so piped output stays machine-readable.
 */

export class Progress {
  private last = 0
  private shown = false

  constructor(private readonly enabled = process.stdout.isTTY === true && process.stderr.isTTY === true) {}

  /** Shows the line at most every 100 ms unless forced. */
  update(line: string, force = false): void {
    if (!this.enabled) return
    const now = Date.now()
    if (!force && now - this.last < 100) return
    this.last = now
    this.shown = true
    process.stderr.write(`\r\x1b[2K${line}`)
  }

  done(): void {
    if (this.enabled && this.shown) process.stderr.write('\r\x1b[2K')
  }
}
