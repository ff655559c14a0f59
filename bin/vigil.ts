#!/usr/bin/env node
// CDK app entry: `npx cdk synth` runs it on the pinned Node 24 (see cdk.json "app").
import { App } from 'aws-cdk-lib'
import { readVigilConfig, stackIdOf } from '../lib/config.ts'
import { checkAwsSolutions } from '../lib/nag.ts'
import { VigilStack } from '../lib/vigil-stack.ts'

const app = new App()
const config = readVigilConfig(app.node)
new VigilStack(app, stackIdOf(config.stage), { config })
if (config.nag) checkAwsSolutions(app)
