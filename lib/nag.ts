import { Stack, Validations, type App, type CfnElement } from 'aws-cdk-lib'
import { AwsSolutionsChecks } from 'cdk-nag'
import type { IConstruct } from 'constructs'

/**
 * Runs cdk-nag's AwsSolutions rules over the whole app when it is synthesized (cdk-nag 3 is a CDK
 * policy-validation plugin, not an Aspect). An unacknowledged error stops `cdk synth` and `cdk
 * deploy`; warnings are reported. Findings that do not apply are acknowledged where the construct
 * is made, with the reason, on that resource only: the helpers below.
 */
export function checkAwsSolutions(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true })
  Validations.of(app).addPlugins(checks)
  return checks
}

/** Acknowledges findings of cdk-nag's AwsSolutions pack on one construct: rule id (with its finding, for IAM5) → why it does not apply. */
export function acknowledge(construct: IConstruct, findings: Readonly<Record<string, string>>): void {
  for (const [id, reason] of Object.entries(findings)) Validations.of(construct).acknowledge({ id: `AwsSolutions-${id}`, reason })
}

/** The IAM policy CDK's grants add statements to: IAM5 findings are acknowledged on it, not on the whole role. */
export function grantsPolicyOf(role: IConstruct): IConstruct {
  return role.node.findChild('DefaultPolicy')
}

/** How cdk-nag names a resource's `Fn::GetAtt Arn` in an IAM5 finding, e.g. `<TablesCases698FA840.Arn>`. */
export function arnInFinding(construct: IConstruct): string {
  return `<${Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`
}

/**
 * The two KMS action wildcards of CDK's `grantEncryptDecrypt`, which `table.grantReadWriteData` and
 * `queue.grantSendMessages` call on the table's or queue's key.
 */
export function keyGrantWildcards(keys: string): Record<string, string> {
  const reason = `granted by CDK's grant* on the ${keys} ARN only: kms:GenerateDataKey* and kms:ReEncrypt* are the variants of one operation (GenerateDataKey[WithoutPlaintext], ReEncryptFrom/To) on that key, not other keys or other operations`
  return { 'IAM5[Action::kms:GenerateDataKey*]': reason, 'IAM5[Action::kms:ReEncrypt*]': reason }
}
