/**
 * ACLs indexed for authorization, by resource type and then by name: a map of LITERAL names (the `*` name is
 * one of them) and a map of PREFIXED names with the set of their lengths, so the ACLs that can apply to a
 * resource are found with one literal lookup, one wildcard lookup and one lookup per distinct prefix length
 * (never a scan of all ACLs). Kafka's StandardAuthorizerData walks a sorted set instead; the matches are
 * the same.
 */

import { PatternType, type StandardAcl, WILDCARD } from './acl-types.js'

class ResourceTypeSection {
  readonly literal = new Map<string, StandardAcl[]>()
  readonly prefixed = new Map<string, StandardAcl[]>()
  /** Distinct lengths of the PREFIXED names, ascending. */
  prefixLengths: number[] = []

  add(acl: StandardAcl): void {
    const byName = acl.patternType === PatternType.PREFIXED ? this.prefixed : this.literal
    const list = byName.get(acl.resourceName)
    if (list) list.push(acl)
    else byName.set(acl.resourceName, [acl])
  }

  /** Calls `visit` with each list of ACLs whose pattern matches `name`; stops when it returns true. */
  forEachMatching(name: string, visit: (acls: readonly StandardAcl[]) => boolean): void {
    const exact = this.literal.get(name)
    if (exact && visit(exact)) return
    if (name !== WILDCARD) {
      const wildcard = this.literal.get(WILDCARD)
      if (wildcard && visit(wildcard)) return
    }
    for (const length of this.prefixLengths) {
      if (length > name.length) return
      const acls = this.prefixed.get(name.slice(0, length))
      if (acls && visit(acls)) return
    }
  }

  seal(): void {
    this.prefixLengths = [...new Set([...this.prefixed.keys()].map((n) => n.length))].sort((a, b) => a - b)
  }
}

/** An immutable index: a change to the ACLs builds a new one, so a lookup never sees half a change. */
export class AclIndex {
  private readonly sections = new Map<number, ResourceTypeSection>()
  readonly size: number

  constructor(acls: Iterable<StandardAcl>) {
    let size = 0
    for (const acl of acls) {
      let section = this.sections.get(acl.resourceType)
      if (!section) {
        section = new ResourceTypeSection()
        this.sections.set(acl.resourceType, section)
      }
      section.add(acl)
      size++
    }
    for (const section of this.sections.values()) section.seal()
    this.size = size
  }

  forEachMatching(
    resourceType: number,
    name: string,
    visit: (acls: readonly StandardAcl[]) => boolean
  ): void {
    this.sections.get(resourceType)?.forEachMatching(name, visit)
  }

  /** Every ACL on resources of one type (authorizeByResourceType scans these). */
  *ofType(resourceType: number): Iterable<StandardAcl> {
    const section = this.sections.get(resourceType)
    if (!section) return
    for (const list of section.literal.values()) yield* list
    for (const list of section.prefixed.values()) yield* list
  }
}
