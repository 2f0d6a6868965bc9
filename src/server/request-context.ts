/** What a handler knows about the request it is serving besides the request body. */

import { type ForwardedRequest, forwardedIdentity } from '../cluster/controller-channel.js'
import type { Logger } from '../common/logger.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { RequestHeader } from '../protocol/messages/request-header.js'
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/authorizer/acl-types.js'
import type { DenialAuditLog } from '../security/authorizer/denial-audit-log.js'
import type { AuthorizationSubject, StandardAuthorizer } from '../security/authorizer/standard-authorizer.js'
import { ANONYMOUS, formatPrincipal, type KafkaPrincipal } from '../security/kafka-principal.js'
import type { ConnectionInfo } from './kafka-connection.js'

/** The versions of one API this broker serves, as ApiVersions reports them. */
export interface ApiVersionRange {
  readonly apiKey: number
  readonly minVersion: number
  readonly maxVersion: number
}

/**
 * What a handler may ask of the broker's API registry (ApiVersions lists the ranges). The registry itself
 * holds the handlers, whose signature names RequestContext, so this file must not import it.
 */
export interface SupportedApis {
  /** Supported ranges, ordered by API key. */
  versionRanges(): ApiVersionRange[]
}

/**
 * Broker-wide services shared by all handlers. Storage (LogManager) and cluster metadata are deliberately not
 * here: handlers that need them are built with them (e.g. `createProduceHandler(logManager)`), which keeps this
 * interface narrow and each handler's dependencies explicit.
 */
export interface BrokerServices {
  readonly config: KafkaConfig
  readonly logger: Logger
  readonly apiRegistry: SupportedApis
  /** The ACL authorizer (authorizer.class.name), null when none is configured: everything is allowed. */
  readonly authorizer?: () => StandardAuthorizer | null
  readonly denials?: DenialAuditLog
}

/** Clients connect over IPv4 as IPv4-mapped IPv6 addresses; ACL hosts name the IPv4 address. */
const clientHost = (address: string): string => (address.startsWith('::ffff:') ? address.slice(7) : address)

export class RequestContext {
  private childLogger: Logger | undefined
  private subjectValue: AuthorizationSubject | undefined
  /** performance.now() bounds of the request's waits in a purgatory (Kafka's remote time); -1 when none. */
  private waitStart = -1
  private waitEnd = -1

  constructor(
    readonly header: RequestHeader,
    readonly connection: ConnectionInfo,
    readonly broker: BrokerServices
  ) {}

  /**
   * A wait of this request in a purgatory (acks=all, fetch.min.bytes), from `start` to `end` (performance.now()).
   * Waits of several partitions overlap: the remote time is the span from the first start to the last end.
   */
  recordWait(start: number, end: number): void {
    if (this.waitStart < 0 || start < this.waitStart) this.waitStart = start
    if (end > this.waitEnd) this.waitEnd = end
  }

  /** Milliseconds the request spent waiting in a purgatory (0 when it did not wait). */
  get remoteTimeMs(): number {
    return this.waitStart < 0 ? 0 : this.waitEnd - this.waitStart
  }

  get apiVersion(): number {
    return this.header.requestApiVersion
  }

  /** Who sent the request; handlers only run once the connection has authenticated. */
  get principal(): KafkaPrincipal {
    return this.connection.principal?.() ?? ANONYMOUS
  }

  /**
   * The principal and host authorization decides for: the client's, or, for a request another broker
   * forwarded on a client's behalf, that client's, provided the forwarding connection may CLUSTER_ACTION (a
   * broker), as Kafka trusts an Envelope's principal only from brokers.
   */
  get subject(): AuthorizationSubject {
    this.subjectValue ??= this.resolveSubject()
    return this.subjectValue
  }

  /** Whether an authorizer is configured (the ACL APIs answer SECURITY_DISABLED without). */
  get authorizerEnabled(): boolean {
    return (this.broker.authorizer?.() ?? null) !== null
  }

  /**
   * Whether the subject may do `operation` on the resource; true without an authorizer. A denial is written
   * to the audit log unless `logIfDenied` is false (filters such as Metadata's topic list stay quiet).
   */
  authorize(operation: number, resourceType: number, name: string, logIfDenied = true): boolean {
    const authorizer = this.broker.authorizer?.() ?? null
    if (authorizer === null) return true
    const subject = this.subject
    if (authorizer.authorize(subject, operation, resourceType, name)) return true
    if (logIfDenied)
      this.broker.denials?.denied(subject.principal, subject.host, operation, resourceType, name)
    return false
  }

  /** `authorize` on the cluster resource (kafka-cluster). */
  authorizeCluster(operation: number, logIfDenied = true): boolean {
    return this.authorize(operation, ResourceType.CLUSTER, CLUSTER_NAME, logIfDenied)
  }

  /** Whether the subject may do `operation` on some resource of the type (KIP-679's idempotent producers). */
  authorizeByResourceType(operation: number, resourceType: number): boolean {
    const authorizer = this.broker.authorizer?.() ?? null
    return authorizer === null || authorizer.authorizeByResourceType(this.subject, operation, resourceType)
  }

  /** The authorized-operations bitfield of a resource, or `allOperations` without an authorizer. */
  authorizedOperations(resourceType: number, name: string, allOperations: number): number {
    const authorizer = this.broker.authorizer?.() ?? null
    return authorizer === null
      ? allOperations
      : authorizer.authorizedOperations(this.subject, resourceType, name)
  }

  /** The header to forward this request to the controller with, naming the client it is served for. */
  get forwardingHeader(): ForwardedRequest {
    return { ...this.header, onBehalfOf: this.subject }
  }

  private resolveSubject(): AuthorizationSubject {
    const own = {
      principal: formatPrincipal(this.principal),
      host: clientHost(this.connection.clientAddress)
    }
    const forwarded = forwardedIdentity(this.header.clientId)
    if (forwarded === null) return own
    const authorizer = this.broker.authorizer?.() ?? null
    if (authorizer === null) return forwarded
    return authorizer.authorize(own, AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME)
      ? forwarded
      : own
  }

  get clientId(): string | null {
    return this.header.clientId ?? null
  }

  /** A logger bound to this request; created on first use because most requests never log. */
  get logger(): Logger {
    this.childLogger ??= this.broker.logger.child({
      connectionId: this.connection.connectionId,
      apiKey: this.header.requestApiKey,
      apiVersion: this.header.requestApiVersion,
      correlationId: this.header.correlationId
    })
    return this.childLogger
  }
}
