/**
 * Types for kinesalite 3 (a Kinesis API server on LevelDB; it ships no declarations).
 * Only what `local/emulators.ts` uses; see node_modules/kinesalite/index.js.
 */
declare module 'kinesalite' {
  interface KinesaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string
    /** Milliseconds a stream stays CREATING / DELETING / UPDATING (default 500 each). */
    createStreamMs?: number
    deleteStreamMs?: number
    updateStreamMs?: number
    /** Maximum open shards per account (default 10). */
    shardLimit?: number
    ssl?: boolean
    key?: string | Buffer
    cert?: string | Buffer
    ca?: string | Buffer
  }

  /** An unstarted `http.Server` (HTTP/1.1 only); its `close` also closes the store. */
  function kinesalite(options?: KinesaliteOptions): import('node:http').Server

  export = kinesalite
}
