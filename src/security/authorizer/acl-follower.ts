/**
 * Keeps an authorizer's ACLs equal to the metadata store's: loaded once at startup (the broker serves no
 * request before), then replaced on every change the store's stream reports, from whichever broker made it.
 */

import type { AclRecordStore, AclsImage, Unsubscribe } from '../../cluster/metadata-store.js'
import type { StandardAuthorizer } from './standard-authorizer.js'

const FIRST_LOAD_TIMEOUT_MS = 30_000

export async function followAcls(
  store: AclRecordStore,
  authorizer: StandardAuthorizer
): Promise<Unsubscribe> {
  let version = -1n
  let resolveFirst: () => void = () => undefined
  const first = new Promise<void>((resolve) => {
    resolveFirst = resolve
  })
  const unsubscribe = store.subscribeAcls((image: AclsImage) => {
    if (image.version <= version) return
    version = image.version
    authorizer.load(image.acls)
    resolveFirst()
  })
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the ACLs could not be read within ${FIRST_LOAD_TIMEOUT_MS} ms`)),
      FIRST_LOAD_TIMEOUT_MS
    )
  })
  try {
    await Promise.race([first, timeout])
  } catch (err) {
    unsubscribe()
    throw err
  } finally {
    clearTimeout(timer)
  }
  return unsubscribe
}
