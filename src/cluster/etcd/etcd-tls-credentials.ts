/**
 * TLS credentials of an etcd client (etcd3's `credentials`, gRPC's createSsl): PEM CA certificates (absent:
 * the system's) and, for etcd's client certificate authentication, a private key and its certificate chain.
 */
export interface EtcdTlsCredentials {
  readonly rootCertificate?: Buffer
  readonly privateKey?: Buffer
  readonly certChain?: Buffer
}

/** etcd3's client options for `endpoints`, with TLS when credentials are given. */
export function etcdClientOptions(
  endpoints: readonly string[],
  tls: EtcdTlsCredentials | null | undefined
): {
  hosts: string[]
  dialTimeout: number
  credentials?: { rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer }
} {
  const options = { hosts: [...endpoints], dialTimeout: 5000 }
  if (!tls) return options
  // etcd3 types rootCertificate as required, but hands it to gRPC, which takes null for the system's CAs.
  return {
    ...options,
    credentials: {
      rootCertificate: tls.rootCertificate ?? (null as unknown as Buffer),
      privateKey: tls.privateKey,
      certChain: tls.certChain
    }
  }
}
