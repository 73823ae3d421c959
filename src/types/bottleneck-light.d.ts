// Bottleneck's light build (no Redis clustering) is what Octokit's throttling plugin uses; it has the full build's API.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck'
  export default Bottleneck
}
