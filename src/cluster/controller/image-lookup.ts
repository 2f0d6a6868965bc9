import type { MetadataImage, TopicRegistration } from '../metadata-store.js'

/** The topic registered under `name`; the image indexes topics by id only. */
export function findTopic(image: MetadataImage, name: string): TopicRegistration | undefined {
  for (const topic of image.topics.values()) if (topic.name === name) return topic
  return undefined
}
