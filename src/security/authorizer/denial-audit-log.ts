/**
 * Denied requests, one log line each (principal, host, operation, resource), as Kafka's
 * kafka.authorizer.logger writes them, but rate-limited: a client retrying a denied request in a tight loop
 * must not flood the log. Past `maxPerSecond` lines in a second, lines are counted, and the count is logged
 * with the next line written.
 */

import type { Logger } from '../../common/logger.js'
import { operationName, resourceTypeName } from './acl-types.js'

export class DenialAuditLog {
  private windowStartMs = 0
  private writtenInWindow = 0
  private suppressed = 0

  constructor(
    private readonly logger: Logger,
    private readonly maxPerSecond = 20,
    private readonly now: () => number = Date.now
  ) {}

  denied(principal: string, host: string, operation: number, resourceType: number, name: string): void {
    const t = this.now()
    if (t - this.windowStartMs >= 1000) {
      this.windowStartMs = t
      this.writtenInWindow = 0
    }
    if (this.writtenInWindow >= this.maxPerSecond) {
      this.suppressed++
      return
    }
    this.writtenInWindow++
    const suppressedDenials = this.suppressed
    this.suppressed = 0
    this.logger.info(
      {
        principal,
        host,
        operation: operationName(operation),
        resourceType: resourceTypeName(resourceType),
        resourceName: name,
        ...(suppressedDenials > 0 ? { suppressedDenials } : {})
      },
      'authorization denied'
    )
  }
}
