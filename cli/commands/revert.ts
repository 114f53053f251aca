import { answerApproval } from '../approval';

export const summary = "roll back a wave at its finalize gate: cutover instances terminated, servers back to ready for cutover";
export const run = (argv: string[]): Promise<number> => answerApproval('revert', argv);
