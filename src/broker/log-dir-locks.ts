/**
 * The broker's first component: creates and locks every log dir (storage/log-dir-lock.ts) before anything
 * reads or writes them, so a second broker on the same directories stops here, and an unusable or
 * unwritable directory fails start-up with one message naming it. The locks go last at shutdown.
 */

import type { BrokerComponent } from '../server/kafka-server.js'
import { LogDirLock } from '../storage/log-dir-lock.js'

export function logDirLocks(logDirs: readonly string[]): BrokerComponent {
  const held: LogDirLock[] = []
  return {
    name: 'log-dir-locks',
    startup: async () => {
      try {
        for (const dir of logDirs) held.push(await LogDirLock.acquire(dir))
      } catch (err) {
        // The server shuts down only components that started: release what this one took before failing.
        await Promise.all(held.splice(0).map((l) => l.release()))
        throw err
      }
    },
    shutdown: async () => {
      await Promise.all(held.splice(0).map((l) => l.release()))
    }
  }
}
