/**
 * The admin HTTP listener as a broker component: started before the others so that /healthz and /readyz
 * answer while the broker loads, stopped after them. What it reads comes from the broker's assembly.
 */

import { AdminHttpServer } from '../admin/admin-server.js'
import type { AdminSources } from '../admin/admin-sources.js'
import type { Logger } from '../common/logger.js'
import type { BrokerComponent } from '../server/kafka-server.js'

export function adminListenerComponent(
  sources: () => AdminSources,
  logger: Logger
): BrokerComponent & {
  readonly admin: () => AdminHttpServer | undefined
} {
  let admin: AdminHttpServer | undefined
  return {
    name: 'admin-http',
    admin: () => admin,
    async startup() {
      if (sources().config.getList('admin.listeners').length === 0) return
      admin = new AdminHttpServer(sources(), logger)
      await admin.start()
    },
    async shutdown() {
      await admin?.shutdown()
    }
  }
}
