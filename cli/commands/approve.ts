import { answerApproval } from '../approval';

export const summary = "approve a wave's cutover (the task token from its approval request)";
export const run = (argv: string[]): Promise<number> => answerApproval('approve', argv);
