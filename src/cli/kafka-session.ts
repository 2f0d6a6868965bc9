/**
 * One admin client per command run: opened from the resolved connection settings and always closed, so the
 * process exits as soon as the command is done.
 */

import { Admin } from '@platformatic/kafka'
import { type ConnectionFlags, clientOptions, resolveConnection } from './client-options.js'

export async function withAdmin<T>(flags: ConnectionFlags, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin(clientOptions(resolveConnection(flags)))
  try {
    return await fn(admin)
  } finally {
    await admin.close().catch(() => {})
  }
}

/** The controller's node id (Metadata); admin requests that must reach it go there. */
export async function controllerId(admin: Admin): Promise<number> {
  const md = await admin.metadata({ topics: [], forceUpdate: true })
  return md.controllerId
}
