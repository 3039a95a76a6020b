export { ensureTopics, ensureTopicsOnce, freshTopicOffsets } from './topics-admin'
