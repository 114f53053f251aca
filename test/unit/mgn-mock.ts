/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * @aws-sdk/client-mgn is at 3.523 on the registry (DESIGN section 6), built on older smithy types than
 * the ones aws-sdk-client-mock 4 is typed against: at run time it mocks MgnClient like any other
 * client, but the types disagree. This file is the one place that loosens them.
 */
import * as mgnSdk from '@aws-sdk/client-mgn';
import { mockClient } from 'aws-sdk-client-mock';

export interface LooseBehaviour {
  resolves(value: any): LooseBehaviour;
  rejects(error: any): LooseBehaviour;
  rejectsOnce(error: any): LooseBehaviour;
  resolvesOnce(value: any): LooseBehaviour;
  callsFake(fn: (input: any) => any): LooseBehaviour;
}

export interface MgnStub {
  on(command: any, input?: any): LooseBehaviour;
  reset(): void;
  resetHistory(): void;
  commandCalls(command: any): { args: [{ input: any }] }[];
}

export const mockMgn = (): MgnStub => mockClient(mgnSdk.MgnClient as any) as any;

const loose = (command: unknown): any => command;

export const ChangeServerLifeCycleStateCommand = loose(mgnSdk.ChangeServerLifeCycleStateCommand);
export const DescribeJobsCommand = loose(mgnSdk.DescribeJobsCommand);
export const DescribeReplicationConfigurationTemplatesCommand = loose(mgnSdk.DescribeReplicationConfigurationTemplatesCommand);
export const DescribeSourceServersCommand = loose(mgnSdk.DescribeSourceServersCommand);
export const FinalizeCutoverCommand = loose(mgnSdk.FinalizeCutoverCommand);
export const GetLaunchConfigurationCommand = loose(mgnSdk.GetLaunchConfigurationCommand);
export const MarkAsArchivedCommand = loose(mgnSdk.MarkAsArchivedCommand);
export const StartCutoverCommand = loose(mgnSdk.StartCutoverCommand);
export const StartTestCommand = loose(mgnSdk.StartTestCommand);
export const TerminateTargetInstancesCommand = loose(mgnSdk.TerminateTargetInstancesCommand);
export const UpdateLaunchConfigurationCommand = loose(mgnSdk.UpdateLaunchConfigurationCommand);
export const UpdateReplicationConfigurationTemplateCommand = loose(mgnSdk.UpdateReplicationConfigurationTemplateCommand);
export const CreateReplicationConfigurationTemplateCommand = loose(mgnSdk.CreateReplicationConfigurationTemplateCommand);
