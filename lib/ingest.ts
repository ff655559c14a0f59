import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as kinesis from 'aws-cdk-lib/aws-kinesis'
import * as kms from 'aws-cdk-lib/aws-kms'
import { Construct } from 'constructs'
import type { StreamCapacity } from './config.ts'
import { acknowledge } from './nag.ts'

export interface IngestProps {
  readonly capacity: StreamCapacity
  /** 24 to 8760. */
  readonly retentionHours: number
  readonly removalPolicy: RemovalPolicy
}

/**
 * The transaction stream producers PutRecords to (partition key = card token), encrypted at rest
 * with its own customer-managed key. The stream can carry raw PANs (the wire format accepts `{pan}`;
 * tokenization happens in the score Lambda), so its key is kept apart from the tables' key: see
 * lib/vigil-stack.ts.
 */
export class Ingest extends Construct {
  /** Encrypts the stream. Producers need `grantEncrypt` through `stream.grantWrite`, consumers decrypt. */
  readonly key: kms.Key
  readonly stream: kinesis.Stream

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id)

    this.key = new kms.Key(this, 'Key', {
      description: `${Stack.of(this).stackName}: Kinesis server-side encryption of the transaction stream`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    })

    const capacity: Pick<kinesis.StreamProps, 'streamMode' | 'shardCount'> =
      props.capacity.mode === 'on-demand'
        ? { streamMode: kinesis.StreamMode.ON_DEMAND }
        : { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: props.capacity.shardCount }

    this.stream = new kinesis.Stream(this, 'Stream', {
      ...capacity,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.key,
      retentionPeriod: Duration.hours(props.retentionHours),
      removalPolicy: props.removalPolicy,
    })
    acknowledge(this.stream, {
      KDS3: 'encrypted with a customer-managed, rotating key on purpose instead of aws/kinesis: its key policy and CloudTrail trail cover the one flow that may carry raw PANs, and it can be disabled on its own (lib/vigil-stack.ts)',
    })
  }
}
