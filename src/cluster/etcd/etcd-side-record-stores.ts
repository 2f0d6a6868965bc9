/**
 * The record sets the etcd metadata store keeps beside topics and brokers, each under a prefix of its own
 * with its own watch: AWS access keys, dynamic configs of non-topic resources, client quotas and ACLs. They
 * share no state with the topic and broker mirror, so they live apart from it; EtcdMetadataStore extends
 * this class so that it is still one MetadataStore to its callers.
 */

import type { Namespace } from 'etcd3'
import type {
  AclRecord,
  AclsImage,
  AclsListener,
  AwsAccessKey,
  AwsAccessKeysImage,
  AwsAccessKeysListener,
  ClientQuotaAlteration,
  ClientQuotasImage,
  ClientQuotasListener,
  DynamicConfigsImage,
  DynamicConfigsListener,
  Unsubscribe
} from '../metadata-store.js'
import { EtcdAcls } from './etcd-acls.js'
import { EtcdAwsAccessKeys } from './etcd-aws-access-keys.js'
import { EtcdClientQuotas } from './etcd-client-quotas.js'
import { EtcdDynamicConfigs } from './etcd-dynamic-configs.js'

export abstract class EtcdSideRecordStores {
  /** Set by the store once it is closed: writes are refused from then on. */
  protected abstract closed: boolean

  constructor(protected readonly kv: Namespace) {}

  /** Cancels the side stores' watches. */
  protected async closeSideStores(): Promise<void> {
    await this.awsAccessKeyStore?.close().catch(() => undefined)
    await this.dynamicConfigStore?.close().catch(() => undefined)
    await this.clientQuotaStore?.close().catch(() => undefined)
    await this.aclStore?.close().catch(() => undefined)
  }

  // ----- AWS access keys (AWS_MSK_IAM): see etcd-aws-access-keys.ts -----

  private awsAccessKeyStore: EtcdAwsAccessKeys | null = null

  private get awsAccessKeyPrefix(): EtcdAwsAccessKeys {
    if (this.awsAccessKeyStore === null) this.awsAccessKeyStore = new EtcdAwsAccessKeys(this.kv)
    return this.awsAccessKeyStore
  }

  awsAccessKeys(): Promise<AwsAccessKeysImage> {
    return this.awsAccessKeyPrefix.read()
  }

  createAwsAccessKey(key: AwsAccessKey): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.awsAccessKeyPrefix.create(key)
  }

  deleteAwsAccessKey(accessKeyId: string): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.awsAccessKeyPrefix.delete(accessKeyId)
  }

  subscribeAwsAccessKeys(listener: AwsAccessKeysListener): Unsubscribe {
    return this.awsAccessKeyPrefix.subscribe(listener)
  }

  // ----- Dynamic configs of broker, group and client-metrics resources: see etcd-dynamic-configs.ts -----

  private dynamicConfigStore: EtcdDynamicConfigs | null = null

  private get dynamicConfigPrefix(): EtcdDynamicConfigs {
    if (this.dynamicConfigStore === null) this.dynamicConfigStore = new EtcdDynamicConfigs(this.kv)
    return this.dynamicConfigStore
  }

  dynamicConfigs(): Promise<DynamicConfigsImage> {
    return this.dynamicConfigPrefix.read()
  }

  alterDynamicConfigs(
    resourceType: number,
    resourceName: string,
    changes: Readonly<Record<string, string | null>>,
    replace: boolean
  ): Promise<Readonly<Record<string, string>>> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.dynamicConfigPrefix.alter(resourceType, resourceName, changes, replace)
  }

  subscribeDynamicConfigs(listener: DynamicConfigsListener): Unsubscribe {
    return this.dynamicConfigPrefix.subscribe(listener)
  }

  // ----- Client quotas (KIP-546): see etcd-client-quotas.ts -----

  private clientQuotaStore: EtcdClientQuotas | null = null

  private get clientQuotaPrefix(): EtcdClientQuotas {
    this.clientQuotaStore ??= new EtcdClientQuotas(this.kv)
    return this.clientQuotaStore
  }

  clientQuotas(): Promise<ClientQuotasImage> {
    return this.clientQuotaPrefix.read()
  }

  alterClientQuotas(alterations: readonly ClientQuotaAlteration[]): Promise<bigint> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.clientQuotaPrefix.alter(alterations)
  }

  subscribeClientQuotas(listener: ClientQuotasListener): Unsubscribe {
    return this.clientQuotaPrefix.subscribe(listener)
  }

  // ----- ACLs: see etcd-acls.ts -----

  private aclStore: EtcdAcls | null = null

  private get aclPrefix(): EtcdAcls {
    this.aclStore ??= new EtcdAcls(this.kv)
    return this.aclStore
  }

  acls(): Promise<AclsImage> {
    return this.aclPrefix.read()
  }

  alterAcls(create: readonly AclRecord[], deleteIds: readonly string[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.aclPrefix.alter(create, deleteIds)
  }

  subscribeAcls(listener: AclsListener): Unsubscribe {
    return this.aclPrefix.subscribe(listener)
  }
}
