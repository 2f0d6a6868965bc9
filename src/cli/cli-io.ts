/**
 * Where the client commands write: stdout and stderr, unless a caller running them in its own process (a test)
 * collects the output instead.
 */

export interface CliIo {
  out(s: string): void
  err(s: string): void
}

const processIo: CliIo = {
  out: (s) => {
    process.stdout.write(s)
  },
  err: (s) => {
    process.stderr.write(s)
  }
}

export const io: CliIo = { ...processIo }

/** Runs fn with the output going to the given sink, then restores stdout and stderr. */
export async function withIo<T>(sink: CliIo, fn: () => Promise<T>): Promise<T> {
  io.out = sink.out
  io.err = sink.err
  try {
    return await fn()
  } finally {
    io.out = processIo.out
    io.err = processIo.err
  }
}
