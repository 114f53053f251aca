import { answerApproval } from '../approval';

export const summary = "reject a wave's cutover: test instances are terminated, the wave ends rejected";
export const run = (argv: string[]): Promise<number> => answerApproval('reject', argv);
