/**
 * The deaggregating half of aws-kinesis-agg on its own. The package's index also loads its
 * aggregator and the `async` library, which a consumer never runs: 30 KB of the scorer's bundle.
 */
declare module 'aws-kinesis-agg/lib/kpl-deagg.js' {
  const deaggregation: { deaggregateSync: typeof import('aws-kinesis-agg').deaggregateSync }
  export default deaggregation
}
