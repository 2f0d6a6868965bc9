/**
 * How long log flushes (fsync of segments, indexes and the directory) take, for every log of this process:
 * Kafka's LogFlushStats.LogFlushRateAndTimeMs, which is process-wide in Kafka too.
 */

import { LatencyHistogram } from '../common/latency-histogram.js'

export const LOG_FLUSH_LATENCY = new LatencyHistogram()
