// Everything a run needs to store a key in GitHub, loaded on demand as one chunk.
export { createGitHubClient } from './client.ts'
export { preflight, targetOf, writeAll } from './destinations.ts'
