import { Aws, Stack } from 'aws-cdk-lib'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import type * as sns from 'aws-cdk-lib/aws-sns'
import { Construct } from 'constructs'

/** Every Secrets Manager call that changes the secret's value, its versions' labels, its policy or its existence. */
export const secretChangeEvents = [
  'PutSecretValue',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'RotateSecret',
  'CancelRotateSecret',
  'DeleteSecret',
  'RestoreSecret',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
] as const

/**
 * The CloudFormation execution role of a default `cdk bootstrap`: deploys put the secret's policy
 * and update its description, and must never be locked out by the policy they deploy.
 */
export const cdkDeployRolePattern = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-*-cfn-exec-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`

export interface TokenizationSecretPolicyProps {
  /** The scorer's role: the only reader besides the admins. */
  readonly reader: iam.IRole
  /**
   * IAM principal ARNs (wildcards allowed) that may read and change the secret: a change-over writes
   * the whole keyring, old key included, so whoever changes it reads it too. Empty: nobody but the
   * deploying CloudFormation role can change it, until a deploy names an admin.
   */
  readonly admins: readonly string[]
}

/**
 * The secret's resource policy: explicit denies, which no IAM policy of the account can override
 * (an `Allow secretsmanager:*` on `*` given to an operator or a CI role included). Reading is
 * denied to every principal but the scorer and the admins; every change to all but the admins and
 * the deploying CloudFormation role. The KMS key (`Scoring.secretKey`) is a second lock: only the
 * scorer is granted decrypt.
 */
export function restrictTokenizationSecret(secret: secretsmanager.Secret, { reader, admins }: TokenizationSecretPolicyProps): void {
  secret.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyReadingExceptScorerAndAdmins',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['secretsmanager:GetSecretValue'],
      resources: ['*'],
      conditions: { ArnNotLike: { 'aws:PrincipalArn': [reader.roleArn, ...admins] } },
    }),
  )
  secret.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyChangingExceptAdminsAndDeploys',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: secretChangeEvents.map((name) => `secretsmanager:${name}`),
      resources: ['*'],
      conditions: { ArnNotLike: { 'aws:PrincipalArn': [...admins, cdkDeployRolePattern] } },
    }),
  )
}

export interface TokenizationSecretAlarmProps {
  readonly secret: secretsmanager.ISecret
  /** The operations alarm topic (lib/observability.ts). */
  readonly topic: sns.ITopic
  /** The topic's key: EventBridge must be able to use it to publish. */
  readonly topicKey: kms.Key
}

/**
 * A change to the tokenization secret notifies the operations alarm topic at once: an EventBridge
 * rule on the CloudTrail management events of the calls that change it (a change is always a
 * deploy-time event, so any other is an incident). The events reach EventBridge only where the
 * account has a CloudTrail trail logging management events, as PCI DSS 10 asks anyway.
 *
 * Matched on the secret's ARN in the response, which the calls that succeed carry, spelt `arn` by
 * some and `aRN` by others; failed calls changed nothing (and are denied above for most principals).
 */
export class TokenizationSecretAlarm extends Construct {
  readonly rule: events.Rule

  constructor(scope: Construct, id: string, props: TokenizationSecretAlarmProps) {
    super(scope, id)
    const { secret, topic, topicKey } = props
    // Named, so the key policy below can name its ARN without a reference: the key encrypts the
    // topic the rule targets, and a reference would close a cycle.
    const ruleName = `${Stack.of(this).stackName}-TokenizationSecretChanged`
    this.rule = new events.Rule(this, 'Rule', {
      ruleName,
      description: 'The PAN tokenization secret was changed: its value, version labels, policy or existence',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: [...secretChangeEvents],
          $or: [{ responseElements: { arn: [secret.secretArn] } }, { responseElements: { aRN: [secret.secretArn] } }],
        },
      },
    })
    const field = (path: string) => events.EventField.fromPath(path)
    this.rule.addTarget(
      new targets.SnsTopic(topic, {
        message: events.RuleTargetInput.fromText(
          `The PAN tokenization secret changed: ${field('$.detail.eventName')} by ${field('$.detail.userIdentity.arn')} at ${field('$.detail.eventTime')}. ` +
            'Expected only during a planned key change-over (functions/score/tokenization-key.ts); otherwise treat it as an incident.',
        ),
      }),
    )
    // The topic is encrypted: EventBridge publishes to it only if the key lets it, for this rule only.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeTokenizationSecretAlarm',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { ArnEquals: { 'aws:SourceArn': `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${ruleName}` } },
      }),
    )
  }
}
