/**
 * The import graph of `src/`: every relative import of every TypeScript file, type-only and dynamic imports
 * included (a type-only cycle still ties two modules' designs together, so it counts).
 */

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'
import ts from 'typescript'

/** File (repo-relative, forward slashes) to the files it imports. */
export type ImportGraph = Map<string, Set<string>>

export function buildImportGraph(root: string, srcDir = 'src'): ImportGraph {
  const graph: ImportGraph = new Map()
  for (const file of listTypeScript(join(root, srcDir))) {
    const from = toPosix(relative(root, file))
    graph.set(from, importsOf(from, readFileSync(file, 'utf8')))
  }
  return graph
}

/** Relative imports of one file's text, resolved against its path (`.js` specifiers name `.ts` sources). */
export function importsOf(from: string, text: string): Set<string> {
  const info = ts.preProcessFile(text, true, true)
  const out = new Set<string>()
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue
    let target = toPosix(normalize(join(dirname(from), ref.fileName)))
    if (target.endsWith('.js')) target = `${target.slice(0, -3)}.ts`
    else if (!target.endsWith('.ts')) target = `${target}.ts`
    out.add(target)
  }
  return out
}

/** Every import cycle, as strongly connected components of more than one file (or a file importing itself). */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  let next = 0
  // Iterative Tarjan: the graph has hundreds of files, and recursion depth must not depend on it.
  for (const start of graph.keys()) {
    if (index.has(start)) continue
    const work: Array<{ node: string; edges: string[]; i: number }> = []
    const visit = (node: string): void => {
      index.set(node, next)
      low.set(node, next)
      next++
      stack.push(node)
      onStack.add(node)
      work.push({ node, edges: [...(graph.get(node) ?? [])], i: 0 })
    }
    visit(start)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      if (frame.i < frame.edges.length) {
        const to = frame.edges[frame.i++]!
        if (!graph.has(to)) continue
        if (!index.has(to)) visit(to)
        else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!))
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!))
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = []
        let member: string
        do {
          member = stack.pop()!
          onStack.delete(member)
          component.push(member)
        } while (member !== frame.node)
        if (component.length > 1 || graph.get(frame.node)?.has(frame.node)) cycles.push(component.sort())
      }
    }
  }
  return cycles
}

function listTypeScript(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...listTypeScript(path))
    else if (name.endsWith('.ts')) out.push(path)
  }
  return out.sort()
}

function toPosix(path: string): string {
  return path.split(sep).join('/')
}
