import { readFileSync } from 'node:fs'
import { App, type CfnElement } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { expect } from 'vitest'
import { contextKeys, readVigilConfig, stackIdOf } from '../../lib/config.ts'
import { checkAwsSolutions } from '../../lib/nag.ts'
import { VigilStack } from '../../lib/vigil-stack.ts'

export const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { app: string; context: Record<string, unknown> }

export type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string }
export type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: unknown; Sid?: string }

/**
 * Builds the app as bin/vigil.ts does, with cdk.json's context (so feature flags match `cdk synth`)
 * plus overrides given as the CLI would (`-c` gives strings). Nothing is bundled and cdk-nag does not
 * run unless asked, so synthesis stays fast; with `nag`, an unacknowledged nag error makes it throw.
 * `extend` adds constructs to the stack before it is synthesized.
 */
export function synth(context: Record<string, unknown> = {}, options: { bundle?: boolean; nag?: boolean; outdir?: string; extend?: (stack: VigilStack) => void } = {}) {
  const app = new App({
    context: { ...cdkJson.context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), [contextKeys.nag]: options.nag ?? false, ...context },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  })
  const config = readVigilConfig(app.node)
  const stack = new VigilStack(app, stackIdOf(config.stage), { config })
  options.extend?.(stack)
  const nag = config.nag ? checkAwsSolutions(app) : undefined
  const template = Template.fromStack(stack)
  const json = template.toJSON() as { Resources: Record<string, Resource>; Outputs: Record<string, { Value: unknown }> }
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement)
  const resource = (construct: { node: { defaultChild?: unknown } }) => json.Resources[logicalId(construct)]!
  const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type)
  const only = (type: string): [string, Resource] => {
    const found = ofType(type)
    expect(found).toHaveLength(1)
    return found[0]!
  }
  const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] })
  /** The IAM statements of every policy attached to `roleLogicalId`. */
  const statementsOf = (roleLogicalId: string): Statement[] =>
    Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleLogicalId))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[])
  return { app, stack, nag, template, json, logicalId, resource, ofType, only, arnOf, statementsOf }
}
