// Reads a libpcap file written by tcpdump and reassembles the TCP byte streams inside it. Loopback
// captures carry no loss, but retransmitted or overlapping segments are still tolerated.

const LINKTYPE_NULL = 0
const LINKTYPE_ETHERNET = 1
const LINKTYPE_LINUX_SLL = 113
const LINKTYPE_LINUX_SLL2 = 276
const ETHERTYPE_IPV4 = 0x0800
const ETHERTYPE_IPV6 = 0x86dd
const IPPROTO_TCP = 6
const TCP_SYN = 0x02

/** Yields { ts, data } for every packet record of a pcap file (either byte order, us or ns stamps). */
export function* readPcapRecords(buf) {
  const magic = buf.readUInt32LE(0)
  let le
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false
  else throw new Error('not a pcap file (pcapng is not supported: run tcpdump with -w, not --pcapng)')
  const u32 = (at) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at))
  const linkType = u32(20) & 0x0fffffff
  let pos = 24
  while (pos + 16 <= buf.length) {
    const ts = u32(pos) + u32(pos + 4) / 1e6
    const inclLen = u32(pos + 8)
    const start = pos + 16
    if (start + inclLen > buf.length) break // tcpdump was stopped mid-record
    yield { ts, linkType, data: buf.subarray(start, start + inclLen) }
    pos = start + inclLen
  }
}

/** Strips the link layer, returning { etherType, ip } or null for frames that carry no IP. */
function linkPayload(linkType, data) {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return { etherType: data.readUInt16BE(12), ip: data.subarray(14) }
    case LINKTYPE_LINUX_SLL:
      return { etherType: data.readUInt16BE(14), ip: data.subarray(16) }
    case LINKTYPE_LINUX_SLL2:
      return { etherType: data.readUInt16BE(0), ip: data.subarray(20) }
    case LINKTYPE_NULL: {
      const family = data.readUInt32LE(0)
      return { etherType: family === 2 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, ip: data.subarray(4) }
    }
    default:
      throw new Error(`unsupported pcap link type ${linkType}`)
  }
}

/** Parses one captured packet into a TCP segment, or returns null when it is not TCP. */
export function parseTcpSegment(linkType, data) {
  const { etherType, ip } = linkPayload(linkType, data)
  let src
  let dst
  let tcp
  if (etherType === ETHERTYPE_IPV4) {
    if (ip[9] !== IPPROTO_TCP) return null
    const ihl = (ip[0] & 0x0f) * 4
    const totalLength = ip.readUInt16BE(2)
    src = ip.subarray(12, 16).join('.')
    dst = ip.subarray(16, 20).join('.')
    // Bound by the IP length: Ethernet pads short frames with bytes that are not TCP payload.
    tcp = ip.subarray(ihl, totalLength)
  } else if (etherType === ETHERTYPE_IPV6) {
    if (ip[6] !== IPPROTO_TCP) return null // extension headers never appear on loopback
    src = ip.subarray(8, 24).toString('hex')
    dst = ip.subarray(24, 40).toString('hex')
    tcp = ip.subarray(40, 40 + ip.readUInt16BE(4))
  } else {
    return null
  }
  const dataOffset = (tcp[12] >> 4) * 4
  return {
    src,
    dst,
    srcPort: tcp.readUInt16BE(0),
    dstPort: tcp.readUInt16BE(2),
    seq: tcp.readUInt32BE(4),
    syn: (tcp[13] & TCP_SYN) !== 0,
    payload: tcp.subarray(dataOffset)
  }
}

/**
 * Reassembles every TCP stream of a capture. Returns flows in the order their first packet was seen:
 * { src, srcPort, dst, dstPort, firstTs, bytes }, one per direction.
 */
export function reassembleTcpStreams(pcap) {
  const flows = new Map()
  for (const { ts, linkType, data } of readPcapRecords(pcap)) {
    const seg = parseTcpSegment(linkType, data)
    if (!seg) continue
    const key = `${seg.src}:${seg.srcPort}>${seg.dst}:${seg.dstPort}`
    let flow = flows.get(key)
    if (!flow) {
      flow = { ...seg, firstTs: ts, isn: null, segments: [] }
      delete flow.payload
      flows.set(key, flow)
    }
    if (seg.syn) flow.isn = (seg.seq + 1) >>> 0
    if (seg.payload.length > 0) flow.segments.push({ seq: seg.seq, payload: Buffer.from(seg.payload) })
  }
  const out = []
  for (const flow of flows.values()) {
    // Without the SYN (capture started mid-connection) the stream cannot be aligned to a frame boundary.
    if (flow.isn === null) continue
    const isn = flow.isn
    const parts = flow.segments
      .map((s) => ({ rel: (s.seq - isn) >>> 0, payload: s.payload }))
      .sort((a, b) => a.rel - b.rel)
    const chunks = []
    let length = 0
    for (const { rel, payload } of parts) {
      if (rel > length) break // a gap: keep only the contiguous prefix
      const fresh = payload.subarray(length - rel)
      if (fresh.length === 0) continue
      chunks.push(fresh)
      length += fresh.length
    }
    out.push({
      src: flow.src,
      srcPort: flow.srcPort,
      dst: flow.dst,
      dstPort: flow.dstPort,
      firstTs: flow.firstTs,
      bytes: Buffer.concat(chunks)
    })
  }
  return out.sort((a, b) => a.firstTs - b.firstTs)
}

/** Splits a client→broker byte stream into whole Kafka frames (4-byte size + payload, size included). */
export function splitKafkaFrames(stream) {
  const frames = []
  let pos = 0
  while (pos + 4 <= stream.length) {
    const size = stream.readInt32BE(pos)
    if (size < 0 || pos + 4 + size > stream.length) break
    frames.push(stream.subarray(pos, pos + 4 + size))
    pos += 4 + size
  }
  return frames
}
