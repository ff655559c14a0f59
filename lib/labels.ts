import { Duration, type RemovalPolicy } from 'aws-cdk-lib'
import * as kinesis from 'aws-cdk-lib/aws-kinesis'
import { Construct } from 'constructs'

export interface LabelFeedProps {
  readonly removalPolicy: RemovalPolicy
}

/**
 * Where labels enter: a Kinesis stream every source writes to (POST /labels, analysts' verdicts,
 * `vigil labels import` through the API), partition key = transaction id, so every label of one
 * transaction is applied in order by one shard. A stream rather than a queue: the label applier
 * inherits the scorer's discipline whole (ordered per shard, bisect, partial batch failures,
 * per-shard high-water marks on the entities it writes, an on-failure destination), and the local
 * runtime runs it on the same emulator. One provisioned shard (1,000 labels/s) is far above any
 * chargeback feed and costs a third of an on-demand stream's floor. Labels hold no card number:
 * the AWS-managed key encrypts it.
 */
export class LabelFeed extends Construct {
  readonly stream: kinesis.Stream

  constructor(scope: Construct, id: string, props: LabelFeedProps) {
    super(scope, id)
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount: 1,
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: Duration.days(7),
      removalPolicy: props.removalPolicy,
    })
  }
}
