/**
 * What the admin listener reads from the running broker. The broker assembly provides it; every getter may
 * answer undefined while the component behind it has not started, which /readyz reports and the metrics skip.
 */

import type { MetadataCache } from '../cluster/metadata-cache.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { GroupCoordinatorService } from '../coordinator/group/group-coordinator-service.js'
import type { ReplicaManager } from '../replica/replica-manager.js'
import type { BrokerConfigView } from '../server/admin/broker-config-view.js'
import type { KafkaServer } from '../server/kafka-server.js'
import type { BasicAuthSources } from './admin-basic-auth.js'

export interface AdminSources {
  readonly config: KafkaConfig
  /** Static config overlaid with the dynamic broker configs (KIP-226), as DescribeConfigs reports them. */
  readonly brokerConfigView?: () => BrokerConfigView
  readonly version: string
  metadataCache(): MetadataCache | undefined
  replicaManager(): ReplicaManager | undefined
  /** Whether log recovery (the log manager's startup) has finished. */
  logsRecovered(): boolean
  server(): KafkaServer | undefined
  groups: GroupCoordinatorService
  isActiveController(): boolean
  /** The active controller's node id; -1 while none is known. */
  controllerId(): number
  auth: BasicAuthSources
}

/**
 * The one hook for authorizing admin HTTP requests: once the ACL authorizer lands it is asked with the
 * principal and the operation on the resource each route declares (Kafka's DESCRIBE on CLUSTER, TOPIC or
 * GROUP), the same ACLs as the Kafka API. Until then every authenticated request is allowed.
 */
export interface AdminAuthorizer {
  authorize(
    principal: string,
    operation: 'DESCRIBE' | 'DESCRIBE_CONFIGS',
    resource: { type: 'CLUSTER' | 'TOPIC' | 'GROUP'; name: string }
  ): boolean
}

export const ALLOW_ALL: AdminAuthorizer = { authorize: () => true }
